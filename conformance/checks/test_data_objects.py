"""Messages triggered by data objects (area DATA): create, update and delete of an object bound
to a channel add messages; validation and the publish-permission check on the channel."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import expect, shapes
from conformance.channel_api import ChannelApi
from conformance.client import Principal, Reply
from conformance.fixtures import World
from conformance.plugin import Target
from conformance.provision import Provisioner, ProvisionError, unique_name
from spec import protocol

HIDDEN = ("links", "channel", "channel_room")


class Objects:
    """Data-object calls on one class."""

    def __init__(self, api: ChannelApi, name: str) -> None:
        self.api = api
        self.name = name
        self.path = f"{api.paths.instance_root}classes/{name}/objects/"

    def create(self, principal: Principal, **body: Any) -> Reply:
        return self.api.client.post(self.path, principal, json_body=body)

    def created(self, principal: Principal, req: expect.Req = None, **body: Any) -> dict[str, Any]:
        return expect.body_of(expect.status(self.create(principal, **body), 201, req), req)

    def update(self, object_id: int, principal: Principal, **body: Any) -> Reply:
        return self.api.client.patch(f"{self.path}{object_id}/", principal, json_body=body)

    def delete(self, object_id: int, principal: Principal) -> Reply:
        return self.api.client.delete(f"{self.path}{object_id}/", principal)

    def titles(self, principal: Principal) -> list[Any]:
        reply = expect.status(
            self.api.client.get(self.path, principal, params={"page_size": 100}), 200
        )
        return [o.get("title") for o in expect.body_of(reply).get("objects", [])]


@pytest.fixture(scope="module")
def class_name(provisioner: Provisioner, world: World) -> str:
    name = unique_name("items").replace("-", "_")
    reply = provisioner.client.post(
        f"{world.paths.instance_root}classes/",
        world.admin,
        json_body={"name": name, "schema": [{"name": "title", "type": "string"}]},
    )
    if reply.status != 201:
        raise ProvisionError("create a data class", reply)
    return name


@pytest.fixture
def objects(api: ChannelApi, class_name: str) -> Objects:
    return Objects(api, class_name)


def _messages(
    api: ChannelApi, world: World, channel: str, room: str | None = None, req: expect.Req = None
) -> tuple[list[dict[str, Any]], Reply]:
    """The channel's (room's) history, oldest first."""
    params = {"ordering": "asc"} | ({"room": room} if room else {})
    reply = expect.status(api.history(channel, world.admin, **params), 200, req)
    return expect.body_of(reply, req).get("objects", []), reply


def _object_message(
    message: dict[str, Any],
    reply: Reply,
    api: ChannelApi,
    channel: str,
    action: str,
    class_name: str,
    author: Any,
    req: expect.Req = None,
    parts: shapes.Parts = shapes.NO_PARTS,
) -> None:
    """A data object's message: its shape, action, metadata and author, each judged for the
    requirement ``parts`` names for it (the rest for ``req``)."""
    shapes.check_message(
        message, reply, links_to=(api.paths, channel), kind="object", req=req, parts=parts
    )
    wanted = {
        "action": action,
        "metadata": {"type": "object", "class": class_name},
        "author": author,
    }
    expect.each(
        reply,
        [
            (parts.get(key, req), message.get(key) == value, f"a data-object message {key} {value}")
            for key, value in wanted.items()
        ],
    )


def _admin_author(target: Target, message: dict[str, Any]) -> Any:
    return {"admin": target.owner_id} if target.owner_id is not None else message.get("author")


@pytest.mark.requirement("DATA-001", "DATA-002", "DATA-015")
def test_create_adds_a_message(
    api: ChannelApi, world: World, target: Target, objects: Objects, chat: str
) -> None:
    obj = objects.created(world.admin, "DATA-001", title="a", channel=chat)
    messages, reply = _messages(api, world, chat)
    expect.check(len(messages) == 1, "one message", reply, "DATA-001")
    author = _admin_author(target, messages[0])
    parts = {"author": "DATA-015", "payload": "DATA-002"}
    _object_message(
        messages[0], reply, api, chat, "create", objects.name, author, "DATA-001", parts
    )
    wanted = {k: v for k, v in obj.items() if k not in HIDDEN}
    expect.check(messages[0]["payload"] == wanted, f"payload {wanted}", reply, "DATA-002")


@pytest.mark.requirement("DATA-003", "DATA-004")
def test_update_and_delete_add_messages(
    api: ChannelApi, world: World, target: Target, objects: Objects, chat: str
) -> None:
    obj = objects.created(world.admin, title="a", channel=chat)
    updated = expect.status(objects.update(obj["id"], world.admin, title="b"), 200, "DATA-003")
    patched = expect.body_of(updated, "DATA-003")
    expect.status(objects.delete(obj["id"], world.admin), 204, "DATA-004")
    messages, reply = _messages(api, world, chat)
    actions = [m.get("action") for m in messages]
    expect.each(
        reply,
        [
            ("DATA-003", actions.count("update") == 1, f"one update message, got {actions}"),
            ("DATA-004", actions.count("delete") == 1, f"one delete message, got {actions}"),
        ],
    )
    expect.check(
        actions == ["create", "update", "delete"],
        "create, update and delete messages in that order",
        reply,
    )
    update, delete = messages[1], messages[2]
    author = _admin_author(target, update)
    _object_message(update, reply, api, chat, "update", objects.name, author, "DATA-003")
    _object_message(delete, reply, api, chat, "delete", objects.name, author, "DATA-004")
    payload = update["payload"]
    expect.check(
        payload.get("id") == obj["id"]
        and payload.get("title") == "b"
        and "created_at" not in payload
        and "owner_permissions" not in payload,
        "an update payload with the object id and only the changed fields",
        reply,
        "DATA-003",
    )
    expect.check(
        all(patched.get(k) == v for k, v in payload.items()),
        f"changed values as PATCH answered {patched}",
        reply,
        "DATA-003",
    )
    expect.check(
        delete["payload"] == {"id": obj["id"]}, f'payload {{"id": {obj["id"]}}}', reply, "DATA-004"
    )


@pytest.mark.requirement("DATA-005")
def test_objects_without_channel_add_no_message(
    api: ChannelApi, world: World, objects: Objects, chat: str
) -> None:
    before = api.published(chat, world.admin, {"mark": 1})
    obj = objects.created(world.admin, title="free")
    expect.status(objects.update(obj["id"], world.admin, title="free-2"), 200)
    expect.status(objects.delete(obj["id"], world.admin), 204)
    messages, reply = _messages(api, world, chat)
    expect.check(
        [m["id"] for m in messages] == [before["id"]], "no message besides the marker", reply
    )


@pytest.mark.parametrize(
    ("kind", "body", "error"),
    [
        pytest.param(
            "default",
            {"channel": "no-such-channel"},
            {"channel": ["Object with name=no-such-channel does not exist."]},
            id="unknown-channel",
            marks=pytest.mark.requirement("DATA-006"),
        ),
        pytest.param(
            "separate_rooms",
            {},
            {
                "non_field_errors": [
                    "Channel room field is required for channels with separate rooms."
                ]
            },
            id="room-missing",
            marks=pytest.mark.requirement("DATA-007"),
        ),
        pytest.param(
            "separate_rooms",
            {"channel_room": "r" * 65},
            {"channel_room": ["Ensure this field has no more than 64 characters."]},
            id="room-65",
            marks=pytest.mark.requirement("DATA-008"),
        ),
    ],
)
def test_object_channel_validation(
    kind: str,
    body: dict[str, Any],
    error: dict[str, Any],
    api: ChannelApi,
    world: World,
    objects: Objects,
    new_channel: Any,
) -> None:
    channel = new_channel(type=kind)
    title = unique_name("t")
    reply = objects.create(world.admin, title=title, **({"channel": channel} | body))
    expect.json_reply(reply, 400, error)
    expect.check(title not in objects.titles(world.admin), "no object created", reply)


@pytest.mark.requirement("DATA-008", "DATA-009")
def test_messages_go_to_the_object_room(
    api: ChannelApi, world: World, objects: Objects, rooms: str
) -> None:
    room = "r" * 64  # the longest room DATA-008 allows
    obj = objects.created(world.admin, "DATA-008", title="r", channel=rooms, channel_room=room)
    messages, reply = _messages(api, world, rooms, room, "DATA-009")
    expect.check(
        [m["payload"].get("id") for m in messages] == [obj["id"]],
        "the create message in the object's room",
        reply,
        "DATA-009",
    )
    others, other_reply = _messages(api, world, rooms, "other", "DATA-009")
    expect.check(others == [], "nothing in another room", other_reply, "DATA-009")
    polled = expect.status(api.poll(rooms, world.admin, last_id=0, room=room), 200, "DATA-009")
    expect.check(
        expect.body_of(polled, "DATA-009").get("id") == messages[0]["id"],
        "the create message by poll",
        polled,
        "DATA-009",
    )


@pytest.mark.requirement("DATA-010")
def test_room_is_ignored_on_default_channels(
    api: ChannelApi, world: World, objects: Objects, chat: str
) -> None:
    obj = objects.created(world.admin, title="x", channel=chat, channel_room="r1")
    messages, reply = _messages(api, world, chat)
    expect.check(
        [m["payload"].get("id") for m in messages] == [obj["id"]],
        "the message in the room-less history",
        reply,
    )


@pytest.mark.requirement("DATA-011")
def test_channel_is_read_only_after_creation(
    api: ChannelApi, world: World, objects: Objects, rooms: str, chat: str
) -> None:
    obj = objects.created(world.admin, title="x", channel=rooms, channel_room="r1")
    expect.status(
        objects.update(obj["id"], world.admin, title="y", channel=chat, channel_room="r9"), 200
    )
    messages, reply = _messages(api, world, rooms, "r1")
    expect.check(
        [m["action"] for m in messages] == ["create", "update"],
        "both messages in the original room",
        reply,
    )
    moved, moved_reply = _messages(api, world, chat)
    expect.check(moved == [], "nothing in the other channel", moved_reply)


@pytest.mark.requirement("DATA-012")
@pytest.mark.parametrize("other", ["none", "subscribe"])
def test_user_below_publish_cannot_bind_objects(
    other: str, api: ChannelApi, world: World, objects: Objects, new_channel: Any
) -> None:
    channel = new_channel(other_permissions=other)
    title = unique_name("t")
    reply = objects.create(world.principal("non_member"), title=title, channel=channel)
    expect.detail(reply, 403, "You do not have permission to publish data to specified channel.")
    expect.check(title not in objects.titles(world.admin), "the object not created", reply)
    messages, history = _messages(api, world, channel)
    expect.check(messages == [], "no message", history)


@pytest.mark.requirement("DATA-013", "DATA-014")
def test_user_with_publish_binds_objects(
    api: ChannelApi, world: World, objects: Objects, new_channel: Any
) -> None:
    channel = new_channel(other_permissions="publish", custom_publish=False)
    user = world.principal("non_member")
    created = objects.create(user, title="mine", channel=channel)
    refused_for_custom_publish = created.json_or_none() == {
        "detail": protocol.CUSTOM_PUBLISH_NOT_ALLOWED
    }
    expect.check(
        not refused_for_custom_publish,
        "no custom_publish check on data objects",
        created,
        "DATA-014",
    )
    obj = expect.body_of(expect.status(created, 201, "DATA-013"), "DATA-013")
    messages, reply = _messages(api, world, channel)
    expect.check(
        [m["payload"].get("id") for m in messages] == [obj["id"]],
        "the create message, though custom_publish is false",
        reply,
        "DATA-014",
    )
    author = {"api_key": world.plain.id, "user": world.non_member.id}
    _object_message(messages[0], reply, api, channel, "create", objects.name, author, "DATA-013")


@pytest.mark.requirement("ID-003")
def test_object_messages_share_the_id_sequence(
    api: ChannelApi, world: World, objects: Objects, chat: str, rooms: str
) -> None:
    first = api.published(rooms, world.admin, {"n": 1}, "r1")
    objects.created(world.admin, title="seq", channel=chat)
    last = api.published(rooms, world.admin, {"n": 2}, "r1")
    messages, reply = _messages(api, world, chat)
    middle = messages[0]["id"]
    expect.check(
        first["id"] < middle < last["id"], f"{first['id']} < {middle} < {last['id']}", reply
    )


@pytest.mark.requirement("DATA-016")
def test_patch_without_change_still_adds_a_message(
    api: ChannelApi, world: World, objects: Objects, chat: str
) -> None:
    obj = objects.created(world.admin, title="same", channel=chat)
    same = expect.body_of(expect.status(objects.update(obj["id"], world.admin, title="same"), 200))
    messages, reply = _messages(api, world, chat)
    expect.check(
        [m["action"] for m in messages] == ["create", "update"], "an update message", reply
    )
    wanted = {k: v for k, v in same.items() if k not in HIDDEN}
    expect.check(
        messages[1]["payload"] == wanted and same["revision"] == obj["revision"],
        f"the whole object {wanted}, revision unchanged",
        reply,
    )
