"""Request rates over keep-alive connections: publish with 1 and 8 clients, and polls that
return at once because a newer message already exists. Each load runs in alternating rounds
against the bare responder and the mock; the median round of each is reported."""

from __future__ import annotations

import statistics

from benchmarks.client import Rate, constant_load, request_bytes
from benchmarks.servers import CHANNELS, Server, create_channel
from benchmarks.table import Row

PUBLISH_BODY = {"payload": {"text": "hello", "n": 1}}
PUBLISH_TARGET = 0.75


def median_rates(mock: Server, bare: Server, clients: int, seconds: float, rounds: int,
                 request: bytes, mock_status: int) -> tuple[float, float, int]:
    """Median requests per second of the mock and of the bare responder (the same bytes sent
    to both), and how many answers had an unexpected status."""
    mock_rates: list[Rate] = []
    bare_rates: list[Rate] = []
    for _ in range(rounds):
        bare_rates.append(constant_load(bare.host, bare.port, clients, seconds, request, 200))
        mock_rates.append(constant_load(mock.host, mock.port, clients, seconds, request,
                                        mock_status))
    errors = sum(r.errors for r in mock_rates) + sum(r.errors for r in bare_rates)
    return (statistics.median(r.per_second for r in mock_rates),
            statistics.median(r.per_second for r in bare_rates), errors)


def publish_rates(mock: Server, bare: Server, seconds: float, rounds: int) -> list[Row]:
    """Publish throughput with 1 and 8 clients."""
    create_channel(mock, "throughput")
    publish = request_bytes("POST", f"{CHANNELS}throughput/publish/", mock.headers(),
                            PUBLISH_BODY)
    rows = []
    for clients in (1, 8):
        rate, bare_rate, errors = median_rates(mock, bare, clients, seconds, rounds, publish, 201)
        met: bool | None = None
        target = ""
        if clients == 8:
            target = f">= {PUBLISH_TARGET:.2f} x bare"
            met = rate >= PUBLISH_TARGET * bare_rate and not errors
        rows.append(Row(f"publish, {clients} client{'s' if clients > 1 else ''}", rate, "msg/s",
                        bare_rate, target, met, errors_note(errors)))
    return rows


def immediate_poll_rate(mock: Server, bare: Server, seconds: float, rounds: int) -> list[Row]:
    """Polls with ``last_id`` below a stored message: answered at once, 8 clients."""
    create_channel(mock, "immediate")
    connection = mock.connect()
    connection.exchange(request_bytes("POST", f"{CHANNELS}immediate/publish/", mock.headers(),
                                      PUBLISH_BODY))
    connection.close()
    poll = request_bytes("GET", f"{CHANNELS}immediate/poll/?last_id=0", mock.headers())
    rate, bare_rate, errors = median_rates(mock, bare, 8, seconds, rounds, poll, 200)
    return [Row("poll answered at once, 8 clients", rate, "req/s", bare_rate,
                notes=errors_note(errors))]


def errors_note(errors: int) -> str:
    return f"{errors} unexpected answers" if errors else "no errors"

