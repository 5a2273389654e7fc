"""What the official Python SDK (``syncano`` 5.4.6) does under each failure mode of
``channels-mock serve``, recorded: ``sdk/py_sdk_modes.py`` runs one fixed sequence of calls
(create instance, create channel, three publishes, history, one poll) and reports each call's
outcome, the HTTP requests it sent and its duration; the mock's request log says what the
server saw. The table below is what was observed: a change in the mock's SDK-facing behaviour
or in the SDK fails the test, and so does a mode that is silently not applied (every row but
the baseline expects something the baseline never shows). The README's "Failure modes" part
draws its advice from this table.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from spec.protocol import READY_LINE
from tests.mock.test_failure_modes import KEY, START_TIMEOUT, command, read_line
from tests.mock.test_sdks import SDK_DIR, install_python_sdk

SCRIPT = SDK_DIR / "py_sdk_modes.py"
RUN_TIMEOUT = 60
STOP_TIMEOUT = 10
SERVE = ("serve", "--port", "0")
POLL_TIMEOUT = "2"  # bounds the poll step should no message be stored
SDK_TIMEOUT = 30.0  # the SDK's default
RETRY_AFTER = 1.0  # the mock's Retry-After on 429 (THR-001), which the SDK sleeps
LOG_LINE = re.compile(r"[A-Z]+ \S+ (?P<status>\d{3}|dropped) [\d.]+ms")

STEPS = (
    *("create instance", "create channel", "publish 1", "publish 2", "publish 3"),
    *("history", "poll"),
)
ALL_OK = ("ok", "ok", "ok: id 1", "ok: id 2", "ok: id 3", "ok: ids [3, 2, 1]", "ok: id 1")
ALL_APPLIED = ("201", "201", "201", "201", "201", "200", "200")
DROPPED = (
    "requests.exceptions.ConnectionError: ('Connection aborted.', "
    "RemoteDisconnected('Remote end closed connection without response'))"
)
SERVER_ERROR = "syncano.exceptions.SyncanoRequestError: 500 Server error."
NOT_FOUND = "syncano.exceptions.SyncanoRequestError: 404 Not found."
TIMED_OUT = (
    "requests.exceptions.ReadTimeout: HTTPConnectionPool(host='127.0.0.1', port=PORT): "
    "Read timed out. (read timeout=0.5)"
)


@dataclass(frozen=True)
class Mode:
    """One row of the record: the mock's options and what the SDK and the server did.

    ``outcomes``: each step's result as the script prints it. ``served``: the status the
    mock's log gives each request, 429s left out. ``min_seconds``: every step took at least
    this long. ``throttled``: the SDK met 429s and re-sent after ``Retry-After``; elsewhere
    it must send exactly one request per step."""

    options: tuple[str, ...]
    outcomes: tuple[str, ...]
    served: tuple[str, ...]
    sdk_timeout: float = SDK_TIMEOUT
    min_seconds: float = 0.0
    throttled: bool = False


BASELINE = Mode((), ALL_OK, ALL_APPLIED)
MODES = {
    "no mode": BASELINE,
    # Every answer comes 100 to 300 ms late; the SDK's 30 s timeout covers it.
    "latency 200:100": Mode(
        ("--latency", "200:100", "--seed", "1"), ALL_OK, ALL_APPLIED, min_seconds=0.1
    ),
    # Late past the SDK's timeout: ReadTimeout, no re-send, yet the server applied every
    # request (the poll finds message 1); the poll has its own 300 s timeout.
    "latency 1000, SDK timeout 0.5 s": Mode(
        ("--latency", "1000"),
        (TIMED_OUT,) * 6 + ("ok: id 1",),
        ALL_APPLIED,
        sdk_timeout=0.5,
        min_seconds=0.5,
    ),
    "drop-rate 1": Mode(("--drop-rate", "1"), (DROPPED,) * 7, ("dropped",) * 7),
    "error-rate 1": Mode(("--error-rate", "1"), (SERVER_ERROR,) * 7, ("500",) * 7),
    # The seed puts a drop on publish 1 and a 500 on publish 2: neither was stored.
    "drop-rate 0.2, error-rate 0.2": Mode(
        ("--drop-rate", "0.2", "--error-rate", "0.2", "--seed", "391"),
        ("ok", "ok", DROPPED, SERVER_ERROR, "ok: id 1", "ok: ids [1]", "ok: id 1"),
        ("201", "201", "dropped", "500", "201", "200", "200"),
    ),
    # The SDK's session keeps its connection alive: every second call is dropped, and the
    # lost channel create leaves the calls in between 404.
    "drop-kept-alive": Mode(
        ("--drop-kept-alive",),
        ("ok", DROPPED, NOT_FOUND, DROPPED, NOT_FOUND, DROPPED, NOT_FOUND),
        ("201", "dropped", "404", "dropped", "404", "dropped", "404"),
    ),
    # The SDK sleeps Retry-After and re-sends, without limit: every call succeeds, late.
    "throttle 1": Mode(("--throttle", "1"), ALL_OK, ALL_APPLIED, throttled=True),
}


@dataclass(frozen=True)
class Step:
    """One line of the script's record."""

    step: str
    outcome: str
    attempts: int
    seconds: float


