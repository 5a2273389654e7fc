"""Long polling (area POLL): stored catch-up with last_id, waiting polls woken by publishes,
204 on timeout, query validation, fan-out to many pollers."""

from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from conformance import expect, shapes
from conformance.channel_api import ChannelApi, while_polling, woken
from conformance.client import Reply
from conformance.fixtures import World
from spec import protocol

WALK_MESSAGES = 20
FAN_OUT = 8


def _message_id(reply: Reply, wanted: int, what: str) -> dict[str, Any]:
    expect.status(reply, 200)
    message = expect.body_of(reply)
    expect.check(
        isinstance(message, dict) and message.get("id") == wanted,
        f"{what}: message {wanted}",
        reply,
    )
    return message


def _stored(api: ChannelApi, world: World, channel: str, count: int, room: Any = None) -> list[int]:
    kwargs = {"room": room} if room else {}
    return [api.published(channel, world.admin, {"n": n}, **kwargs)["id"] for n in range(count)]


@pytest.mark.requirement("POLL-001")
def test_poll_returns_the_oldest_newer_message_at_once(
    api: ChannelApi, world: World, chat: str
) -> None:
    first, second, _ = _stored(api, world, chat, 3)
    reply = api.poll(chat, world.admin, last_id=first)
    message = _message_id(reply, second, f"the oldest message after {first}")
    shapes.check_message(message, reply, links_to=None)


@pytest.mark.requirement("POLL-002")
def test_poll_from_zero_returns_the_oldest_message(
    api: ChannelApi, world: World, chat: str
) -> None:
    first, _ = _stored(api, world, chat, 2)
    _message_id(api.poll(chat, world.admin, last_id=0), first, "the oldest stored message")


@pytest.mark.requirement("POLL-003")
def test_poll_walks_stored_messages_one_by_one(api: ChannelApi, world: World, chat: str) -> None:
    ids = _stored(api, world, chat, 4)
    last_id = 0
    for wanted in ids:
        reply = api.poll(chat, world.admin, last_id=last_id)
        last_id = _message_id(reply, wanted, f"one message per poll, after {last_id}")["id"]


@pytest.mark.requirement("POLL-004")
def test_poll_without_last_id_waits_for_a_new_message(
    api: ChannelApi, world: World, chat: str
) -> None:
    _stored(api, world, chat, 2)
    replies, published = while_polling(
        api, chat, world.admin, lambda: api.published(chat, world.admin, {"new": 1})
    )
    woken(api, replies[0], published["id"], "the message published while waiting, not a stored one")


@pytest.mark.requirement("POLL-006")
def test_waiting_poll_is_released_by_a_publish(
    api: ChannelApi, world: World, chat: str, measure: Any
) -> None:
    newest = _stored(api, world, chat, 1)[0]
    replies, published = while_polling(
        api, chat, world.admin, lambda: api.publish(chat, world.admin, {"wake": 1}), last_id=newest
    )
    message = woken(
        api, replies[0], _message_id_of(published), "the message published while waiting"
    )
    shapes.check_message(message, replies[0], links_to=None)
    measure("poll_wakeup_latency_ms", round((replies[0].received_at - published.sent_at) * 1000, 1))


def _message_id_of(reply: Reply) -> int:
    expect.status(reply, 201)
    return expect.body_of(reply)["id"]


@pytest.mark.needs_poll_timeout
@pytest.mark.requirement("POLL-005")
@pytest.mark.parametrize("with_last_id", [False, True], ids=["no-last_id", "last_id-newest"])
def test_poll_times_out_with_204(
    with_last_id: bool, api: ChannelApi, world: World, chat: str
) -> None:
    newest = _stored(api, world, chat, 1)[0]
    reply = api.poll(
        chat, world.admin, last_id=newest if with_last_id else None, timeout=api.wait_timeout
    )
    expect.check(
        reply.status == 204 and reply.body == b"",
        "204 with an empty body at the poll timeout",
        reply,
    )


