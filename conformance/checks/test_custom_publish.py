"""The custom_publish requirement (area CPUB, seed): off by default, checked after
the permission check and before body and room validation, switchable at once."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import expect
from conformance.channel_api import ChannelApi
from conformance.fixtures import World
from conformance.provision import unique_name
from spec import protocol

TRUE_FORMS = [True, "true", "True", "1", 1, "yes", "on", "t", "y"]
FALSE_FORMS = [False, "false", "0", 0, "no", "off", "f", "n"]


def _closed(new_channel: Any, world: World, **fields: Any) -> str:
    """A channel everybody could publish to, were it not for custom_publish false."""
    return new_channel(
        custom_publish=False,
        group=world.group.id,
        group_permissions="publish",
        other_permissions="publish",
        **fields,
    )


@pytest.mark.requirement("CHAN-001", "CPUB-001")
def test_custom_publish_is_off_by_default(api: ChannelApi, world: World, new_channel: Any) -> None:
    channel = new_channel()
    reply = expect.status(api.detail(channel, world.admin), 200, "CHAN-001")
    expect.check(
        expect.body_of(reply).get("custom_publish") is False,
        "custom_publish false by default",
        reply,
        "CHAN-001",
    )
    published = api.publish(channel, world.admin, {"a": 1})
    expect.detail(published, 403, protocol.CUSTOM_PUBLISH_NOT_ALLOWED, "CPUB-001")


@pytest.mark.parametrize(
    "caller",
    [
        pytest.param("admin", marks=pytest.mark.requirement("CPUB-001")),
        pytest.param("ignore_acl", marks=pytest.mark.requirement("CPUB-002")),
        pytest.param("ignore_acl_user", marks=pytest.mark.requirement("CPUB-002")),
        pytest.param("member", marks=pytest.mark.requirement("CPUB-003")),
        pytest.param("non_member", marks=pytest.mark.requirement("CPUB-003")),
    ],
)
def test_custom_publish_false_refuses_every_publisher(
    caller: str, api: ChannelApi, world: World, new_channel: Any
) -> None:
    channel = _closed(new_channel, world)
    expect.detail(
        api.publish(channel, world.principal(caller), {"a": 1}),
        403,
        protocol.CUSTOM_PUBLISH_NOT_ALLOWED,
    )
    history = expect.body_of(expect.status(api.history(channel, world.admin), 200))
    expect.check(
        history.get("objects") == [],
        "no message stored after a refused publish",
        api.history(channel, world.admin),
    )


@pytest.mark.requirement("CPUB-004")
@pytest.mark.parametrize("caller", ["non_member", "key_without_user"])
def test_permission_check_comes_before_custom_publish(
    caller: str, api: ChannelApi, world: World, new_channel: Any
) -> None:
    channel = new_channel(custom_publish=False, other_permissions="subscribe")
    expect.denied(api.publish(channel, world.principal(caller), {"a": 1}))


@pytest.mark.requirement("PUB-001")
def test_size_limit_comes_before_custom_publish(
    api: ChannelApi, world: World, new_channel: Any
) -> None:
    channel = _closed(new_channel, world)
    body = b'{"payload": {"x": "' + b"a" * 65537 + b'"}}'
    reply = api.client.post(
        api.paths.publish(channel),
        world.admin,
        data=body,
        headers={"Content-Type": "application/json"},
    )
    expect.detail(reply, 413, protocol.request_too_large())


@pytest.mark.requirement("CPUB-001")
@pytest.mark.parametrize(
    ("kind", "body"),
    [
        pytest.param("default", {"payload": "abc"}, id="invalid-payload"),
        pytest.param("default", {"payload": [1]}, id="list-payload"),
        pytest.param("default", {"payload": {"a": 1}, "room": "x" * 129}, id="room-too-long"),
        pytest.param("separate_rooms", {"payload": {"a": 1}}, id="room-missing"),
    ],
)
def test_custom_publish_comes_before_body_and_room_checks(
    kind: str, body: dict[str, Any], api: ChannelApi, world: World, new_channel: Any
) -> None:
    channel = _closed(new_channel, world, type=kind)
    reply = api.client.post(api.paths.publish(channel), world.admin, json_body=body)
    expect.detail(reply, 403, protocol.CUSTOM_PUBLISH_NOT_ALLOWED)


@pytest.mark.requirement("CPUB-005", "CHAN-015")
def test_seed_example_channel_accepts_user_messages(api: ChannelApi, world: World) -> None:
    """The seed's creation request, custom_publish sent as the string "true"."""
    body = {
        "name": unique_name(),
        "type": "default",
        "other_permissions": "publish",
        "custom_publish": "true",
    }
    created = expect.body_of(expect.status(api.create(world.admin, body), 201, "CHAN-015"))
    expect.check(
        created.get("custom_publish") is True,
        "custom_publish returned as the boolean true",
        api.detail(created["name"], world.admin),
        "CHAN-015",
    )
    reply = api.publish(created["name"], world.principal("non_member"), {"content": "hello!"})
    expect.status(reply, 201, "CPUB-005")


