"""Message ids (area ID): positive, strictly increasing within a channel and room and across
the instance, also when publishers run concurrently."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from conformance import expect
from conformance.channel_api import MISSING, ChannelApi
from conformance.client import Reply
from conformance.fixtures import World
from conformance.provision import Provisioner

PUBLISHERS = 4
PER_PUBLISHER = 8


Spot = tuple[str, Any]  # a channel and a room (MISSING on a room-less channel)


def _id_of(reply: Reply, req: expect.Req = "ID-001") -> int:
    """The id of a 201 publish answer; fails ``req`` unless it is a positive integer (ID-001)."""
    expect.status(reply, 201)
    message_id = expect.body_of(reply).get("id")
    expect.check(
        isinstance(message_id, int) and not isinstance(message_id, bool) and message_id > 0,
        f"a positive integer id, got {message_id!r}",
        reply,
        req,
    )
    return message_id


def _increasing(ids: list[int], replies: list[Reply], what: str, req: expect.Req = None) -> None:
    for before, after, reply in zip(ids, ids[1:], replies[1:], strict=False):
        expect.check(after > before, f"{what}: ids strictly increasing, got {ids}", reply, req)


@pytest.mark.requirement("ID-001", "ID-002")
@pytest.mark.parametrize("kind", ["default", "separate_rooms"])
def test_ids_increase_within_a_channel(
    kind: str, api: ChannelApi, world: World, new_channel: Any
) -> None:
    channel = new_channel(type=kind, custom_publish=True)
    room = "lobby" if kind == "separate_rooms" else MISSING
    replies = [api.publish(channel, world.admin, {"n": n}, room) for n in range(8)]
    ids = [_id_of(r) for r in replies]
    _increasing(ids, replies, f"publishes to {channel}", "ID-002")


@pytest.mark.requirement("ID-003")
def test_ids_increase_across_channels_and_rooms(
    api: ChannelApi, world: World, chat: str, rooms: str
) -> None:
    targets = [(chat, MISSING), (rooms, "r1"), (rooms, "r2"), (chat, MISSING), (rooms, "R1")]
    replies = [
        api.publish(channel, world.admin, {"n": n}, room)
        for n, (channel, room) in enumerate(targets * 2)
    ]
    ids = [_id_of(r, None) for r in replies]
    _increasing(ids, replies, "publishes to two channels and three rooms")


def _out_of_order(published: list[tuple[Spot, Reply, int]]) -> dict[bool, list[str]]:
    """Pairs of publishes whose ids break one instance-wide order (a repeated id, or a publish
    that finished first with the larger id), keyed by whether both went to the same spot."""
    found: dict[bool, list[str]] = {True: [], False: []}
    for (spot, earlier, first), (other, later, second) in itertools.permutations(published, 2):
        if first == second or (earlier.received_at < later.sent_at and first > second):
            found[spot == other].append(f"{first} then {second}")
    return found


@pytest.mark.requirement("ID-002", "ID-003")
def test_ids_under_concurrent_publishers(
    api: ChannelApi, world: World, chat: str, rooms: str
) -> None:
    """Threads publish at once: ids are unique, and a publish that finished before another
    started has the smaller id (one counter per instance, no reordering). Pairs of publishes
    to one channel and room answer to ID-002, pairs to different ones to ID-003."""
    spots: list[Spot] = [(chat, MISSING), (rooms, "a"), (rooms, "b")]

    def publisher(index: int) -> list[tuple[Spot, Reply]]:
        cycle = itertools.islice(itertools.cycle(spots), index, index + PER_PUBLISHER)
        return [
            ((channel, room), api.publish(channel, world.admin, {"p": index, "n": n}, room))
            for n, (channel, room) in enumerate(cycle)
        ]

    with ThreadPoolExecutor(PUBLISHERS) as pool:
        runs = list(pool.map(publisher, range(PUBLISHERS)))
    published = [(spot, reply, _id_of(reply, None)) for run in runs for spot, reply in run]
    found = _out_of_order(published)
    expect.each(
        None,
        [
            ("ID-002", not found[True], f"one order within a channel, got {found[True][:5]}"),
            ("ID-003", not found[False], f"one order across channels, got {found[False][:5]}"),
        ],
    )


@pytest.mark.requirement("ID-004")
def test_first_message_of_a_new_instance_has_id_1(
    provisioner: Provisioner, client: Any, api: ChannelApi, world: World, chat: str
) -> None:
    """Messages already exist in another instance: the new instance's sequence still starts
    at 1 (ids are not drawn from one sequence shared by every instance)."""
    api.published(chat, world.admin, {"elsewhere": "first"})
    instance = provisioner.create_instance()
    try:
        channel = provisioner.create_channel(instance, custom_publish=True)
        reply = client.post(
            instance.paths.publish(channel), instance.admin, json_body={"payload": {}}
        )
        expect.check(_id_of(reply, None) == 1, "id 1", reply)
    finally:
        provisioner.delete_instance(instance)
