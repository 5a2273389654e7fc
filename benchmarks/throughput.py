"""Request rates over keep-alive connections: publish with 1 and 8 clients, polls that return
at once because a newer message already exists, and history pages. Each load runs in
alternating rounds against the bare WSGI responder, the bare Flask responder and the mock; the
median round of each is reported, with the server's CPU time per request, which the machine's
load hardly moves."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from benchmarks.client import Rate, constant_load, request_bytes
from benchmarks.servers import CHANNELS, Server, create_channel
from benchmarks.table import Row

PUBLISH_BODY = {"payload": {"text": "hello", "n": 1}}
PUBLISH_GOAL = 0.5  # of the bare WSGI responder's rate, 8 clients
HISTORY_MESSAGES = 20


@dataclass(frozen=True)
class Servers:
    """The mock and the two bare responders, loaded in turn."""

    mock: Server
    wsgi: Server
    flask: Server


@dataclass
class Comparison:
    """One load against the three servers: median rates, median server CPU per request, and
    how many answers had an unexpected status."""

    rate: float
    wsgi_rate: float
    flask_rate: float
    cpu_us: float
    wsgi_cpu_us: float
    flask_cpu_us: float
    errors: int

    def notes(self) -> str:
        errors = f"{self.errors} unexpected answers" if self.errors else "no errors"
        return (
            f"server CPU {self.cpu_us:.0f} us/request (WSGI {self.wsgi_cpu_us:.0f}, "
            f"Flask {self.flask_cpu_us:.0f}); {errors}"
        )


def timed_load(
    server: Server, clients: int, seconds: float, request: bytes, status: int
) -> tuple[Rate, float]:
    """One constant load, and the server's CPU time per request during it, in µs."""
    cpu_before = server.cpu_seconds()
    rate = constant_load(server.host, server.port, clients, seconds, request, status)
    cpu = server.cpu_seconds() - cpu_before
    return rate, cpu * 1e6 / max(rate.sent, 1)


def compare(
    servers: Servers, clients: int, seconds: float, rounds: int, request: bytes, mock_status: int
) -> Comparison:
    """The same bytes sent to each bare responder and to the mock, in alternating rounds."""
    runs: dict[str, list[tuple[Rate, float]]] = {"mock": [], "wsgi": [], "flask": []}
    for _ in range(rounds):
        for name, server, status in (
            ("wsgi", servers.wsgi, 200),
            ("flask", servers.flask, 200),
            ("mock", servers.mock, mock_status),
        ):
            runs[name].append(timed_load(server, clients, seconds, request, status))

    def rate(name: str) -> float:
        return statistics.median(r.per_second for r, _ in runs[name])

    def cpu(name: str) -> float:
        return statistics.median(c for _, c in runs[name])

    return Comparison(
        rate("mock"),
        rate("wsgi"),
        rate("flask"),
        cpu("mock"),
        cpu("wsgi"),
        cpu("flask"),
        sum(r.errors for measured in runs.values() for r, _ in measured),
    )


def row(name: str, unit: str, result: Comparison, goal: float | None = None) -> Row:
    """A rate row; with ``goal``, the least share of the bare WSGI rate that meets it."""
    met = None if goal is None else result.rate >= goal * result.wsgi_rate and not result.errors
    return Row(
        name,
        result.rate,
        unit,
        result.wsgi_rate,
        result.flask_rate,
        "" if goal is None else f">= {goal:g} x WSGI",
        met,
        result.notes(),
    )


def publish_rates(servers: Servers, seconds: float, rounds: int) -> list[Row]:
    """Publish throughput with 1 and 8 clients."""
    mock = servers.mock
    create_channel(mock, "throughput")
    publish = request_bytes("POST", f"{CHANNELS}throughput/publish/", mock.headers(), PUBLISH_BODY)
    one = compare(servers, 1, seconds, rounds, publish, 201)
    eight = compare(servers, 8, seconds, rounds, publish, 201)
    return [
        row("publish, 1 client", "msg/s", one),
        row("publish, 8 clients", "msg/s", eight, PUBLISH_GOAL),
    ]


def read_rates(servers: Servers, seconds: float, rounds: int) -> list[Row]:
    """Polls with ``last_id`` below a stored message (answered at once) and history pages of
    ``HISTORY_MESSAGES`` messages, 8 clients each."""
    mock = servers.mock
    create_channel(mock, "reads")
    connection = mock.connect()
    for _ in range(HISTORY_MESSAGES):
        connection.exchange(
            request_bytes("POST", f"{CHANNELS}reads/publish/", mock.headers(), PUBLISH_BODY)
        )
    connection.close()
    poll = request_bytes("GET", f"{CHANNELS}reads/poll/?last_id=0", mock.headers())
    history = request_bytes("GET", f"{CHANNELS}reads/history/", mock.headers())
    return [
        row(
            "poll answered at once, 8 clients",
            "req/s",
            compare(servers, 8, seconds, rounds, poll, 200),
        ),
        row(
            f"history page of {HISTORY_MESSAGES}, 8 clients",
            "req/s",
            compare(servers, 8, seconds, rounds, history, 200),
        ),
    ]
