"""Throttling, opt-in with --rate-limit N: a burst past the per-instance limit
is answered 429 with Retry-After. It runs in its own instance, so no other check is slowed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance import expect
from conformance.client import Client, Reply
from conformance.provision import Instance, Provisioner
from spec import protocol

BURST_THREADS = 8


@pytest.fixture
def busy(provisioner: Provisioner) -> Iterator[tuple[Instance, str]]:
    """A fresh instance with one channel that accepts custom messages."""
    instance = provisioner.create_instance()
    try:
        yield instance, provisioner.create_channel(instance, custom_publish=True)
    finally:
        time.sleep(1.1)  # let the throttled one-second window pass before cleaning up
        provisioner.delete_instance(instance)


def burst(client: Client, instance: Instance, channel: str, count: int) -> list[Reply]:
    """``count`` publishes sent as fast as a few threads can, past the client's own pacing
    and 429 handling, so the target's 429s are seen as they come."""
    path = instance.paths.publish(channel)
    with ThreadPoolExecutor(BURST_THREADS) as pool:
        return list(
            pool.map(
                lambda n: client.post(
                    path, instance.admin, json_body={"payload": {"n": n}}, throttling_check=True
                ),
                range(count),
            )
        )


@pytest.mark.needs_rate_limit
@pytest.mark.requirement("THR-001")
def test_burst_past_the_limit_is_throttled(
    client: Client, busy: tuple[Instance, str], request: pytest.FixtureRequest
) -> None:
    instance, channel = busy
    replies = burst(client, instance, channel, 3 * request.config.getoption("rate_limit"))
    for reply in replies:
        expect.check(reply.status in (201, 429), "201 or 429 for each publish", reply)
    throttled = [r for r in replies if r.status == 429]
    expect.check(throttled, f"at least one 429 among {len(replies)} publishes", replies[-1])
    for reply in throttled:
        expect.detail(reply, 429, protocol.THROTTLED)
        expect.check(reply.headers.get("Retry-After") == "1", "Retry-After: 1", reply)
