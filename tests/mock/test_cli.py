"""``channels-mock`` as a process: start, ready line, real HTTP, many parked pollers over real
sockets, clean stop on SIGINT / SIGTERM, and one-line errors for bad options."""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import requests

from mock_server import keys
from mock_server.faults import CATALOGUE
from spec.protocol import READY_LINE

KEY = "c0ffee" * 6 + "0000"
START_TIMEOUT = 30
SOCKET_POLLERS = 200


@dataclass
class Served:
    process: subprocess.Popen
    port: int
    key: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "mock_server", *args]


@contextmanager
def served(*args: str, env: dict[str, str] | None = None) -> Iterator[Served]:
    process = subprocess.Popen(
        command("serve", "--port", "0", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        found = READY_LINE.fullmatch(line)
        assert found and found["name"] == "channels-mock" and found["host"] == "127.0.0.1", line
        assert found["key"], f"no account key in the ready line {line!r}"
        yield Served(process, int(found["port"]), found["key"])
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def stop(process: subprocess.Popen, signum: int) -> int:
    process.send_signal(signum)
    return process.wait(10)


def provision(server: Served, instance: str = "cli-test") -> str:
    headers = {"Authorization": f"token {server.key}"}
    requests.post(
        f"{server.url}/v1.1/instances/", json={"name": instance}, headers=headers, timeout=10
    ).raise_for_status()
    requests.post(
        f"{server.url}/v1.1/instances/{instance}/channels/",
        json={"name": "chat", "custom_publish": True},
        headers=headers,
        timeout=10,
    ).raise_for_status()
    return f"{server.url}/v1.1/instances/{instance}/channels/chat/"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serves_then_stops_cleanly_even_with_a_parked_poll(signum: int) -> None:
    with served("--account-key", KEY, "--poll-timeout", "60") as server:
        assert server.key == KEY
        channel = provision(server)
        parked = socket.create_connection(("127.0.0.1", server.port))
        parked.sendall(
            f"GET {channel.split(str(server.port))[1]}poll/?api_key={KEY} HTTP/1.1"
            f"\r\nHost: x\r\n\r\n".encode()
        )
        stats = f"{server.url}/__mock__/stats"
        deadline = time.monotonic() + 10
        while (
            requests.get(stats, headers={"X-API-KEY": KEY}, timeout=5).json()["subscriptions"] < 1
        ):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert stop(server.process, signum) == 0
        parked.close()


def test_without_account_key_a_valid_one_is_generated_and_works() -> None:
    with served("--poll-timeout", "1") as server:
        assert keys.classify(server.key) is keys.KeyKind.ACCOUNT
        response = requests.get(
            f"{server.url}/v1.1/instances/", headers={"X-API-KEY": server.key}, timeout=10
        )
        assert response.status_code == 200
        assert stop(server.process, signal.SIGTERM) == 0


def test_poll_timeout_comes_from_the_environment() -> None:
    with served("--account-key", KEY, env={"CHANNEL_POLL_TIMEOUT": "1"}) as server:
        channel = provision(server)
        started = time.monotonic()
        response = requests.get(f"{channel}poll/", headers={"X-API-KEY": KEY}, timeout=30)
        assert response.status_code == 204
        assert time.monotonic() - started >= 0.9


def test_one_publish_answers_every_poller_parked_on_real_sockets() -> None:
    with served("--account-key", KEY, "--poll-timeout", "30", "--quiet") as server:
        channel = provision(server)
        path = channel.split(str(server.port), 1)[1] + f"poll/?api_key={KEY}"
        selector = selectors.DefaultSelector()
        sockets = []
        for _ in range(SOCKET_POLLERS):
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, bytearray())
            sockets.append(sock)
        stats = f"{server.url}/__mock__/stats"
        deadline = time.monotonic() + 20
        while (
            requests.get(stats, headers={"X-API-KEY": KEY}, timeout=5).json()["subscriptions"]
            < SOCKET_POLLERS
        ):
            assert time.monotonic() < deadline, "pollers did not all park"
            time.sleep(0.05)
        message = requests.post(
            f"{channel}publish/",
            json={"payload": {"to": "all"}},
            headers={"X-API-KEY": KEY},
            timeout=10,
        ).json()
        answers = []
        while len(answers) < SOCKET_POLLERS and time.monotonic() < deadline + 20:
            for key, _ in selector.select(timeout=1):
                chunk = key.fileobj.recv(65536)
                if chunk:
                    key.data.extend(chunk)
                else:
                    selector.unregister(key.fileobj)
                    key.fileobj.close()
                    answers.append(bytes(key.data))
        assert len(answers) == SOCKET_POLLERS
        for answer in answers:
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200")
            assert f"X-Last-Id: {message['id']}".encode() in head
            assert json.loads(body)["payload"] == {"to": "all"}


@pytest.mark.parametrize(
    "argv",
    [
        ["serve", "--port", "abc"],
        ["serve", "--port", "70000"],
        ["serve", "--compat", "loose"],
        ["serve", "--account-key", "nothex"],
        ["serve", "--account-key", "c0ffee" * 6 + "0001"],
        ["serve", "--poll-timeout", "-1"],
        ["serve", "--poll-timeout", "soon"],
        ["serve", "--history-limit", "0"],
        ["serve", "--throttle", "fast"],
        ["serve", "--throttle", "0"],
        ["serve", "--bogus"],
        ["launch"],
        [],
    ],
)
def test_bad_options_give_one_line_and_exit_code_2(argv: list[str]) -> None:
    result = subprocess.run(command(*argv), capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("channels-mock: error:"), result.stderr
    assert "Traceback" not in result.stderr


def test_bad_poll_timeout_variable_is_a_bad_option() -> None:
    result = subprocess.run(
        command("serve", "--port", "0"),
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "CHANNEL_POLL_TIMEOUT": "forever"},
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("channels-mock: error: CHANNEL_POLL_TIMEOUT")


def test_a_busy_port_is_a_one_line_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = subprocess.run(
            command("serve", "--port", port), capture_output=True, text=True, timeout=30
        )
    assert result.returncode == 1
    assert result.stderr.strip().startswith("channels-mock: error: cannot listen")
    assert "Traceback" not in result.stderr


def test_faults_and_spec_commands() -> None:
    faults = subprocess.run(command("faults"), capture_output=True, text=True, timeout=30)
    assert faults.returncode == 0 and len(faults.stdout.splitlines()) == len(CATALOGUE)
    spec = subprocess.run(
        command("spec", "--format", "json"), capture_output=True, text=True, timeout=30
    )
    assert spec.returncode == 0
    assert json.loads(spec.stdout)["openapi"].startswith("3.1")
