"""Authentication (area AUTH): where keys come from, unknown keys, user keys, keys of
another instance, and the set-up endpoints the suite provisions with."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conformance import expect
from conformance.channel_api import ChannelApi
from conformance.client import ANONYMOUS, Principal, Reply
from conformance.fixtures import World
from conformance.provision import Provisioner, random_key, unique_name
from spec import protocol

HEX40 = re.compile(r"^[0-9a-f]{40}$")


@pytest.fixture
def private(new_channel: Any, world: World) -> str:
    """A channel only the world's group may read (the member's L is subscribe)."""
    return new_channel(
        group=world.group.id, group_permissions="subscribe", other_permissions="none"
    )


@pytest.mark.requirement("AUTH-001")
@pytest.mark.parametrize("kind", ["api", "account"])
def test_unknown_40_hex_key(kind: str, api: ChannelApi, private: str) -> None:
    caller = Principal("unknown key", random_key(kind))
    expect.detail(api.detail(private, caller), 403, protocol.NO_SUCH_KEY)
    expect.detail(api.list(caller), 403, protocol.NO_SUCH_KEY)


@pytest.mark.requirement("AUTH-002")
@pytest.mark.parametrize("key", ["not-a-key", "1234", "g" * 40])
def test_malformed_key(key: str, api: ChannelApi, private: str) -> None:
    expect.detail(api.detail(private, Principal("malformed key", key)), 403, protocol.NO_SUCH_KEY)


@pytest.mark.requirement("AUTH-003")
@pytest.mark.parametrize("code", ["ignore_acl", "key_without_user", "member"])
def test_keys_of_another_instance(
    code: str, api: ChannelApi, other_world: World, private: str
) -> None:
    caller = other_world.principal(code)
    expect.detail(api.detail(private, caller), 403, protocol.NO_SUCH_KEY)
    expect.detail(api.list(caller), 403, protocol.NO_SUCH_KEY)


@pytest.mark.parametrize(
    "user_key",
    [
        pytest.param("unknown", marks=pytest.mark.requirement("AUTH-009")),
        pytest.param("other-instance", marks=pytest.mark.requirement("AUTH-011")),
    ],
)
@pytest.mark.parametrize("operation", ["private-detail", "open-detail", "open-publish"])
def test_bad_user_key_counts_as_no_user(
    user_key: str,
    operation: str,
    api: ChannelApi,
    world: World,
    other_world: World,
    new_channel: Any,
) -> None:
    """The request is judged exactly as for the API key alone, whatever the target decides for
    a key without a user."""
    key = world.plain.principal("key without user")
    bogus = random_key("api") if user_key == "unknown" else other_world.member.user_key
    caller = key.with_user(f"{user_key} user key", bogus)
    if operation == "private-detail":
        channel = new_channel(group=world.group.id, group_permissions="subscribe")
    else:
        channel = new_channel(other_permissions="publish", custom_publish=True)
    if operation.endswith("detail"):
        alone, judged = api.detail(channel, key), api.detail(channel, caller)
        same = (judged.status, judged.json_or_none()) == (alone.status, alone.json_or_none())
        expect.check(same, f"the answer the key alone gets: {alone.status} {alone.text}", judged)
        return
    alone, judged = api.publish(channel, key, {"n": 1}), api.publish(channel, caller, {"n": 2})
    if alone.status != 201:
        expect.json_reply(judged, alone.status, alone.json_or_none())
        return
    expect.status(judged, 201)
    author = expect.body_of(judged).get("author")
    expect.check(author == {"api_key": world.plain.id}, "an author without user", judged)


@pytest.mark.parametrize(
    ("style", "place"),
    [
        pytest.param("header", "X-API-KEY", marks=pytest.mark.requirement("AUTH-004")),
        pytest.param("token", "Authorization", marks=pytest.mark.requirement("AUTH-006")),
        pytest.param("query", "api_key", marks=pytest.mark.requirement("AUTH-005")),
        pytest.param("query", "apikey", marks=pytest.mark.requirement("AUTH-007")),
    ],
)
@pytest.mark.parametrize("key", ["account", "ignore_acl"])
def test_key_sources(
    style: str, place: str, key: str, api: ChannelApi, world: World, private: str
) -> None:
    value = world.admin.api_key if key == "account" else world.ignore_acl.key
    headers = {}
    params = {}
    if style == "header":
        headers = {place: value}
    elif style == "token":
        headers = {place: f"token {value}"}
    else:
        params = {place: value}
    reply = api.client.get(api.paths.channel(private), ANONYMOUS, headers=headers, params=params)
    expect.status(reply, 200)


@pytest.mark.parametrize(
    "place",
    [
        pytest.param("X-USER-KEY", marks=pytest.mark.requirement("AUTH-008")),
        pytest.param("user_key", marks=pytest.mark.requirement("AUTH-005")),
        pytest.param("userkey", marks=pytest.mark.requirement("AUTH-007")),
    ],
)
def test_user_key_sources(place: str, api: ChannelApi, world: World, private: str) -> None:
    key = world.principal("key_without_user")
    expect.denied(api.detail(private, key))
    user_key = world.member.user_key
    if place == "X-USER-KEY":
        reply = api.client.get(api.paths.channel(private), key, headers={place: user_key})
    else:
        reply = api.client.get(api.paths.channel(private), key, params={place: user_key})
    expect.status(reply, 200)


@pytest.mark.requirement("AUTH-007")
def test_keys_in_the_body(api: ChannelApi, world: World, new_channel: Any) -> None:
    channel = new_channel(custom_publish=True, group=world.group.id, group_permissions="publish")
    body = {"payload": {"b": 1}, "_api_key": world.plain.key, "_user_key": world.member.user_key}
    reply = api.client.post(api.paths.publish(channel), ANONYMOUS, json_body=body)
    expect.status(reply, 201)
    author = expect.body_of(reply).get("author")
    expect.check(
        author == {"api_key": world.plain.id, "user": world.member.id},
        "the body's key and user as author",
        reply,
    )


def create(api: ChannelApi, world: World, kind: str, body: dict[str, Any]) -> tuple[Reply, Any]:
    """POST a set-up resource (kind: api_keys, users or groups), expecting 201; the resource is
    remembered so a run against an existing instance removes it afterwards."""
    reply = expect.status(
        api.client.post(f"{api.paths.instance_root}{kind}/", world.admin, json_body=body), 201
    )
    created = expect.body_of(reply)
    if isinstance(created, dict) and "id" in created:
        world.instance.resources.append(f"{api.paths.instance_root}{kind}/{created['id']}/")
    return reply, created


@pytest.mark.requirement("AUTH-012")
@pytest.mark.parametrize(
    "flags",
    [{}, {"ignore_acl": True}, {"allow_anonymous_read": True}, {"allow_user_create": True}],
    ids=["plain", "ignore_acl", "anon_read", "user_create"],
)
def test_api_key_creation(flags: dict[str, bool], api: ChannelApi, world: World) -> None:
    reply, body = create(api, world, "api_keys", flags)
    wanted = {
        name: flags.get(name, False)
        for name in ("ignore_acl", "allow_anonymous_read", "allow_user_create")
    }
    expect.check(
        isinstance(body.get("id"), int) and HEX40.match(str(body.get("api_key"))),
        "an integer id and a 40-hex api_key",
        reply,
    )
    expect.check({k: body.get(k) for k in wanted} == wanted, f"the flags {wanted}", reply)


@pytest.mark.requirement("AUTH-015")
def test_api_key_shows_allow_group_create(api: ChannelApi, world: World) -> None:
    reply, body = create(api, world, "api_keys", {})
    expect.check(body.get("allow_group_create") is False, "allow_group_create false", reply)


@pytest.mark.requirement("AUTH-013")
def test_user_creation(api: ChannelApi, world: World) -> None:
    reply, body = create(api, world, "users", {"username": unique_name("u"), "password": "pw-1234"})
    expect.check(
        isinstance(body.get("id"), int) and HEX40.match(str(body.get("user_key"))),
        "an integer id and a 40-hex user_key",
        reply,
    )


@pytest.mark.requirement("AUTH-014")
def test_group_membership_endpoints(
    api: ChannelApi, world: World, provisioner: Provisioner
) -> None:
    reply, group = create(api, world, "groups", {"label": "g"})
    expect.check(isinstance(group.get("id"), int), "an integer group id", reply)
    user = provisioner.create_user(world.instance)
    members = f"{api.paths.instance_root}groups/{group['id']}/users/"
    expect.status(api.client.post(members, world.admin, json_body={"user": user.id}), 201)
    expect.status(api.client.delete(f"{members}{user.id}/", world.admin), 204)
