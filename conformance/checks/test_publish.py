"""Publish (area PUB): the size limit, payload forms, room validation, body media types."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import expect
from conformance.channel_api import MISSING, ChannelApi
from conformance.client import ANONYMOUS
from conformance.fixtures import World
from conformance.provision import random_key
from spec import protocol
from spec.protocol import PUBLISH_LIMIT

JSON = {"Content-Type": "application/json"}


def sized_body(size: int) -> bytes:
    """A valid publish body of exactly ``size`` bytes."""
    head, tail = b'{"payload": {"x": "', b'"}}'
    return head + b"a" * (size - len(head) - len(tail)) + tail


@pytest.mark.requirement("PUB-001")
@pytest.mark.parametrize(
    "situation", ["admin", "no-key", "unknown-key", "unknown-channel", "unknown-instance"]
)
def test_oversized_publish_is_refused_before_any_other_check(
    situation: str, api: ChannelApi, world: World, chat: str
) -> None:
    caller = {"no-key": ANONYMOUS, "unknown-key": world.principal("invalid_key")}.get(
        situation, world.admin
    )
    path = api.paths.publish(chat)
    if situation == "unknown-channel":
        path = api.paths.publish("no-such-channel")
    elif situation == "unknown-instance":
        path = path.replace(
            f"/instances/{world.instance.name}/", f"/instances/{random_key('api')[:20]}x/"
        )
    reply = api.client.post(path, caller, data=sized_body(PUBLISH_LIMIT + 1), headers=JSON)
    expect.detail(reply, 413, protocol.request_too_large())


@pytest.mark.requirement("PUB-002")
def test_publish_of_exactly_the_limit_is_accepted(api: ChannelApi, world: World, chat: str) -> None:
    body = sized_body(PUBLISH_LIMIT)
    reply = api.client.post(api.paths.publish(chat), world.admin, data=body, headers=JSON)
    expect.status(reply, 201)
    payload = expect.body_of(reply).get("payload", {})
    expect.check(len(payload.get("x", "")) == PUBLISH_LIMIT - 22, "the whole payload stored", reply)


@pytest.mark.parametrize(
    ("payload", "stored"),
    [
        pytest.param(
            {"text": "hi"}, {"text": "hi"}, id="object", marks=pytest.mark.requirement("PUB-003")
        ),
        pytest.param(
            '{"a": 1}', {"a": 1}, id="json-string", marks=pytest.mark.requirement("PUB-004")
        ),
        pytest.param(MISSING, {}, id="absent", marks=pytest.mark.requirement("PUB-005")),
        pytest.param("", {}, id="empty-string", marks=pytest.mark.requirement("PUB-005")),
        pytest.param({}, {}, id="empty-object", marks=pytest.mark.requirement("PUB-003")),
    ],
)
def test_payload_forms(
    payload: Any, stored: dict[str, Any], api: ChannelApi, world: World, chat: str
) -> None:
    reply = api.publish(chat, world.admin, payload)
    expect.status(reply, 201)
    expect.check(expect.body_of(reply).get("payload") == stored, f"payload {stored}", reply)


@pytest.mark.requirement("PUB-005")
def test_empty_body_publishes_an_empty_payload(api: ChannelApi, world: World, chat: str) -> None:
    reply = api.client.post(api.paths.publish(chat), world.admin)
    expect.status(reply, 201)
    expect.check(expect.body_of(reply).get("payload") == {}, "payload {}", reply)


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        pytest.param(
            "abc",
            "Not a valid JSON string.",
            id="not-json",
            marks=pytest.mark.requirement("PUB-006"),
        ),
        pytest.param(
            [1],
            "Payload passed in invalid format.",
            id="array",
            marks=pytest.mark.requirement("PUB-007"),
        ),
        pytest.param(
            5,
            "Payload passed in invalid format.",
            id="number",
            marks=pytest.mark.requirement("PUB-007"),
        ),
        pytest.param(
            "[1]",
            "Payload passed in invalid format.",
            id="string-array",
            marks=pytest.mark.requirement("PUB-007"),
        ),
        pytest.param(
            '"x"',
            "Payload passed in invalid format.",
            id="string-string",
            marks=pytest.mark.requirement("PUB-007"),
        ),
        pytest.param(
            None, "This field may not be null.", id="null", marks=pytest.mark.requirement("PUB-008")
        ),
    ],
)
def test_invalid_payloads(
    payload: Any, error: str, api: ChannelApi, world: World, chat: str
) -> None:
    expect.json_reply(api.publish(chat, world.admin, payload), 400, {"payload": [error]})
    history = expect.body_of(api.history(chat, world.admin))
    expect.check(
        history.get("objects") == [],
        "nothing stored after a refused publish",
        api.history(chat, world.admin),
    )


@pytest.mark.parametrize(
    ("room", "error"),
    [
        pytest.param(
            "r" * 129,
            "Ensure this field has no more than 128 characters.",
            id="129-chars",
            marks=pytest.mark.requirement("PUB-009"),
        ),
        pytest.param(
            "", "This field may not be blank.", id="empty", marks=pytest.mark.requirement("PUB-010")
        ),
        pytest.param(
            "   ",
            "This field may not be blank.",
            id="whitespace",
            marks=pytest.mark.requirement("PUB-010"),
        ),
        pytest.param(
            None, "This field may not be null.", id="null", marks=pytest.mark.requirement("PUB-011")
        ),
        pytest.param(
            {"a": 1}, "Not a valid string.", id="object", marks=pytest.mark.requirement("PUB-011")
        ),
        pytest.param(
            True, "Not a valid string.", id="boolean", marks=pytest.mark.requirement("PUB-011")
        ),
    ],
)
def test_invalid_rooms(room: Any, error: str, api: ChannelApi, world: World, rooms: str) -> None:
    expect.json_reply(api.publish(rooms, world.admin, {"a": 1}, room), 400, {"room": [error]})


@pytest.mark.requirement("PUB-009")
def test_room_of_128_characters_is_accepted(api: ChannelApi, world: World, rooms: str) -> None:
    room = "r" * 128
    message = api.published(rooms, world.admin, {"long": 1}, room)
    page = expect.body_of(api.history(rooms, world.admin, room=room))
    expect.check(
        [m["id"] for m in page["objects"]] == [message["id"]],
        "the message in its room",
        api.history(rooms, world.admin, room=room),
    )


@pytest.mark.requirement("PUB-012")
def test_separate_rooms_publish_needs_a_room(api: ChannelApi, world: World, rooms: str) -> None:
    expect.json_reply(api.publish(rooms, world.admin, {"a": 1}), 400, expect.ROOM_REQUIRED_BODY)


@pytest.mark.parametrize(
    ("content_type", "body", "accepting", "decoding"),
    [
        pytest.param(
            "application/x-www-form-urlencoded",
            "payload=%7B%22f%22%3A%201%7D",
            "PUB-013",
            "PUB-004",
            id="form",
            marks=pytest.mark.requirement("PUB-013", "PUB-004"),
        ),
        pytest.param(
            "text/plain",
            '{"payload": {"f": 1}}',
            None,
            None,
            id="text-plain",
            marks=pytest.mark.requirement("PUB-014"),
        ),
    ],
)
def test_other_body_media_types(
    content_type: str,
    body: str,
    accepting: str | None,
    decoding: str | None,
    api: ChannelApi,
    world: World,
    chat: str,
) -> None:
    """The media type is accepted (``accepting``). A form value is a string, so decoding the
    JSON text it carries is the rule of string payloads (``decoding``: PUB-004); None: the
    check's one requirement."""
    reply = api.client.post(
        api.paths.publish(chat), world.admin, data=body, headers={"Content-Type": content_type}
    )
    expect.status(reply, 201, accepting)
    payload = expect.body_of(reply, accepting).get("payload")
    expect.check(payload == {"f": 1}, 'payload {"f": 1}', reply, decoding)