@pytest.mark.requirement("POLL-007")
@pytest.mark.parametrize("value", ["abc", "1x", "[1]"])
def test_poll_rejects_non_integer_last_id(
    value: str, api: ChannelApi, world: World, chat: str
) -> None:
    expect.json_reply(
        api.poll(chat, world.admin, last_id=value),
        400,
        {"last_id": ["A valid integer is required."]},
    )


@pytest.mark.parametrize(
    "last_id",
    [
        pytest.param("", id="empty", marks=pytest.mark.requirement("POLL-008")),
        pytest.param(-5, id="negative", marks=pytest.mark.requirement("POLL-014")),
    ],
)
def test_poll_with_empty_or_negative_last_id_waits(
    last_id: Any, api: ChannelApi, world: World, chat: str
) -> None:
    _stored(api, world, chat, 2)
    replies, published = while_polling(
        api,
        chat,
        world.admin,
        lambda: api.published(chat, world.admin, {"new": 1}),
        last_id=last_id,
    )
    woken(api, replies[0], published["id"], "the new message, not a stored one")


@pytest.mark.parametrize(
    ("room", "body"),
    [
        pytest.param(
            None, expect.ROOM_REQUIRED_BODY, id="absent", marks=pytest.mark.requirement("POLL-011")
        ),
        pytest.param(
            "", expect.ROOM_REQUIRED_BODY, id="empty", marks=pytest.mark.requirement("POLL-009")
        ),
        pytest.param(
            "   ",
            {"room": ["This field may not be blank."]},
            id="whitespace",
            marks=pytest.mark.requirement("POLL-012"),
        ),
        pytest.param(
            "r" * 129,
            {"room": ["Ensure this field has no more than 128 characters."]},
            id="129-chars",
            marks=pytest.mark.requirement("POLL-010"),
        ),
    ],
)
def test_poll_room_validation(
    room: str | None, body: dict[str, Any], api: ChannelApi, world: World, rooms: str
) -> None:
    expect.json_reply(api.poll(rooms, world.admin, last_id=0, room=room), 400, body)


@pytest.mark.requirement("POLL-010")
def test_poll_accepts_a_128_character_unicode_room(
    api: ChannelApi, world: World, rooms: str
) -> None:
    room = "ąę" * 64
    published = api.published(rooms, world.admin, {"u": 1}, room)
    _message_id(
        api.poll(rooms, world.admin, last_id=0, room=room),
        published["id"],
        "the message of the unicode room",
    )


@pytest.mark.requirement("POLL-013")
def test_many_waiting_pollers_each_get_the_message_once(
    api: ChannelApi, world: World, chat: str
) -> None:
    newest = _stored(api, world, chat, 1)[0]
    replies, first = while_polling(
        api,
        chat,
        world.admin,
        lambda: api.published(chat, world.admin, {"fan": 1}),
        last_id=newest,
        pollers=FAN_OUT,
    )
    for reply in replies:
        woken(api, reply, first["id"], "every poller gets the message")
    second = api.published(chat, world.admin, {"fan": 2})
    with ThreadPoolExecutor(FAN_OUT) as pool:
        again = list(
            pool.map(lambda _: api.poll(chat, world.admin, last_id=first["id"]), range(FAN_OUT))
        )
    for reply in again:
        _message_id(reply, second["id"], "the next message, not the same one again")


@pytest.mark.requirement("POLL-017")
def test_poll_is_not_woken_by_another_channel(
    api: ChannelApi, world: World, chat: str, new_channel: Any
) -> None:
    other = new_channel(custom_publish=True)
    newest = _stored(api, world, chat, 1)[0]

    def publish_elsewhere_then_here() -> dict[str, Any]:
        api.published(other, world.admin, {"elsewhere": 1})
        time.sleep(0.2)
        return api.published(chat, world.admin, {"here": 1})

    replies, here = while_polling(
        api, chat, world.admin, publish_elsewhere_then_here, last_id=newest
    )
    woken(api, replies[0], here["id"], "the message of this channel only")


