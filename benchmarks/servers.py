"""The servers under load, each in its own process on a free loopback port: the mock
(``python -m mock_server serve``) and the bare responders (``python -m benchmarks.bare``), all
on the stack of ``mock_server.server``. Their resident memory is read with psutil."""

from __future__ import annotations

import resource
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from benchmarks.client import Connection, request_bytes
from spec.protocol import READY_LINE

ROOT = Path(__file__).resolve().parent.parent
BENCH_INSTANCE = "bench"
CHANNELS = f"/v1.1/instances/{BENCH_INSTANCE}/channels/"
START_TIMEOUT = 60.0


@dataclass
class Server:
    """A running server process: where it listens, its account key, and its process."""

    name: str
    host: str
    port: int
    key: str
    process: psutil.Process

    def rss_mb(self) -> float:
        """Resident memory of the server process, in MiB."""
        return self.process.memory_info().rss / 2**20

    def cpu_seconds(self) -> float:
        """User and system CPU time the server process has used."""
        times = self.process.cpu_times()
        return times.user + times.system

    def connect(self) -> Connection:
        """A new keep-alive connection to this server."""
        return Connection(self.host, self.port)

    def headers(self) -> dict[str, str]:
        """The credentials of the mock's admin."""
        return {"X-API-KEY": self.key}


def raise_open_files_limit() -> int:
    """N parked connections need N descriptors in the client as well as in the server (which
    raises its own limit the same way); returns the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        return soft
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


@contextmanager
def running(name: str, command: list[str]) -> Iterator[Server]:
    """Start a server command that prints the ready line, and stop it afterwards."""
    process = subprocess.Popen(
        [sys.executable, *command],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = READY_LINE.search(line)
        if not found:
            raise SystemExit(f"benchmarks: error: the {name} did not start: {line!r}")
        yield Server(
            name, found["host"], int(found["port"]), found["key"] or "", psutil.Process(process.pid)
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def mock(*options: str) -> Iterator[Server]:
    """The mock with the benchmark instance created."""
    command = ["-m", "mock_server", "serve", "--port", "0", "--quiet", *options]
    with running("mock", command) as server:
        connection = server.connect()
        created = connection.exchange(
            request_bytes("POST", "/v1.1/instances/", server.headers(), {"name": BENCH_INSTANCE})
        )
        connection.close()
        if created.status != 201:
            raise SystemExit(f"benchmarks: error: cannot create the instance: {created.status}")
        yield server


@contextmanager
def bare(flavour: str = "wsgi") -> Iterator[Server]:
    """A bare responder: ``wsgi`` (plain WSGI) or ``flask`` (an empty Flask app)."""
    command = ["-m", "benchmarks.bare", "--port", "0", "--flavour", flavour]
    with running(f"bare {flavour} responder", command) as server:
        yield server


def create_channel(server: Server, name: str) -> None:
    """A channel of the benchmark instance that the admin may publish to."""
    connection = server.connect()
    created = connection.exchange(
        request_bytes("POST", CHANNELS, server.headers(), {"name": name, "custom_publish": True})
    )
    connection.close()
    if created.status != 201:
        raise SystemExit(f"benchmarks: error: cannot create channel {name}: {created.status}")
