"""Parked pollers: N long polls wait on one channel, one publish wakes them all.

For each N, a fresh mock: create a channel, warm the poll and publish paths, read the idle
RSS, open N keep-alive connections and send a poll on each, wait until the mock reports all N
parked (``/__mock__/stats``), read the RSS again, publish one message and time every answer
from the moment the publish was sent. Memory per parked poll is (parked RSS - idle RSS) / N.

The baseline is the bare responder under the same load: N requests held on ``/hold/`` and
answered by one ``POST /release/``.
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
MEMORY_TARGET_KB = 15
MEMORY_JUDGED_FROM = 1000  # below, page-sized RSS steps drown the figure


@dataclass
class Delivery:
    """What N parked pollers saw after one publish."""

    pollers: int
    answered_200: int
    latencies_ms: list[float]
    idle_rss_mb: float
    parked_rss_mb: float
    errors: int

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
            raise SystemExit(f"benchmarks: error: {count} pollers did not all park on the "
                             f"{server.name} within {PARK_DEADLINE:g} s")
        gevent.sleep(0.05)


def deliver(server: Server, count: int, poll: bytes, publish: bytes) -> Delivery:
    """Park ``count`` ``poll`` requests, send ``publish`` and time the answers."""
    control = server.connect()
    idle_rss = server.rss_mb()
    pollers = [Poller(server, poll) for _ in range(count)]
    greenlets = [gevent.spawn(poller.run) for poller in pollers]
    wait_parked(server, control, count)
    parked_rss = server.rss_mb()
    sent = time.perf_counter()
    control.exchange(publish)
    gevent.joinall(greenlets, timeout=PARK_DEADLINE)
    control.close()
    answers = [p.answer for p in pollers if p.answer is not None]
    return Delivery(count, sum(1 for a in answers if a.status == 200),
                    [(a.received_at - sent) * 1000 for a in answers], idle_rss, parked_rss,
                    sum(1 for p in pollers if p.failure))


def deliver_mock(count: int) -> Delivery:
    """N parked long polls on a fresh mock."""
    with servers.mock("--poll-timeout", str(POLL_TIMEOUT)) as server:
        headers = server.headers()
        channel = "pollers"
        warm = "warm"
        for name in (channel, warm):
            create_channel(server, name)
        setup = server.connect()
        setup.exchange(request_bytes("POST", f"{CHANNELS}{warm}/publish/", headers,
                                     {"payload": {"warm": True}}))
        setup.exchange(request_bytes("GET", f"{CHANNELS}{warm}/poll/?last_id=0", headers))
        setup.close()
        poll = request_bytes("GET", f"{CHANNELS}{channel}/poll/", headers)
        publish = request_bytes("POST", f"{CHANNELS}{channel}/publish/", headers,
                                {"payload": {"pollers": count}})
        return deliver(server, count, poll, publish)


def deliver_bare(count: int) -> Delivery:
    """N held requests on a fresh bare responder."""
    with servers.bare() as server:
        warm = server.connect()
        warm.exchange(request_bytes("GET", "/warm/"))
        warm.close()
        return deliver(server, count, request_bytes("GET", "/hold/"),
                       request_bytes("POST", "/release/", body={"payload": {}}))


def measure(counts: list[int]) -> list[Row]:
    """Rows of the table: delivery latency and memory per parked poll for each N."""
    rows = []
    for count in counts:
        mock, bare = deliver_mock(count), deliver_bare(count)
        target, met = latency_target(count, mock)
        rows.append(Row(f"publish -> delivery, {count:,} parked, p99", mock.p99, "ms",
                        bare.p99, target, met,
                        f"p50 {mock.p50:.0f} / max {mock.max:.0f} ms (bare {bare.p50:.0f} / "
                        f"{bare.max:.0f}); {mock.answered_200:,}/{count:,} answered 200"
                        + (f", {mock.errors:,} connection errors" if mock.errors else "")))
        judged = count >= MEMORY_JUDGED_FROM
        rows.append(Row(f"memory per parked poll, {count:,} parked", mock.kb_per_poll, "KB",
                        bare.kb_per_poll, "<= 15 KB" if judged else "",
                        mock.kb_per_poll <= MEMORY_TARGET_KB if judged else None,
                        f"RSS {mock.idle_rss_mb:.0f} -> {mock.parked_rss_mb:.0f} MB"))
    return rows


def latency_target(count: int, delivery: Delivery) -> tuple[str, bool | None]:
    """The issue's target for this N, and whether it is met (None when there is none)."""
    if count == 1000:
        return "p99 <= 150 ms", delivery.p99 <= 150 and delivery.answered_200 == count
    if count == 10000:
        return "all 200, p99 <= 1 s", delivery.p99 <= 1000 and delivery.answered_200 == count
    return "", None
