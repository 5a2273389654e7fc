"""The stock schemathesis 4.x CLI against ``channels-mock serve`` (issue 13, item 2).

Runs exactly what a user would type, with the default checks and phases::

    schemathesis run spec/openapi.yaml --url http://127.0.0.1:PORT -H "X-API-KEY: KEY"

plus a small ``--max-examples`` and a fixed ``--seed`` so the run is short and repeatable.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from spec.protocol import READY_LINE

ROOT = Path(__file__).resolve().parents[2]
KEY = "c0ffee" * 6 + "0000"
MAX_EXAMPLES = "10"
SEED = "1"
MOCK = (sys.executable, "-m", "mock_server", "serve", "--port", "0")
RUN_TIMEOUT = 300
STATEFUL_OPERATIONS = ("publish", "poll", "history")
BAD_WARNINGS = ("Mostly rejected", "No links point to")


def schemathesis() -> str | None:
    found = Path(sys.executable).with_name("schemathesis")
    return str(found) if found.exists() else shutil.which("schemathesis")


@dataclass
class Run:
    returncode: int
    output: str
    seconds: float


@pytest.fixture(scope="module")
def stock_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """One run for the module. It starts in an empty directory so that no schemathesis.toml
    applies and its example database (.schemathesis/) does not land in the work tree or replay
    an earlier run's cases."""
    binary = schemathesis()
    if binary is None:
        pytest.skip("the schemathesis CLI is not installed")
    mock = subprocess.Popen(
        [*MOCK, "--account-key", KEY, "--poll-timeout", "1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert mock.stdout is not None
        line = mock.stdout.readline().strip()
        ready = READY_LINE.fullmatch(line)
        assert ready, line
        started = time.monotonic()
        done = subprocess.run(
            [
                binary,
                "run",
                str(ROOT / "spec" / "openapi.yaml"),
                "--url",
                f"http://127.0.0.1:{ready['port']}",
                "-H",
                f"X-API-KEY: {KEY}",
                "--max-examples",
                MAX_EXAMPLES,
                "--seed",
                SEED,
            ],
            cwd=tmp_path_factory.mktemp("schemathesis"),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )
        yield Run(done.returncode, done.stdout + done.stderr, time.monotonic() - started)
    finally:
        mock.kill()
        mock.wait(10)


def warnings_section(output: str) -> str:
    found = re.search(r"=+ WARNINGS =+\n(.*?)\n=+ SUMMARY", output, re.S)
    return found.group(1) if found else ""


@pytest.mark.parametrize("phrase", BAD_WARNINGS)
def test_no_link_or_rejection_warnings(stock_run: Run, phrase: str) -> None:
    assert phrase.lower() not in warnings_section(stock_run.output).lower(), stock_run.output


def test_openapi_yaml_response_validates(stock_run: Run) -> None:
    assert not re.search(r"_ GET /openapi\.yaml _", stock_run.output), stock_run.output


def test_stateful_phase_ran(stock_run: Run) -> None:
    assert re.search(r"API Links: +\d+ covered", stock_run.output), stock_run.output


@pytest.mark.parametrize(
    "operation",
    [
        "POST /v1.1/instances/{instance}/channels/{channel}/publish/",
        "GET /v1.1/instances/{instance}/channels/{channel}/poll/",
        "GET /v1.1/instances/{instance}/channels/{channel}/history/",
    ],
)
def test_stateful_phase_serves_the_channel_core(stock_run: Run, operation: str) -> None:
    """Served at least once (no warning names it): the links from createInstance reach the
    built-in channel default (BUILTIN-001, BUILTIN-002, BUILTIN-007)."""
    assert f"  - {operation}\n" not in warnings_section(stock_run.output), stock_run.output


PENDING_MOCK = (
    "the run still fails ST202 (uniqueness and state-dependent 400s), ST204 (TRACE on mock-only "
    "routes) and ST205 (Allow lists undocumented GETs), all mock-side (issue 13, item 2)"
)


@pytest.mark.xfail(reason=PENDING_MOCK, strict=True)
def test_linked_data_is_usable(stock_run: Run) -> None:
    assert "not usable" not in warnings_section(stock_run.output), stock_run.output


@pytest.mark.xfail(reason=PENDING_MOCK, strict=True)
def test_exit_code_is_zero(stock_run: Run) -> None:
    assert stock_run.returncode == 0, stock_run.output