@pytest.mark.requirement("CPUB-006")
def test_patch_switches_custom_publish_at_once(
    api: ChannelApi, world: World, new_channel: Any
) -> None:
    channel = new_channel(other_permissions="publish")
    member = world.principal("non_member")
    expect.detail(api.publish(channel, member, {"n": 0}), 403, protocol.CUSTOM_PUBLISH_NOT_ALLOWED)
    expect.status(api.update("PATCH", channel, world.admin, {"custom_publish": True}), 200)
    expect.status(api.publish(channel, member, {"n": 1}), 201)
    expect.status(api.update("PATCH", channel, world.admin, {"custom_publish": False}), 200)
    expect.detail(api.publish(channel, member, {"n": 2}), 403, protocol.CUSTOM_PUBLISH_NOT_ALLOWED)


@pytest.mark.requirement("CHAN-022", "CPUB-006")
def test_put_switches_custom_publish_at_once(
    api: ChannelApi, world: World, new_channel: Any
) -> None:
    channel = new_channel(other_permissions="publish")
    full = {
        "description": "",
        "group": None,
        "group_permissions": "none",
        "other_permissions": "publish",
    }
    opened = api.update("PUT", channel, world.admin, {**full, "custom_publish": True})
    expect.status(opened, 200, "CHAN-022")
    expect.status(api.publish(channel, world.admin, {"n": 1}), 201, "CPUB-006")
    closed = api.update("PUT", channel, world.admin, {**full, "custom_publish": False})
    expect.status(closed, 200, "CHAN-022")
    expect.detail(
        api.publish(channel, world.admin, {"n": 2}),
        403,
        protocol.CUSTOM_PUBLISH_NOT_ALLOWED,
        "CPUB-006",
    )


@pytest.mark.requirement("CPUB-007")
@pytest.mark.parametrize(
    ("form", "meaning"),
    [pytest.param(f, True, id=f"true-{f!r}") for f in TRUE_FORMS]
    + [pytest.param(f, False, id=f"false-{f!r}") for f in FALSE_FORMS],
)
def test_custom_publish_boolean_forms(
    form: Any, meaning: bool, api: ChannelApi, world: World, new_channel: Any
) -> None:
    """Every documented boolean form is accepted, returned as a JSON boolean and obeyed."""
    channel = new_channel(custom_publish=not meaning)
    reply = api.update("PATCH", channel, world.admin, {"custom_publish": form})
    expect.status(reply, 200)
    expect.check(
        expect.body_of(reply).get("custom_publish") is meaning,
        f"custom_publish returned as {meaning}",
        reply,
    )
    published = api.publish(channel, world.admin, {"form": str(form)})
    if meaning:
        expect.status(published, 201)
    else:
        expect.detail(published, 403, protocol.CUSTOM_PUBLISH_NOT_ALLOWED)


@pytest.mark.requirement("CHAN-016")
def test_custom_publish_rejects_other_values(api: ChannelApi, world: World) -> None:
    reply = api.create(world.admin, {"name": unique_name(), "custom_publish": "maybe"})
    expect.json_reply(reply, 400, {"custom_publish": ['"maybe" is not a valid boolean.']})