@pytest.mark.needs_poll_timeout
@pytest.mark.requirement("POLL-017", "POLL-005")
def test_poll_times_out_despite_traffic_on_another_channel(
    api: ChannelApi, world: World, chat: str, new_channel: Any
) -> None:
    other = new_channel(custom_publish=True)
    newest = _stored(api, world, chat, 1)[0]
    replies, elsewhere = while_polling(
        api, chat, world.admin, lambda: api.published(other, world.admin, {"x": 1}), last_id=newest
    )
    expect.timed_out(replies[0], elsewhere, "POLL-017", "another channel")


@pytest.mark.requirement("POLL-018")
def test_poll_on_an_unknown_channel(api: ChannelApi, world: World) -> None:
    expect.detail(api.poll("no-such-channel", world.admin, last_id=0), 404, protocol.NOT_FOUND)


@pytest.mark.requirement("POLL-015")
def test_waited_delivery_carries_x_last_id(api: ChannelApi, world: World, chat: str) -> None:
    newest = _stored(api, world, chat, 1)[0]
    replies, published = while_polling(
        api, chat, world.admin, lambda: api.published(chat, world.admin, {"h": 1}), last_id=newest
    )
    expect.check(
        replies[0].headers.get("X-Last-Id") == str(published["id"]),
        f"X-Last-Id: {published['id']}",
        replies[0],
    )


@pytest.mark.requirement("POLL-016")
def test_stored_delivery_has_no_x_last_id(api: ChannelApi, world: World, chat: str) -> None:
    first = _stored(api, world, chat, 1)[0]
    reply = api.poll(chat, world.admin, last_id=first - 1)
    expect.status(reply, 200)
    expect.check("X-Last-Id" not in reply.headers, "no X-Last-Id header", reply)


@pytest.mark.requirement("POLL-003", "ID-002")
def test_poll_walk_sees_each_message_once_while_publishing(
    api: ChannelApi, world: World, chat: str
) -> None:
    """A poller following last_id sees every message exactly once, in order, while a publisher
    keeps publishing. Last in the module: it needs catch-up and wake-ups alike, so the focused
    checks above are the first to fail when one of them is broken. A poll answering a message
    not above last_id, or skipping one, breaks POLL-003; publishes answered with ids that do
    not go up break ID-002."""
    start = api.published(chat, world.admin, {"n": "start"})["id"]
    published: list[int] = []

    def publisher() -> None:
        for n in range(WALK_MESSAGES):
            published.append(api.published(chat, world.admin, {"n": n})["id"])
            time.sleep(0.005 * (n % 3))

    thread = threading.Thread(target=publisher)
    thread.start()
    seen: list[int] = []
    last_id = start
    deadline = time.monotonic() + api.wait_timeout * 2
    try:
        while len(seen) < WALK_MESSAGES and time.monotonic() < deadline:
            reply = api.poll(chat, world.admin, last_id=last_id, timeout=api.wait_timeout)
            if reply.status == 204:
                continue
            expect.status(reply, 200, "POLL-003")
            message_id = expect.body_of(reply, "POLL-003").get("id")
            expect.check(
                isinstance(message_id, int) and message_id > last_id,
                f"an id above last_id {last_id}",
                reply,
                "POLL-003",
            )
            seen.append(message_id)
            last_id = message_id
    finally:
        thread.join()
    ids = [start, *published]
    expect.check(
        all(a < b for a, b in itertools.pairwise(ids)),
        f"ids of successive publishes strictly increasing, got {ids}",
        None,
        "ID-002",
    )
    expect.check(
        seen == published, f"each of {published} once and in order, got {seen}", None, "POLL-003"
    )