@pytest.mark.requirement("PUB-015")
def test_unknown_publish_keys_are_ignored(api: ChannelApi, world: World, chat: str) -> None:
    body = {
        "payload": {"a": 1},
        "author": {"admin": 987654},
        "metadata": {"type": "forged"},
        "action": "delete",
        "extra": True,
    }
    reply = api.client.post(
        api.paths.publish(chat), world.ignore_acl.principal("ignore_acl key"), json_body=body
    )
    expect.status(reply, 201)
    message = expect.body_of(reply)
    expect.check("extra" not in message, "no extra key in the message", reply)
    expect.check(
        message.get("author") == {"api_key": world.ignore_acl.id}
        and message.get("metadata") == {"type": "message"}
        and message.get("action") == "custom",
        "author, metadata and action set by the server, not by the body",
        reply,
    )


@pytest.mark.requirement("PUB-016")
def test_unicode_payload_round_trip(api: ChannelApi, world: World, chat: str) -> None:
    payload = {"t": "zażółć ąę", "emoji": "🙂", "cjk": "频道", "nested": {"ü": ["ß", {"ñ": None}]}}
    message = api.published(chat, world.admin, payload)
    expect.check(message["payload"] == payload, "the payload unchanged in the publish answer", None)
    polled = api.poll(chat, world.admin, last_id=message["id"] - 1)
    expect.check(
        expect.body_of(polled).get("payload") == payload, "the payload unchanged in poll", polled
    )
    item = api.history_item(chat, message["id"], world.admin)
    expect.check(
        expect.body_of(item).get("payload") == payload, "the payload unchanged in history", item
    )


@pytest.mark.requirement("PUB-017")
def test_publish_room_is_trimmed(api: ChannelApi, world: World, rooms: str) -> None:
    message = api.published(rooms, world.admin, {"trim": 1}, " r1 ")
    reply = api.history(rooms, world.admin, room="r1")
    ids = [m.get("id") for m in expect.body_of(reply).get("objects", [])]
    expect.check(ids == [message["id"]], "the message found in room r1", reply)
