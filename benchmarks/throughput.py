"""Request rates over keep-alive connections: publish with 1 and 8 clients, and polls that
return at once because a newer message already exists. Each load runs in alternating rounds
against the bare responder and the mock; the median round of each is reported, with the
server's CPU time per request, which the machine's load hardly moves."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from benchmarks.client import Rate, constant_load, request_bytes
from benchmarks.servers import CHANNELS, Server, create_channel
from benchmarks.table import Row

PUBLISH_BODY = {"payload": {"text": "hello", "n": 1}}
PUBLISH_TARGET = 0.75


@dataclass
class Comparison:
    """One load against both servers: median rates, median server CPU per request, and how
    many answers had an unexpected status."""

    rate: float
    bare_rate: float
    cpu_us: float
    bare_cpu_us: float
    errors: int

    def notes(self) -> str:
        errors = f"{self.errors} unexpected answers" if self.errors else "no errors"
        return f"server CPU {self.cpu_us:.0f} us/request (bare {self.bare_cpu_us:.0f}); {errors}"


def timed_load(
    server: Server, clients: int, seconds: float, request: bytes, status: int
) -> tuple[Rate, float]:
    """One constant load, and the server's CPU time per request during it, in µs."""
    cpu_before = server.cpu_seconds()
    rate = constant_load(server.host, server.port, clients, seconds, request, status)
    cpu = server.cpu_seconds() - cpu_before
    return rate, cpu * 1e6 / max(rate.sent, 1)


def compare(
    mock: Server,
    bare: Server,
    clients: int,
    seconds: float,
    rounds: int,
    request: bytes,
    mock_status: int,
) -> Comparison:
    """The same bytes sent to the bare responder and to the mock, in alternating rounds."""
    mock_runs = []
    bare_runs = []
    for _ in range(rounds):
        bare_runs.append(timed_load(bare, clients, seconds, request, 200))
        mock_runs.append(timed_load(mock, clients, seconds, request, mock_status))
    return Comparison(
        statistics.median(rate.per_second for rate, _ in mock_runs),
        statistics.median(rate.per_second for rate, _ in bare_runs),
        statistics.median(cpu for _, cpu in mock_runs),
        statistics.median(cpu for _, cpu in bare_runs),
        sum(rate.errors for rate, _ in mock_runs + bare_runs),
    )


def publish_rates(mock: Server, bare: Server, seconds: float, rounds: int) -> list[Row]:
    """Publish throughput with 1 and 8 clients."""
    create_channel(mock, "throughput")
    publish = request_bytes("POST", f"{CHANNELS}throughput/publish/", mock.headers(), PUBLISH_BODY)
    rows = []
    for clients in (1, 8):
        result = compare(mock, bare, clients, seconds, rounds, publish, 201)
        met: bool | None = None
        target = ""
        if clients == 8:
            target = f">= {PUBLISH_TARGET:.2f} x bare"
            met = result.rate >= PUBLISH_TARGET * result.bare_rate and not result.errors
        rows.append(
            Row(
                f"publish, {clients} client{'s' if clients > 1 else ''}",
                result.rate,
                "msg/s",
                result.bare_rate,
                target,
                met,
                result.notes(),
            )
        )
    return rows


def immediate_poll_rate(mock: Server, bare: Server, seconds: float, rounds: int) -> list[Row]:
    """Polls with ``last_id`` below a stored message: answered at once, 8 clients."""
    create_channel(mock, "immediate")
    connection = mock.connect()
    connection.exchange(
        request_bytes("POST", f"{CHANNELS}immediate/publish/", mock.headers(), PUBLISH_BODY)
    )
    connection.close()
    poll = request_bytes("GET", f"{CHANNELS}immediate/poll/?last_id=0", mock.headers())
    result = compare(mock, bare, 8, seconds, rounds, poll, 200)
    return [
        Row(
            "poll answered at once, 8 clients",
            result.rate,
            "req/s",
            result.bare_rate,
            notes=result.notes(),
        )
    ]
