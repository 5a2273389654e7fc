"""``channels-mock serve`` failure modes, seen from a client over real sockets: latency, drops,
Django's bare 500, uWSGI's dropped kept-alive requests, the ready line naming them, a seed that
repeats a run, and one-line errors for bad values. Every wait is bounded by a timeout."""

from __future__ import annotations

import http.client
import selectors
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from mock_server.config import DeploymentModes
from spec.protocol import READY_LINE

KEY = "c0ffee" * 6 + "0000"
START_TIMEOUT = 30
TIMEOUT = 10
PATH = "/v1.1/instances/"
SERVER_ERROR = b"<h1>Server Error (500)</h1>"


@dataclass
class Served:
    port: int
    ready_line: str

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)

    def get(self, connection: http.client.HTTPConnection | None = None) -> int:
        """One authorised GET; its status. A fresh connection unless one is given."""
        connection = connection or self.connection()
        connection.request("GET", PATH, headers={"X-API-KEY": KEY})
        response = connection.getresponse()
        response.read()
        return response.status

    def raw(self, request: bytes) -> bytes:
        """Everything the server writes back to ``request`` on a fresh socket until it closes."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT) as sock:
            sock.sendall(request)
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
            return received


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "mock_server", *args]


def read_line(process: subprocess.Popen, timeout: float) -> str:
    """The first stdout line of ``process``, or fail after ``timeout`` seconds."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        assert selector.select(timeout), f"no ready line within {timeout} s"
    return process.stdout.readline().strip()


@contextmanager
def served(*args: str, log: IO[str] | None = None) -> Iterator[Served]:
    """The mock serving with ``args``; its request log goes to ``log`` when one is given."""
    quiet = () if log else ("--quiet",)
    process = subprocess.Popen(
        command("serve", "--port", "0", "--account-key", KEY, *quiet, *args),
        stdout=subprocess.PIPE,
        stderr=log or subprocess.DEVNULL,
        text=True,
    )
    try:
        line = read_line(process, START_TIMEOUT)
        found = READY_LINE.match(line)
        assert found and found["key"] == KEY, line
        yield Served(int(found["port"]), line)
    finally:
        process.kill()
        process.wait(TIMEOUT)


def dropped(served: Served) -> bool:
    """Whether one GET on a fresh connection was closed without an answer."""
    try:
        served.get()
    except http.client.RemoteDisconnected:
        return True
    return False


def test_no_mode_is_no_deployment_and_no_suffix() -> None:
    assert not DeploymentModes(seed=7).active
    with served() as server:
        assert server.ready_line.endswith(f"(account key {KEY})")
        assert server.get() == 200


@pytest.mark.parametrize(
    ("args", "suffix"),
    [
        (
            [
                "--latency", "50:10", "--drop-rate", "0.1", "--error-rate", "0.05",
                "--drop-kept-alive", "--seed", "7", "--throttle", "60",
            ],
            " with modes latency 50:10 ms, drop-rate 0.1, error-rate 0.05, drop-kept-alive, "
            "seed 7, throttle 60/s, poll-throttle 240/s",
        ),
        (["--latency", "20"], " with modes latency 20 ms"),
        (
            ["--fault", "unknown-account-key-401", "--drop-kept-alive"],
            " with faults unknown-account-key-401 and modes drop-kept-alive",
        ),
    ],
)  # fmt: skip
def test_the_ready_line_names_the_modes(args: list[str], suffix: str) -> None:
    with served(*args) as server:
        assert server.ready_line.endswith(f"(account key {KEY}){suffix}"), server.ready_line


def test_latency_adds_at_least_its_milliseconds_to_every_answer() -> None:
    with served("--latency", "200") as server:
        connection = server.connection()
        for _ in range(3):
            started = time.monotonic()
            assert server.get(connection) == 200
            assert time.monotonic() - started >= 0.2


def test_the_request_log_counts_the_latency(tmp_path: Path) -> None:
    path = tmp_path / "log"
    with path.open("w") as log, served("--latency", "300", log=log) as server:
        assert server.get() == 200
        line = logged_line(path, f"GET {PATH} 200 ")
    assert float(line.rsplit(" ", 1)[1].removesuffix("ms")) >= 300, line


