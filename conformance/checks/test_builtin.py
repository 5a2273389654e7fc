"""The built-in channels default and eventlog (area BUILTIN), checked in a fresh instance."""

from __future__ import annotations

import pytest

from conformance import expect, shapes
from conformance.channel_api import ChannelApi
from conformance.fixtures import World
from spec import protocol

BUILTINS = {
    "default": ("BUILTIN-002", True),
    "eventlog": ("BUILTIN-003", False),
}


@pytest.fixture
def fresh(api: ChannelApi, other_world: World) -> ChannelApi:
    """Channel calls on the second, fresh instance."""
    return ChannelApi(api.client, other_world.paths, api.poll_timeout, 0)


@pytest.mark.requirement("BUILTIN-001", "PERM-001")
def test_new_instance_lists_the_builtins(fresh: ChannelApi, other_world: World) -> None:
    """The list answers as PERM-001 says; missing builtins break both requirements (the list
    must show every channel, and the builtins must be in it)."""
    admin = other_world.admin
    objects, replies = fresh.walk(fresh.list(admin), admin, {}, req="PERM-001")
    names = [o.get("name") for o in objects]
    expect.check(
        {"default", "eventlog"} <= set(names),
        f"default and eventlog listed, got {names}",
        replies[0],
    )


@pytest.mark.requirement("PERM-002")
def test_ignore_acl_key_lists_the_builtins(fresh: ChannelApi, other_world: World) -> None:
    caller = other_world.principal("ignore_acl")
    objects, replies = fresh.walk(fresh.list(caller), caller, {})
    names = [o.get("name") for o in objects]
    expect.check(
        {"default", "eventlog"} <= set(names),
        f"default and eventlog listed, got {names}",
        replies[0],
    )


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.requirement(r)) for n, (r, _) in BUILTINS.items()]
)
def test_builtin_representation(name: str, fresh: ChannelApi, other_world: World) -> None:
    reply = expect.status(fresh.detail(name, other_world.admin), 200)
    channel = shapes.check_channel(expect.body_of(reply), reply, fresh.paths)
    wanted = {
        "type": "separate_rooms",
        "custom_publish": BUILTINS[name][1],
        "group": None,
        "group_permissions": "none",
        "other_permissions": "none",
    }
    expect.check({k: channel[k] for k in wanted} == wanted, f"{name} with {wanted}", reply)


@pytest.mark.parametrize("caller", ["admin", "ignore_acl"])
@pytest.mark.parametrize(
    "name",
    [
        pytest.param("default", marks=pytest.mark.requirement("BUILTIN-004")),
        pytest.param("eventlog", marks=pytest.mark.requirement("BUILTIN-005")),
    ],
)
def test_builtins_cannot_be_deleted(
    name: str, caller: str, fresh: ChannelApi, other_world: World
) -> None:
    expect.denied(fresh.delete(name, other_world.principal(caller)))
    expect.status(fresh.detail(name, other_world.admin), 200)


@pytest.mark.requirement("BUILTIN-006")
def test_eventlog_refuses_custom_messages(fresh: ChannelApi, other_world: World) -> None:
    reply = fresh.publish("eventlog", other_world.admin, {"a": 1}, "r1")
    expect.detail(reply, 403, protocol.CUSTOM_PUBLISH_NOT_ALLOWED)


@pytest.mark.requirement("BUILTIN-007")
def test_default_accepts_custom_messages_with_a_room(fresh: ChannelApi, other_world: World) -> None:
    reply = expect.status(fresh.publish("default", other_world.admin, {"a": 1}, "r1"), 201)
    shapes.check_message(expect.body_of(reply), reply, links_to=(fresh.paths, "default"))


@pytest.mark.requirement("BUILTIN-008")
@pytest.mark.parametrize("name", ["default", "eventlog", "Default"])
def test_builtin_names_are_taken(name: str, fresh: ChannelApi, other_world: World) -> None:
    expect.json_reply(
        fresh.create(other_world.admin, {"name": name}),
        400,
        {"name": ["This field must be unique."]},
    )


@pytest.mark.requirement("BUILTIN-009")
@pytest.mark.parametrize("name", ["default", "eventlog"])
def test_builtins_can_be_patched(name: str, fresh: ChannelApi, other_world: World) -> None:
    reply = expect.status(
        fresh.update("PATCH", name, other_world.admin, {"description": f"{name} notes"}), 200
    )
    expect.check(
        expect.body_of(reply).get("description") == f"{name} notes", "the new description", reply
    )


@pytest.mark.requirement("PERM-048")
def test_users_cannot_delete_builtins(fresh: ChannelApi, other_world: World) -> None:
    admin = other_world.admin
    expect.status(fresh.update("PATCH", "default", admin, {"other_permissions": "subscribe"}), 200)
    try:
        expect.denied(fresh.delete("default", other_world.principal("non_member")))
        expect.status(fresh.detail("default", admin), 200)
    finally:
        fresh.update("PATCH", "default", admin, {"other_permissions": "none"})