@contextmanager
def logged_mock(options: tuple[str, ...], log: Path) -> Iterator[str]:
    """A mock with ``options``, its request log in ``log`` (complete once the block ends)."""
    with log.open("w") as errors:
        process = subprocess.Popen(
            command(*SERVE, "--account-key", KEY, "--poll-timeout", POLL_TIMEOUT, *options),
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        try:
            line = read_line(process, START_TIMEOUT)
            found = READY_LINE.match(line)
            assert found and found["key"] == KEY, line
            yield found["url"]
        finally:
            process.terminate()
            process.wait(STOP_TIMEOUT)


def statuses(log: Path) -> list[str]:
    """The status of each request in a mock's log, in order; any other line fails the test."""
    lines = log.read_text().splitlines()
    found = [LOG_LINE.fullmatch(line) for line in lines]
    assert all(found), "\n".join(lines)
    return [match["status"] for match in found if match]


def run_sequence(python: Path, url: str, sdk_timeout: float) -> list[Step]:
    """The script's record of the fixed sequence against ``url``."""
    try:
        done = subprocess.run(
            [str(python), str(SCRIPT), url, KEY, str(sdk_timeout)],
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"the sequence did not finish in {RUN_TIMEOUT}s:\n{expired.stdout}")
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    return [Step(**json.loads(line)) for line in done.stdout.splitlines()]


def test_every_mode_expects_what_the_baseline_never_shows() -> None:
    for name, mode in MODES.items():
        if mode is not BASELINE:
            differs = (mode.outcomes, mode.served) != (BASELINE.outcomes, BASELINE.served)
            assert differs or mode.min_seconds or mode.throttled, name


@pytest.mark.parametrize("name", MODES)
def test_the_python_sdk_under_a_failure_mode(tmp_path: Path, name: str) -> None:
    python = install_python_sdk()
    mode = MODES[name]
    log = tmp_path / "requests.log"
    with logged_mock(mode.options, log) as url:
        record = run_sequence(python, url, mode.sdk_timeout)
    seen = statuses(log)
    shown = "\n".join(f"{s.step:16} {s.attempts} {s.seconds:6.3f}s {s.outcome}" for s in record)
    print(f"\n{name}:\n{shown}\nserver: {' '.join(seen)}")

    assert [s.step for s in record] == list(STEPS), shown
    assert tuple(s.outcome for s in record) == mode.outcomes, shown
    assert tuple(status for status in seen if status != "429") == mode.served, seen
    # Every request the SDK sent reached the log once: nothing re-sent below the SDK.
    assert len(seen) == sum(s.attempts for s in record), (seen, shown)
    assert all(s.seconds >= mode.min_seconds for s in record), shown
    resent = [s for s in record if s.attempts > 1]
    assert seen.count("429") == sum(s.attempts - 1 for s in record), (seen, shown)
    if mode.throttled:
        # One sleep of Retry-After lands in a fresh one-second window: one re-send at most.
        assert resent and all(s.attempts == 2 for s in resent), shown
        assert all(s.seconds >= RETRY_AFTER for s in resent), shown
    else:
        assert not resent, shown