def logged_line(path: Path, start: str) -> str:
    """The first line of the log at ``path`` that begins with ``start``: the server writes it
    just after the answer, so it is waited for (at most TIMEOUT seconds)."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        found = [line for line in path.read_text().splitlines() if line.startswith(start)]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no log line starting {start!r}: {path.read_text()!r}")


def test_jitter_spreads_the_latency_and_never_goes_below_zero() -> None:
    with served("--latency", "50:100", "--seed", "3") as server:
        connection = server.connection()
        elapsed = []
        for _ in range(20):
            started = time.monotonic()
            assert server.get(connection) == 200
            elapsed.append(time.monotonic() - started)
        assert max(elapsed) >= 0.1, elapsed
        assert min(elapsed) < 0.04, elapsed
        assert max(elapsed) < 0.15 + 1, elapsed


def test_drop_rate_one_closes_every_connection_without_an_answer() -> None:
    with served("--drop-rate", "1") as server:
        assert all(dropped(server) for _ in range(10))
        request = f"GET {PATH} HTTP/1.1\r\nHost: x\r\nX-API-KEY: {KEY}\r\n\r\n".encode()
        assert server.raw(request) == b""


def test_a_dropped_request_with_a_large_body_is_closed_not_reset() -> None:
    body = b"{" + b" " * 200_000 + b"}"
    request = (
        f"POST {PATH} HTTP/1.1\r\nHost: x\r\nX-API-KEY: {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with served("--drop-rate", "1") as server:
        assert server.raw(request + body) == b""


def test_drop_rate_zero_drops_nothing() -> None:
    with served("--drop-rate", "0") as server:
        assert not any(dropped(server) for _ in range(20))


def drop_pattern(*args: str) -> list[bool]:
    with served("--drop-rate", "0.3", *args) as server:
        return [dropped(server) for _ in range(100)]


def test_a_seeded_drop_rate_drops_its_share_and_repeats() -> None:
    pattern = drop_pattern("--seed", "42")
    assert 15 <= sum(pattern) <= 45, sum(pattern)
    assert drop_pattern("--seed", "42") == pattern
    assert drop_pattern("--seed", "43") != pattern


def test_error_rate_answers_djangos_bare_500() -> None:
    with served("--error-rate", "1") as server:
        connection = server.connection()
        for _ in range(2):  # the connection stays usable, as after a real 500
            connection.request("GET", PATH, headers={"X-API-KEY": KEY})
            response = connection.getresponse()
            assert (response.status, response.reason) == (500, "Internal Server Error")
            assert response.getheader("Content-Type") == "text/html"
            assert response.read() == SERVER_ERROR
        raw = server.raw(f"GET {PATH} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        assert raw.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
        assert raw.endswith(b"\r\n\r\n" + SERVER_ERROR)


def test_a_seeded_error_rate_answers_500_or_the_api() -> None:
    with served("--error-rate", "0.5", "--seed", "1") as server:
        statuses = {server.get() for _ in range(30)}
        assert statuses == {200, 500}


def test_drop_kept_alive_answers_the_first_request_only() -> None:
    with served("--drop-kept-alive") as server:
        connection = server.connection()
        assert server.get(connection) == 200
        connection.request("GET", PATH, headers={"X-API-KEY": KEY})
        with pytest.raises(http.client.RemoteDisconnected):
            connection.getresponse()
        connection.close()
        assert server.get() == 200
        request = f"GET {PATH} HTTP/1.1\r\nHost: x\r\nX-API-KEY: {KEY}\r\n\r\n".encode()
        answer = server.raw(request * 2)
        assert answer.startswith(b"HTTP/1.1 200 ")
        assert answer.count(b"HTTP/1.1 ") == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["--latency", "-1"],
        ["--latency", "soon"],
        ["--latency", "50:"],
        ["--latency", "50:-5"],
        ["--latency", "inf"],
        ["--latency", "nan:1"],
        ["--drop-rate", "1.5"],
        ["--drop-rate", "-0.1"],
        ["--drop-rate", "nan"],
        ["--error-rate", "half"],
        ["--error-rate", "2"],
        ["--seed", "-1"],
        ["--seed", "x"],
        ["--drop-kept-alive=yes"],
    ],
)
def test_bad_values_give_one_line_and_exit_code_2(argv: list[str]) -> None:
    result = subprocess.run(
        command("serve", "--port", "0", *argv), capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("channels-mock: error:"), result.stderr
