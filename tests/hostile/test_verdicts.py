"""The suite's verdict through hostile-but-ordinary deployments: a correct mock behind a proxy
that drops kept-alive requests, or answers 429 now and then, gets the same verdict as directly,
with no error, and the report says what was re-sent and waited out; endless and slow answers end
the run within its stated bounds, with reports that say why.

Each run is a fresh `pytest --target-url ...` over a spread of requirements (every area the
proxies touch: set-up, publish, poll, history, rooms, permissions), so the whole file stays
within a minute or two of CI time.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from conformance import launch
from conformance.provision import random_key
from tests.hostile.proxy import HostileProxy
from tests.suite_runs import CHECKS, pytest_run

SPREAD = (
    "CHAN-001,CHAN-002,CHAN-026,PUB-001,PUB-004,CPUB-001,PERM-001,"
    "POLL-001,POLL-003,POLL-004,POLL-005,HIST-001,HIST-007,ROOM-001,ID-001"
)
POLL_CHECKS = "POLL-001,POLL-004"
MOCK_POLL_TIMEOUT = "2"
CLEAN_UP_REQUESTS = 5


def suite(url: str, key: str, folder: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    """One run of the checks against ``url``: exit code, report.json and the terminal output."""
    reports = folder / "reports"
    done = pytest_run(
        str(CHECKS),
        "--target-url", url, "--account-key", key, "--poll-timeout", MOCK_POLL_TIMEOUT,
        "--report-dir", str(reports), "-n", "2", *args,
        cwd=folder,
    )  # fmt: skip
    document = json.loads((reports / "report.json").read_text())
    return done.returncode, document, done.stdout + done.stderr


def verdict(document: dict[str, Any]) -> dict[str, Any]:
    """What must not change behind a proxy: each requirement's status and the test outcomes."""
    return {
        "requirements": {r["id"]: r["status"] for r in document["requirements"]},
        "tests": Counter(t["status"] for t in document["tests"]),
    }


@pytest.fixture(scope="module")
def direct(mock: launch.EmbeddedMock, tmp_path_factory: pytest.TempPathFactory) -> dict:
    code, document, output = suite(
        mock.url, mock.account_key, tmp_path_factory.mktemp("direct"), "--requirement", SPREAD
    )
    assert code == 0, output[-3000:]
    return verdict(document)


def test_dropped_kept_alive_requests_change_nothing(
    mock: launch.EmbeddedMock, direct: dict, tmp_path: Path
) -> None:
    with HostileProxy(mock.url, ["drop-kept-alive"]) as proxy:
        code, document, output = suite(
            proxy.url, mock.account_key, tmp_path, "--requirement", SPREAD
        )
    assert code == 0, output[-3000:]
    assert verdict(document) == direct
    transport = document["transport"]
    assert proxy.counters.dropped >= 1
    assert transport["fresh_connections"] is True
    assert transport["dropped"] == proxy.counters.dropped
    assert "one connection per request" in output
    html = (tmp_path / "reports" / "report.html").read_text()
    assert "Transport: the target closed" in html


def test_a_server_that_drops_kept_alive_requests_without_saying_close(
    direct: dict, tmp_path: Path
) -> None:
    """The mock's own --drop-kept-alive: unlike the proxy, it answers a request that asks for
    ``Connection: close`` without echoing it, so the client must not pool that connection."""
    dropping = launch.start(random_key("account"), "core", ["--drop-kept-alive"])
    try:
        code, document, output = suite(
            dropping.url, dropping.account_key, tmp_path, "--requirement", SPREAD
        )
    finally:
        dropping.stop()
    assert code == 0, output[-3000:]
    assert verdict(document) == direct
    assert document["transport"]["fresh_connections"] is True


@pytest.mark.parametrize("rate", [0.03, 0.30])
def test_random_429s_are_waited_out(
    mock: launch.EmbeddedMock, direct: dict, tmp_path: Path, rate: float
) -> None:
    with HostileProxy(mock.url, ["throttle"], rate=rate, seed=7) as proxy:
        code, document, output = suite(
            proxy.url, mock.account_key, tmp_path, "--requirement", SPREAD
        )
    assert code == 0, output[-3000:]
    assert verdict(document) == direct
    counted = document["transport"]["throttled"]
    assert counted > 0
    # the instance is deleted after the reports are written: its 429s are not in them
    assert 0 <= proxy.counters.throttled - counted <= CLEAN_UP_REQUESTS
    assert "429" in " ".join(document["transport"]["summary"])


def test_the_suite_keeps_under_the_mock_throttle(tmp_path: Path) -> None:
    throttled = launch.start(random_key("account"), "core", ["--throttle", "60"])
    try:
        code, document, output = suite(
            throttled.url, throttled.account_key, tmp_path,
            "--requirement", f"{SPREAD},THR-001", "--rate-limit", "60",
        )  # fmt: skip
    finally:
        throttled.stop()
    assert code == 0, output[-3000:]
    statuses = verdict(document)["requirements"]
    assert statuses["THR-001"] == "passed"
    assert all(statuses[i] == "passed" for i in SPREAD.split(",")), statuses


def test_an_endless_poll_body_fails_the_poll_checks_in_bounded_time(
    mock: launch.EmbeddedMock, tmp_path: Path
) -> None:
    started = time.monotonic()
    with HostileProxy(mock.url, ["endless-poll"]) as proxy:
        code, document, output = suite(
            proxy.url, mock.account_key, tmp_path,
            "--requirement", POLL_CHECKS, "--request-timeout", "3",
        )  # fmt: skip
    took = time.monotonic() - started
    assert code == 1, output[-3000:]
    failed = [t for t in document["tests"] if t["status"] == "failed"]
    assert failed
    for test in failed:  # the deadline or the body cap ends the answer, whichever comes first
        assert "/poll/: " in test["message"], test["message"]
        assert re.search(r"no complete answer within 3 s|body is over 16 MiB", test["message"])
    assert took < 90, f"the run took {took:.0f} s"


def test_endless_bodies_everywhere_stop_set_up_with_exit_2(
    mock: launch.EmbeddedMock, tmp_path: Path
) -> None:
    started = time.monotonic()
    with HostileProxy(mock.url, ["endless"]) as proxy:
        code, document, output = suite(
            proxy.url, mock.account_key, tmp_path, "--request-timeout", "3"
        )
    assert code == 2, output[-3000:]
    assert "no complete answer within 3 s" in output
    assert document["exit_status"] == 2
    assert "no complete answer within 3 s" in document["gate_failures"][0]
    assert time.monotonic() - started < 60


def test_a_slow_target_stops_at_max_duration(mock: launch.EmbeddedMock, tmp_path: Path) -> None:
    limit = 8
    started = time.monotonic()
    with HostileProxy(mock.url, ["slow"], delay=1.0) as proxy:
        code, document, output = suite(
            proxy.url, mock.account_key, tmp_path,
            "--requirement", SPREAD, "--max-duration", str(limit),
        )  # fmt: skip
    took = time.monotonic() - started
    assert code == 1, output[-3000:]
    assert any("--max-duration" in reason for reason in document["gate_failures"])
    assert document["counts"]["failed"] == 0
    assert verdict(document)["tests"]["not run"] > 0
    # set-up before the clock starts (about 8 requests), the limit, one request, clean-up
    assert took < limit + 40, f"the run took {took:.0f} s"
