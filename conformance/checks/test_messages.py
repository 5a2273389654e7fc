"""Message shape (area MSG): every message seen through publish, poll and history is
validated against spec/schemas, with the author each kind of caller gets and the links."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import expect, shapes
from conformance.channel_api import MISSING, ChannelApi
from conformance.client import Principal, Reply
from conformance.fixtures import World
from conformance.plugin import Target

SHAPE = ("MSG-001", "MSG-002", "MSG-003", "MSG-007", "MSG-008")
# The part of a publish answer each requirement of SHAPE is about (MSG-001: the rest).
SHAPE_PARTS = {
    "action": "MSG-002",
    "metadata": "MSG-003",
    "links": "MSG-007",
    "created_at": "MSG-008",
}
CALLERS = {
    "admin": "MSG-004",
    "admin_with_user_key": "AUTH-010",
    "ignore_acl": "MSG-005",
    "ignore_acl_user": "MSG-006",
    "member": "MSG-006",
}


def expected_author(code: str, world: World, target: Target) -> dict[str, Any] | None:
    """The author a caller must get; None for the admin of an instance this run did not
    create (its id is unknown, so only the schema can be checked)."""
    if code.startswith("admin"):
        return {"admin": target.owner_id} if target.owner_id is not None else None
    if code == "ignore_acl":
        return {"api_key": world.ignore_acl.id}
    key = world.ignore_acl if code == "ignore_acl_user" else world.plain
    return {"api_key": key.id, "user": world.member.id}


def caller(code: str, world: World) -> Principal:
    if code == "admin_with_user_key":
        return world.admin.with_user("account key + user key", world.member.user_key)
    return world.principal(code)


@pytest.fixture
def open_chat(new_channel: Any, world: World) -> str:
    """A channel the world's member may publish to (group publish, custom_publish true)."""
    return new_channel(custom_publish=True, group=world.group.id, group_permissions="publish")


def seen_everywhere(
    api: ChannelApi, admin: Principal, channel: str, message_id: int, room: str | None = None
) -> list[tuple[dict[str, Any], Reply, bool]]:
    """The message as poll, the history list and history detail return it:
    (message, reply, carries links)."""
    params = {"room": room} if room else {}
    polled = expect.status(api.poll(channel, admin, last_id=message_id - 1, room=room), 200)
    listed = expect.status(api.history(channel, admin, **params), 200)
    item = expect.status(api.history_item(channel, message_id, admin, **params), 200)
    in_list = [m for m in expect.body_of(listed).get("objects", []) if m.get("id") == message_id]
    expect.check(len(in_list) == 1, f"message {message_id} once in history", listed)
    return [
        (expect.body_of(polled), polled, False),
        (in_list[0], listed, True),
        (expect.body_of(item), item, True),
    ]


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(code, marks=pytest.mark.requirement(*SHAPE, req))
        for code, req in CALLERS.items()
    ],
)
def test_publish_answer_shape(
    code: str, api: ChannelApi, world: World, target: Target, open_chat: str
) -> None:
    payload = {"from": code}
    reply = expect.status(api.publish(open_chat, caller(code, world), payload), 201)
    parts = {**SHAPE_PARTS, "author": CALLERS[code]}
    message = shapes.check_message(
        expect.body_of(reply), reply, links_to=(api.paths, open_chat), req="MSG-001", parts=parts
    )
    author = expected_author(code, world, target)
    if author is None:
        author = message.get("author")
        expect.check(set(author or {}) == {"admin"}, 'author {"admin": <id>}', reply, CALLERS[code])
    shapes.custom_message(message, reply, author, payload, "MSG-001", parts)


