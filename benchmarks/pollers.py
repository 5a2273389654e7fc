"""Parked pollers: N long polls wait on one channel, one publish wakes them all.

For each N, a fresh mock: create a channel, warm the poll and publish paths, read the idle
RSS, open N keep-alive connections and send a poll on each, wait until the mock reports all N
parked (``/__mock__/stats``), read the RSS again, publish one message and time every answer
from the moment the publish was sent (each poller then closes its connection). Memory per
parked poll is (parked RSS - idle RSS) / N; the server's CPU time from the publish to the last
answer, divided by N, is the cost of one answer, a figure the machine's load hardly moves.

The baseline is the bare WSGI responder (the limit of the server stack) under the same load,
in alternating rounds: N requests held on ``/hold/`` and answered by one ``POST /release/``.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import gevent

from benchmarks import servers
from benchmarks.client import Answer, Connection, percentile, request_bytes
from benchmarks.servers import CHANNELS, Server, create_channel
from benchmarks.table import Row

PARK_DEADLINE = 120.0
POLL_TIMEOUT = 120.0
MEMORY_GOAL_KB = 15
LATENCY_GOALS_MS = {1000: 100, 5000: 500, 10000: 1000}  # p99, every poll answered 200
MEASURED_FROM = 1000  # below, page-sized RSS steps and 10 ms CPU ticks drown the figures
SETTLE_SECONDS = 0.5  # the server closes the answered connections before the next round


@dataclass
class Delivery:
    """What N parked pollers saw after one publish."""

    pollers: int
    answered_200: int
    latencies_ms: list[float]
    idle_rss_mb: float
    parked_rss_mb: float
    errors: int
    cpu_us_per_answer: float

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("inf")

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 0.99) if self.latencies_ms else float("inf")

    @property
    def max(self) -> float:
        return max(self.latencies_ms) if self.latencies_ms else float("inf")

    @property
    def kb_per_poll(self) -> float:
        return (self.parked_rss_mb - self.idle_rss_mb) * 1024 / self.pollers


class Poller:
    """One parked request on its own connection."""

    def __init__(self, server: Server, request: bytes) -> None:
        self.connection = server.connect()
        self.request = request
        self.answer: Answer | None = None
        self.failure = ""

    def run(self) -> None:
        try:
            self.answer = self.connection.exchange(self.request)
        except OSError as exc:
            self.failure = str(exc)
        finally:
            self.connection.close()


def wait_parked(server: Server, connection: Connection, count: int) -> None:
    """Until the server reports ``count`` parked requests."""
    ask = request_bytes("GET", "/__mock__/stats", server.headers())
    deadline = time.monotonic() + PARK_DEADLINE
    while connection.exchange(ask).json()["subscriptions"] < count:
        if time.monotonic() > deadline:
            raise SystemExit(
                f"benchmarks: error: {count} pollers did not all park on the "
                f"{server.name} within {PARK_DEADLINE:g} s"
            )
        gevent.sleep(0.05)


def deliver(server: Server, count: int, poll: bytes, publish: bytes) -> Delivery:
    """Park ``count`` ``poll`` requests, send ``publish`` and time the answers."""
    control = server.connect()
    idle_rss = server.rss_mb()
    pollers = [Poller(server, poll) for _ in range(count)]
    greenlets = [gevent.spawn(poller.run) for poller in pollers]
    wait_parked(server, control, count)
    parked_rss = server.rss_mb()
    cpu_before = server.cpu_seconds()
    sent = time.perf_counter()
    control.exchange(publish)
    gevent.joinall(greenlets, timeout=PARK_DEADLINE)
    cpu = server.cpu_seconds() - cpu_before
    control.close()
    gevent.sleep(SETTLE_SECONDS)
    answers = [p.answer for p in pollers if p.answer is not None]
    return Delivery(
        count,
        sum(1 for a in answers if a.status == 200),
        [(a.received_at - sent) * 1000 for a in answers],
        idle_rss,
        parked_rss,
        sum(1 for p in pollers if p.failure),
        cpu * 1e6 / count,
    )


def mock_load(server: Server, count: int) -> tuple[bytes, bytes]:
    """The poll and publish requests of one channel, after warming both paths up."""
    headers = server.headers()
    for name in ("pollers", "warm"):
        create_channel(server, name)
    warm = server.connect()
    warm.exchange(
        request_bytes("POST", f"{CHANNELS}warm/publish/", headers, {"payload": {"warm": True}})
    )
    warm.exchange(request_bytes("GET", f"{CHANNELS}warm/poll/?last_id=0", headers))
    warm.close()
    return (
        request_bytes("GET", f"{CHANNELS}pollers/poll/", headers),
        request_bytes(
            "POST", f"{CHANNELS}pollers/publish/", headers, {"payload": {"pollers": count}}
        ),
    )


def bare_load(server: Server) -> tuple[bytes, bytes]:
    """The held request and the release of the bare responder, after one warm-up request."""
    warm = server.connect()
    warm.exchange(request_bytes("GET", "/warm/"))
    warm.close()
    return request_bytes("GET", "/hold/"), request_bytes("POST", "/release/", body={})


def median_run(runs: list[Delivery]) -> Delivery:
    """The run with the median p99."""
    return sorted(runs, key=lambda run: run.p99)[len(runs) // 2]


def measure(counts: list[int], rounds: int) -> list[Row]:
    """Rows of the table: delivery latency and memory per parked poll for each N. Each N gets
    a fresh mock and bare responder, and ``rounds`` deliveries on each, alternating; latency
    is the median round's, memory the first round's (later rounds reuse freed memory)."""
    rows = []
    for count in counts:
        mock_runs: list[Delivery] = []
        bare_runs: list[Delivery] = []
        with servers.mock("--poll-timeout", str(POLL_TIMEOUT)) as mock, servers.bare() as bare:
            mock_requests, bare_requests = mock_load(mock, count), bare_load(bare)
            for _ in range(rounds):
                mock_runs.append(deliver(mock, count, *mock_requests))
                bare_runs.append(deliver(bare, count, *bare_requests))
        rows += delivery_rows(count, median_run(mock_runs), median_run(bare_runs))
        rows += memory_rows(count, mock_runs[0], bare_runs[0])
    return rows


def delivery_rows(count: int, mock: Delivery, bare: Delivery) -> list[Row]:
    goal, met = latency_goal(count, mock)
    rows = [
        Row(
            f"publish -> delivery, {count:,} parked, p99",
            mock.p99,
            "ms",
            bare.p99,
            goal=goal,
            met=met,
            notes=f"p50 {mock.p50:.0f} / max {mock.max:.0f} ms (WSGI {bare.p50:.0f} / "
            f"{bare.max:.0f}); {mock.answered_200:,}/{count:,} answered 200"
            + (f", {mock.errors:,} connection errors" if mock.errors else ""),
        )
    ]
    if count >= MEASURED_FROM:
        rows.append(
            Row(
                f"server CPU per answer, {count:,} parked",
                mock.cpu_us_per_answer,
                "us",
                bare.cpu_us_per_answer,
                notes="CPU time from the publish to the last answer, / N",
            )
        )
    return rows


def memory_rows(count: int, mock: Delivery, bare: Delivery) -> list[Row]:
    judged = count >= MEASURED_FROM
    return [
        Row(
            f"memory per parked poll, {count:,} parked",
            mock.kb_per_poll,
            "KB",
            bare.kb_per_poll,
            goal=f"<= {MEMORY_GOAL_KB} KB" if judged else "",
            met=mock.kb_per_poll <= MEMORY_GOAL_KB if judged else None,
            notes=f"RSS {mock.idle_rss_mb:.0f} -> {mock.parked_rss_mb:.0f} MB",
        )
    ]


def latency_goal(count: int, delivery: Delivery) -> tuple[str, bool | None]:
    """The issue's goal for this N, and whether it is met (None when there is none)."""
    goal = LATENCY_GOALS_MS.get(count)
    if goal is None:
        return "", None
    return f"all 200, p99 <= {goal:,} ms", delivery.p99 <= goal and delivery.answered_200 == count
