"""Rooms (area ROOM): isolation between rooms, case folding, unicode, rooms on default
channels."""

from __future__ import annotations

import time
from typing import Any

import pytest

from conformance import expect
from conformance.channel_api import ChannelApi, while_polling, woken
from conformance.client import Reply
from conformance.fixtures import World


def _history_ids(reply: Reply) -> list[int]:
    expect.status(reply, 200)
    return [m.get("id") for m in expect.body_of(reply).get("objects", [])]


def _delivers(reply: Reply, message_id: int, what: str) -> None:
    expect.status(reply, 200)
    expect.check(
        expect.body_of(reply).get("id") == message_id, f"{what}: message {message_id}", reply
    )


@pytest.mark.requirement("ROOM-001")
def test_rooms_keep_their_messages_apart(api: ChannelApi, world: World, rooms: str) -> None:
    in_r1 = api.published(rooms, world.admin, {"r": 1}, "r1")
    in_r2 = api.published(rooms, world.admin, {"r": 2}, "r2")
    expect.check(
        _history_ids(api.history(rooms, world.admin, room="r1")) == [in_r1["id"]],
        "only r1's message",
        api.history(rooms, world.admin, room="r1"),
    )
    reply = api.history(rooms, world.admin, room="other")
    expect.check(_history_ids(reply) == [], "objects [] for a room without messages", reply)
    _delivers(
        api.poll(rooms, world.admin, last_id=0, room="r2"), in_r2["id"], "the oldest message of r2"
    )


@pytest.mark.requirement("ROOM-002")
def test_poll_is_not_woken_by_another_room(api: ChannelApi, world: World, rooms: str) -> None:
    seed = api.published(rooms, world.admin, {"seed": 1}, "a")

    def publish_b_then_a() -> dict[str, Any]:
        api.published(rooms, world.admin, {"b": 1}, "b")
        time.sleep(0.2)
        return api.published(rooms, world.admin, {"a": 1}, "a")

    replies, in_a = while_polling(
        api, rooms, world.admin, publish_b_then_a, last_id=seed["id"], room="a"
    )
    woken(api, replies[0], in_a["id"], "the message of room a only")


@pytest.mark.needs_poll_timeout
@pytest.mark.requirement("ROOM-002", "POLL-005")
def test_poll_times_out_despite_traffic_in_another_room(
    api: ChannelApi, world: World, rooms: str
) -> None:
    seed = api.published(rooms, world.admin, {"seed": 1}, "a")
    replies, elsewhere = while_polling(
        api,
        rooms,
        world.admin,
        lambda: api.published(rooms, world.admin, {"b": 1}, "b"),
        last_id=seed["id"],
        room="a",
    )
    expect.timed_out(replies[0], elsewhere, "ROOM-002", "another room")


@pytest.mark.requirement("ROOM-003")
def test_stored_room_lookups_ignore_case(api: ChannelApi, world: World, rooms: str) -> None:
    message = api.published(rooms, world.admin, {"case": 1}, "Room1")
    reply = api.history(rooms, world.admin, room="ROOM1")
    expect.check(_history_ids(reply) == [message["id"]], "the message of Room1 under ROOM1", reply)
    _delivers(
        api.poll(rooms, world.admin, last_id=0, room="ROOM1"), message["id"], "the message of Room1"
    )


@pytest.mark.requirement("ROOM-004")
def test_waiting_poll_is_woken_in_its_room(api: ChannelApi, world: World, rooms: str) -> None:
    seed = api.published(rooms, world.admin, {"seed": 1}, "lobby")
    replies, message = while_polling(
        api,
        rooms,
        world.admin,
        lambda: api.published(rooms, world.admin, {"hi": 1}, "lobby"),
        last_id=seed["id"],
        room="lobby",
    )
    woken(api, replies[0], message["id"], "the message published to lobby")


@pytest.mark.requirement("ROOM-006")
def test_mixed_case_publish_wakes_lowercase_poller(
    api: ChannelApi, world: World, rooms: str
) -> None:
    replies, message = while_polling(
        api,
        rooms,
        world.admin,
        lambda: api.published(rooms, world.admin, {"case": "Lobby"}, "Lobby"),
        room="lobby",
    )
    woken(api, replies[0], message["id"], "the message published to Lobby")


@pytest.mark.needs_poll_timeout
@pytest.mark.requirement("ROOM-005")
def test_mixed_case_publish_does_not_wake_lowercase_poller(
    api: ChannelApi, world: World, rooms: str
) -> None:
    seed = api.published(rooms, world.admin, {"seed": 1}, "lobby")
    replies, message = while_polling(
        api,
        rooms,
        world.admin,
        lambda: api.published(rooms, world.admin, {"case": "Lobby"}, "Lobby"),
        room="lobby",
    )
    expect.check(replies[0].status == 204, "204: the live wake-up misses Lobby", replies[0])
    _delivers(
        api.poll(rooms, world.admin, last_id=seed["id"], room="lobby"),
        message["id"],
        "the stored message",
    )


@pytest.mark.requirement("ROOM-007")
def test_unicode_rooms(api: ChannelApi, world: World, rooms: str) -> None:
    message = api.published(rooms, world.admin, {"u": 1}, "ąę")
    reply = api.history(rooms, world.admin, room="ąę")
    expect.check(_history_ids(reply) == [message["id"]], "the message in room ąę", reply)
    _delivers(
        api.poll(rooms, world.admin, last_id=0, room="ąę"), message["id"], "the message in room ąę"
    )


@pytest.mark.requirement("ROOM-008")
def test_default_channel_ignores_the_room(api: ChannelApi, world: World, chat: str) -> None:
    message = api.published(chat, world.admin, {"r": 1}, "x")
    _delivers(
        api.poll(chat, world.admin, last_id=0), message["id"], "the message, polled without room"
    )
    _delivers(
        api.poll(chat, world.admin, last_id=0, room="other"),
        message["id"],
        "the message, polled with another room",
    )
    replies, live = while_polling(
        api,
        chat,
        world.admin,
        lambda: api.published(chat, world.admin, {"r": 2}, "y"),
        last_id=message["id"],
        room="z",
    )
    woken(api, replies[0], live["id"], "the live message, whatever the rooms")


@pytest.mark.requirement("ROOM-009")
def test_default_channel_history_with_a_room_is_empty(
    api: ChannelApi, world: World, chat: str
) -> None:
    api.published(chat, world.admin, {"r": 1})
    reply = api.history(chat, world.admin, room="abc")
    expect.check(_history_ids(reply) == [], "objects []", reply)


@pytest.mark.requirement("ROOM-010")
def test_separate_rooms_history_with_an_empty_room_is_empty(
    api: ChannelApi, world: World, rooms: str
) -> None:
    api.published(rooms, world.admin, {"r": 1}, "r1")
    reply = api.history(rooms, world.admin, room="")
    expect.check(_history_ids(reply) == [], "objects []", reply)