@pytest.mark.requirement("MSG-010", "MSG-011", "HIST-006", "HIST-014")
@pytest.mark.parametrize("code", list(CALLERS))
def test_message_is_the_same_in_poll_and_history(
    code: str, api: ChannelApi, world: World, open_chat: str
) -> None:
    """Poll, the history list and history detail show the published message (MSG-010), each
    with the links it must have: none by poll (MSG-011), self in the list (HIST-006) and in
    the detail (HIST-014)."""
    published = expect.body_of(
        expect.status(api.publish(open_chat, caller(code, world), {"n": code}), 201)
    )
    core = {k: v for k, v in published.items() if k != "links"}
    links = shapes.message_links(api.paths, open_chat, published["id"])
    polled, listed, item = seen_everywhere(api, world.admin, open_chat, published["id"])
    for (message, reply, _), links_req, links_wanted in (
        (polled, "MSG-011", None),
        (listed, "HIST-006", links),
        (item, "HIST-014", links),
    ):
        expect.check(isinstance(message, dict), "a message object", reply)
        seen = {k: v for k, v in message.items() if k != "links"}
        links_right = (
            message.get("links") == links_wanted if links_wanted else "links" not in message
        )
        expect.each(
            reply,
            [
                ("MSG-010", seen == core, f"the published message {core}"),
                (links_req, links_right, f"links {links_wanted}" if links_wanted else "no links"),
            ],
        )


def _round_trip(payload: Any, stored: Any, name: str, publish_req: str) -> Any:
    """A payload case: what is published, what must be stored, and the requirement of the
    publish rule it follows (beside MSG-010, the same message everywhere)."""
    return pytest.param(
        payload,
        stored,
        publish_req,
        id=name,
        marks=pytest.mark.requirement("MSG-010", publish_req),
    )


# Publish rules that also name what poll and history return.
RETURNED_UNCHANGED = frozenset({"PUB-016"})


@pytest.mark.parametrize(
    ("payload", "stored", "publish_req"),
    [
        _round_trip({"text": "hi"}, {"text": "hi"}, "object", "PUB-003"),
        _round_trip('{"k": [1, 2]}', {"k": [1, 2]}, "json-string", "PUB-004"),
        _round_trip({"ü": "żółw 频道 🙂"}, {"ü": "żółw 频道 🙂"}, "unicode", "PUB-016"),
        _round_trip(
            {"a": {"b": [1, {"c": None, "d": [True, 1.5, "x"]}]}},
            {"a": {"b": [1, {"c": None, "d": [True, 1.5, "x"]}]}},
            "nested",
            "PUB-003",
        ),
        _round_trip(MISSING, {}, "empty", "PUB-005"),
    ],
)
def test_payload_round_trip(
    payload: Any, stored: Any, publish_req: str, api: ChannelApi, world: World, chat: str
) -> None:
    reply = expect.status(api.publish(chat, world.admin, payload), 201, publish_req)
    message = expect.body_of(reply, publish_req)
    answered = message.get("payload") if isinstance(message, dict) else None
    expect.check(answered == stored, f"payload {stored}", reply, publish_req)
    judged = ["MSG-010", *([publish_req] if publish_req in RETURNED_UNCHANGED else [])]
    for seen, seen_reply, _ in seen_everywhere(api, world.admin, chat, message["id"]):
        same = seen.get("payload") == stored
        expect.each(seen_reply, [(rid, same, f"the published payload {stored}") for rid in judged])


@pytest.mark.requirement("MSG-009")
def test_messages_carry_no_room(api: ChannelApi, world: World, rooms: str) -> None:
    reply = expect.status(api.publish(rooms, world.admin, {"r": 1}, "lobby"), 201)
    message = expect.body_of(reply)
    expect.check("room" not in message, "no room key", reply)
    for seen, seen_reply, _ in seen_everywhere(
        api, world.admin, rooms, message["id"], room="lobby"
    ):
        expect.check("room" not in seen, "no room key", seen_reply)


@pytest.mark.requirement("MSG-007", "CHAN-029")
def test_links_use_the_stored_channel_name(api: ChannelApi, world: World, chat: str) -> None:
    """Publishing under the upper-cased name reaches the channel (CHAN-029); the answer links
    to the stored, lower-case name (MSG-007)."""
    reply = expect.status(api.publish(chat.upper(), world.admin, {"case": 1}), 201, "CHAN-029")
    message = expect.body_of(reply, "CHAN-029")
    expect.check(isinstance(message, dict), "a message object", reply, "CHAN-029")
    links = shapes.message_links(api.paths, chat, message.get("id"))
    expect.check(
        message.get("links") == links,
        f"links {links}, got {message.get('links')}",
        reply,
        "MSG-007",
    )
