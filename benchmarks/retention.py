"""Memory under retention: the mock's RSS after many messages over many channels, and again
after more messages past the retention cap, which must not grow it."""

from __future__ import annotations

import gevent

from benchmarks import servers
from benchmarks.client import request_bytes
from benchmarks.servers import CHANNELS, Server, create_channel
from benchmarks.table import Row

PUBLISHERS = 8
PAYLOAD_TEXT = "x" * 100
EXTRA_FRACTION = 0.2
GROWTH_TOLERANCE = 0.5


def publish_round_robin(server: Server, channels: list[str], count: int, start: int) -> int:
    """``count`` messages spread evenly over ``channels`` by 8 clients; returns the number
    refused."""
    refused = [0]

    def publisher(client: int) -> None:
        connection = server.connect()
        for seq in range(start + client, start + count, PUBLISHERS):
            channel = channels[seq % len(channels)]
            answer = connection.exchange(
                request_bytes(
                    "POST",
                    f"{CHANNELS}{channel}/publish/",
                    server.headers(),
                    {"payload": {"seq": seq, "text": PAYLOAD_TEXT}},
                )
            )
            refused[0] += answer.status != 201
        connection.close()

    gevent.joinall([gevent.spawn(publisher, c) for c in range(PUBLISHERS)], raise_error=True)
    return refused[0]


def measure(messages: int, channel_count: int, history_limit: int) -> list[Row]:
    """Rows of the table: RSS after ``messages`` over ``channel_count`` channels (each at its
    cap), and after 20 % more, all past the cap: the cap holds if the RSS grows by less than
    half of what keeping them would cost (the rest is allocator noise)."""
    extra = int(messages * EXTRA_FRACTION)
    with servers.mock("--history-limit", str(history_limit)) as server:
        channels = [f"r{n}" for n in range(channel_count)]
        for name in channels:
            create_channel(server, name)
        publish_round_robin(server, channels, PUBLISHERS * 10, 0)
        idle = server.rss_mb()
        refused = publish_round_robin(server, channels, messages, 0)
        filled = server.rss_mb()
        refused += publish_round_robin(server, channels, extra, messages)
        after = server.rss_mb()
    retained = min(messages, channel_count * history_limit)
    per_message = (filled - idle) / retained
    growth = after - filled
    bounded = growth <= GROWTH_TOLERANCE * extra * per_message and not refused
    return [
        Row(
            f"RSS after {messages:,} messages / {channel_count} channels",
            filled,
            "MB",
            notes=f"idle {idle:.0f} MB; {per_message * 2**20:,.0f} B per retained message "
            f"(cap {history_limit:,} per channel)",
        ),
        Row(
            f"RSS after {extra:,} more, past the cap",
            after,
            "MB",
            goal="cap bounds it",
            met=bounded,
            notes=f"growth {growth:+.1f} MB; keeping them would add "
            f"{extra * per_message:.0f} MB" + (f"; {refused} publishes refused" if refused else ""),
        ),
    ]
