"""The ``last_id`` walk: a client reads a channel message by message, each poll asking for the
one after the id it last saw, and every message must arrive exactly once.

Two walks on a mock that keeps all of them (``--history-limit``): over messages already
stored (each poll answered at once; its rate is compared with the bare WSGI responder answering
the same number of sequential requests), and while 8 clients publish (the walker parks whenever it
catches up, so the wake-up path is walked too).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import gevent

from benchmarks import servers
from benchmarks.client import request_bytes
from benchmarks.servers import CHANNELS, Server, create_channel
from benchmarks.table import Row

PUBLISHERS = 8
WALK_POLL_TIMEOUT = 10.0
SEGMENTS = 5


@dataclass
class Walk:
    """What a walker received: message ids and payload tags, in order of arrival."""

    ids: list[int] = field(default_factory=list)
    tags: list[tuple[int, int]] = field(default_factory=list)
    finished_at: float = 0.0

    def lost(self, published: set[tuple[int, int]]) -> int:
        return len(published - set(self.tags))

    def repeated(self) -> int:
        return len(self.tags) - len(set(self.tags))

    def in_order(self) -> bool:
        return all(a < b for a, b in zip(self.ids, self.ids[1:], strict=False))


def publish_all(server: Server, channel: str, count: int) -> set[tuple[int, int]]:
    """``count`` messages from 8 concurrent clients; each payload is tagged (client, seq)."""
    published: set[tuple[int, int]] = set()
    path = f"{CHANNELS}{channel}/publish/"

    def publisher(client: int) -> None:
        connection = server.connect()
        for seq in range(client, count, PUBLISHERS):
            answer = connection.exchange(
                request_bytes("POST", path, server.headers(), {"payload": {"c": client, "s": seq}})
            )
            if answer.status == 201:
                published.add((client, seq))
        connection.close()

    gevent.joinall([gevent.spawn(publisher, c) for c in range(PUBLISHERS)], raise_error=True)
    return published


def walk(server: Server, channel: str, count: int, seen: Walk | None = None) -> Walk:
    """Poll with the last seen id until ``count`` more messages arrived (or a poll timed out);
    a walk may go on from where ``seen`` stopped."""
    seen = seen or Walk()
    connection = server.connect()
    path = f"{CHANNELS}{channel}/poll/?last_id="
    last_id = seen.ids[-1] if seen.ids else 0
    wanted = len(seen.ids) + count
    while len(seen.ids) < wanted:
        answer = connection.exchange(request_bytes("GET", f"{path}{last_id}", server.headers()))
        if answer.status != 200:
            break
        message = answer.json()
        last_id = message["id"]
        seen.ids.append(last_id)
        seen.tags.append((message["payload"]["c"], message["payload"]["s"]))
    seen.finished_at = time.perf_counter()
    connection.close()
    return seen


def sequential_seconds(server: Server, count: int) -> float:
    """How long one client takes to send ``count`` requests in turn to the bare responder."""
    connection = server.connect()
    request = request_bytes("GET", f"{CHANNELS}walk/poll/?last_id=1")
    started = time.perf_counter()
    for _ in range(count):
        connection.exchange(request)
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def stored_walk(server: Server, bare: Server, count: int) -> tuple[Walk, float, float]:
    """The walk over stored messages in segments, each followed by as many requests to the
    bare responder, so both see the same machine load; returns the walk and both rates."""
    seen = Walk()
    walking = baseline = 0.0
    for _ in range(SEGMENTS):
        started = time.perf_counter()
        walk(server, "walk", count // SEGMENTS, seen)
        walking += seen.finished_at - started
        baseline += sequential_seconds(bare, count // SEGMENTS)
    return seen, len(seen.ids) / walking, SEGMENTS * (count // SEGMENTS) / baseline


def check_note(seen: Walk, published: set[tuple[int, int]]) -> tuple[str, bool]:
    lost, repeated = seen.lost(published), seen.repeated()
    ok = not lost and not repeated and seen.in_order() and len(published) == len(seen.tags)
    order = "ids increasing" if seen.in_order() else "ids OUT OF ORDER"
    return f"{len(seen.tags):,} received, {lost} lost, {repeated} repeated, {order}", ok


def measure(count: int) -> list[Row]:
    """Rows of the table: the walk over stored messages and the walk during publishing."""
    options = ("--history-limit", str(count), "--poll-timeout", str(WALK_POLL_TIMEOUT))
    with servers.mock(*options) as server, servers.bare() as bare:
        create_channel(server, "walk")
        published = publish_all(server, "walk", count)
        stored, stored_rate, bare_rate = stored_walk(server, bare, count)

        create_channel(server, "live")
        walker = gevent.spawn(walk, server, "live", count)
        gevent.sleep(0.2)
        started = time.perf_counter()
        live_published = publish_all(server, "live", count)
        live = walker.get()
        live_rate = len(live.ids) / (live.finished_at - started)
    stored_note, stored_ok = check_note(stored, published)
    live_note, live_ok = check_note(live, live_published)
    return [
        Row(
            f"last_id walk over {count:,} stored",
            stored_rate,
            "msg/s",
            bare_rate,
            goal="none lost or repeated",
            met=stored_ok,
            notes=stored_note,
        ),
        Row(
            f"last_id walk while 8 clients publish {count:,}",
            live_rate,
            "msg/s",
            goal="none lost or repeated",
            met=live_ok,
            notes=live_note,
        ),
    ]
