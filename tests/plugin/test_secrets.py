"""No key reaches what a user or a CI job sees: a failing run against a faulty mock, with full
tracebacks and local variables shown, must not print or write the account key, nor any key the
suite created, with and without --instance."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from conformance import launch
from conformance.provision import random_key
from tests.suite_runs import CHECKS, pytest_run

FAULTS = ("api-key-of-any-instance", "user-key-of-any-instance", "payload-string-dropped")
REQUIREMENTS = "AUTH-003,AUTH-011,PUB-004"
ANY_KEY = re.compile(r"(?<![0-9a-f])[0-9a-f]{40}(?![0-9a-f])")
PIECE = 12  # no run of this many characters of the account key may show


@pytest.fixture(scope="module")
def faulty() -> Iterator[launch.EmbeddedMock]:
    options = [word for name in FAULTS for word in ("--fault", name)]
    server = launch.start(random_key("account"), "core", options)
    yield server
    server.stop()


def _instance(server: launch.EmbeddedMock) -> str:
    reply = requests.post(
        f"{server.url}/v1.1/instances/",
        json={"name": f"kept-{random_key('api')[:8]}"},
        headers={"X-API-KEY": server.account_key},
        timeout=10,
    )
    assert reply.status_code == 201, reply.text
    return reply.json()["name"]


@pytest.mark.parametrize("given_instance", [False, True], ids=["fresh-instance", "--instance"])
def test_no_key_in_output_or_reports(
    faulty: launch.EmbeddedMock, tmp_path: Path, given_instance: bool
) -> None:
    reports = tmp_path / "reports"
    extra = ["--instance", _instance(faulty)] if given_instance else []
    done = pytest_run(
        str(CHECKS),
        "--target-url", faulty.url, "--account-key", faulty.account_key,
        "--requirement", REQUIREMENTS, "--report-dir", str(reports),
        "--tb=long", "--showlocals", "-rA", "-n", "2", *extra,
        cwd=tmp_path,
    )  # fmt: skip
    seen = {"terminal": done.stdout + done.stderr}
    seen.update({path.name: path.read_text() for path in reports.iterdir()})
    assert done.returncode == 1, seen["terminal"][-3000:]
    assert "${CHANNELS_ACCOUNT_KEY}" in seen["report.json"]
    key = faulty.account_key
    pieces = {key[i : i + PIECE] for i in range(len(key) - PIECE + 1)}
    for name, text in seen.items():
        assert not [p for p in pieces if p in text], f"a piece of the account key in {name}"
        assert not ANY_KEY.findall(text), f"a key in {name}: {ANY_KEY.findall(text)[:3]}"
