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
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from schemathesis.config import PositiveDataAcceptanceConfig

from spec.protocol import READY_LINE

ROOT = Path(__file__).resolve().parents[2]
KEY = "c0ffee" * 6 + "0000"
MAX_EXAMPLES = "10"
SEED = "1"
MOCK = (sys.executable, "-m", "mock_server", "serve", "--port", "0")
RUN_TIMEOUT = 300
CONFIG = ROOT / "schemathesis.toml"
ADD_GROUP_USER = "POST /v1.1/instances/{instance}/groups/{group}/users/"
STATE_BOUND = {
    ADD_GROUP_USER,
    *(
        f"POST /v1.1/instances/{path}"
        for path in (
            "",
            "{instance}/channels/",
            "{instance}/classes/",
            "{instance}/groups/",
            "{instance}/users/",
            "{instance}/users/{user}/groups/",
        )
    ),
}


def schemathesis() -> str | None:
    found = Path(sys.executable).with_name("schemathesis")
    return str(found) if found.exists() else shutil.which("schemathesis")


@dataclass
class Run:
    returncode: int
    output: str
    seconds: float


def beside_config(directory: Path) -> Path:
    shutil.copy(CONFIG, directory / CONFIG.name)
    return directory


@pytest.fixture(scope="module")
def stock_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """One run for the module, as from the repository root: in a directory holding only a copy
    of the repository's schemathesis.toml, so that its example database (.schemathesis/) does
    not land in the work tree or replay an earlier run's cases."""
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
            cwd=beside_config(tmp_path_factory.mktemp("schemathesis")),
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


def named_under(heading: str, output: str) -> set[str]:
    """The operations a warning lists under the line that contains ``heading``."""
    found = re.search(rf"{heading}[^\n]*\n\n?((?:  - [^\n]+\n)+)", warnings_section(output))
    return set(re.findall(r"  - (.+)", found.group(1))) if found else set()


def test_no_operation_lacks_links(stock_run: Run) -> None:
    assert "no links point to" not in warnings_section(stock_run.output).lower(), stock_run.output


def test_only_state_conflicts_reject_generated_data(stock_run: Run) -> None:
    """ "Mostly rejected" may name only operations whose schema-valid requests meet stored state
    (GEN-006): a create whose name must be unique, which the run sends again and again from the
    same examples and boundary values, and a membership whose user or group must exist and not
    be joined yet. The platform answers those 400, where schemathesis counts only 409 as a
    conflict; no schema can say which names are taken."""
    rejected = named_under("mostly rejected generated data", stock_run.output)
    assert rejected <= STATE_BOUND, stock_run.output


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


def test_the_config_only_lets_positive_data_meet_a_400() -> None:
    """schemathesis.toml changes one default, for GEN-006 and CHAN-012: the platform refuses a
    schema-valid request that stored state is in the way of with 400, not 409."""
    config = tomllib.loads(CONFIG.read_text())
    expected = config["checks"]["positive_data_acceptance"]["expected-statuses"]
    assert config == {"checks": {"positive_data_acceptance": {"expected-statuses": expected}}}
    assert sorted(expected) == sorted([*PositiveDataAcceptanceConfig().expected_statuses, "400"])


def test_exit_code_is_zero(stock_run: Run) -> None:
    assert stock_run.returncode == 0, stock_run.output


def test_linked_data_is_usable(stock_run: Run) -> None:
    """Every operation reached through links gets usable data, except addGroupUser, which needs
    a user that exists: schemathesis does not read its body field `user` as a reference, and
    takes the user nested in its answer for a User it creates, so it runs createUser after it
    in the examples, coverage and fuzzing phases; its stateful phase does not make up for that
    at --max-examples 10."""
    assert named_under("linked data was not usable", stock_run.output) <= {ADD_GROUP_USER}, (
        stock_run.output
    )
