"""The channel resource (area CHAN): create, validation, detail, update, delete, list."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from conformance import expect, shapes
from conformance.channel_api import ChannelApi
from conformance.fixtures import World
from conformance.provision import Provisioner, unique_name
from spec import protocol

BAD_PAGE = "Incorrect page parameter provided."
WRITABLE = ("description", "group", "group_permissions", "other_permissions", "custom_publish")


def _created(
    api: ChannelApi,
    world: World,
    body: dict[str, Any],
    req: expect.Req = None,
    parts: shapes.Parts = shapes.NO_PARTS,
) -> dict[str, Any]:
    reply = expect.status(api.create(world.admin, body), 201, req)
    return shapes.check_channel(expect.body_of(reply, req), reply, api.paths, req, parts)


def _name_error(reply: Any, message: str) -> None:
    expect.status(reply, 400)
    errors = expect.body_of(reply)
    expect.check(
        isinstance(errors, dict)
        and isinstance(errors.get("name"), list)
        and message in errors["name"],
        f'400 with "{message}" in the name error list',
        reply,
    )


@pytest.mark.requirement("CHAN-001", "CHAN-002", "CHAN-004")
def test_create_with_defaults(api: ChannelApi, world: World) -> None:
    name = unique_name()
    parts = {"links": "CHAN-002", "created_at": "CHAN-004", "updated_at": "CHAN-004"}
    channel = _created(api, world, {"name": name}, "CHAN-001", parts)
    wanted = {
        "name": name,
        "description": "",
        "type": "default",
        "group": None,
        "group_permissions": "none",
        "other_permissions": "none",
        "custom_publish": False,
    }
    got = {key: channel.get(key) for key in wanted}
    links = shapes.channel_links(api.paths, name, None)
    expect.each(
        api.detail(name, world.admin),
        [
            ("CHAN-001", got == wanted, f"the defaults {wanted}"),
            ("CHAN-002", channel.get("links") == links, f"links {links}"),
        ],
    )


@pytest.mark.requirement("CHAN-003", "CHAN-002")
def test_create_with_group(api: ChannelApi, world: World) -> None:
    body = {"name": unique_name(), "group": world.group.id, "group_permissions": "subscribe"}
    created = expect.status(api.create(world.admin, body), 201, "CHAN-003")
    channel = expect.body_of(created, "CHAN-003")
    expect.check(isinstance(channel, dict), "a channel object", created, "CHAN-003")
    group_link = f"{api.paths.instance_root}groups/{world.group.id}/"
    expect.each(
        created,
        [
            ("CHAN-003", channel.get("group") == world.group.id, f"group {world.group.id}"),
            ("CHAN-002", (channel.get("links") or {}).get("group") == group_link, "links.group"),
        ],
    )


@pytest.mark.requirement("CHAN-005")
@pytest.mark.parametrize("form", ["upper", "padded"])
def test_name_is_trimmed_and_lowercased(form: str, api: ChannelApi, world: World) -> None:
    name = unique_name()
    sent = name.upper() if form == "upper" else f"  {name}  "
    channel = _created(api, world, {"name": sent})
    expect.check(channel["name"] == name, f"name {name!r}", api.detail(name, world.admin))


@pytest.mark.requirement("CHAN-006")
@pytest.mark.parametrize(
    ("body", "error"),
    [({}, "This field is required."), ({"name": ""}, "This field may not be blank.")],
    ids=["missing", "blank"],
)
def test_name_required(body: dict[str, Any], error: str, api: ChannelApi, world: World) -> None:
    expect.json_reply(api.create(world.admin, {"description": "x", **body}), 400, {"name": [error]})


@pytest.mark.parametrize(
    ("name", "error"),
    [
        pytest.param(
            "1abc",
            "Value has to start with a letter.",
            id="digit-first",
            marks=pytest.mark.requirement("CHAN-007"),
        ),
        pytest.param(
            "abc-",
            "Value has to end with a letter or a number.",
            id="hyphen-last",
            marks=pytest.mark.requirement("CHAN-008"),
        ),
        pytest.param(
            "a b",
            "Enter a valid value consisting of letters, numbers, underscores, hyphens.",
            id="space",
            marks=pytest.mark.requirement("CHAN-009"),
        ),
        pytest.param(
            "a.b",
            "Enter a valid value consisting of letters, numbers, underscores, hyphens.",
            id="dot",
            marks=pytest.mark.requirement("CHAN-009"),
        ),
        pytest.param(
            "a" * 65,
            "Ensure this value has at most 64 characters (it has 65).",
            id="65-chars",
            marks=pytest.mark.requirement("CHAN-010"),
        ),
    ],
)
def test_invalid_names(name: str, error: str, api: ChannelApi, world: World) -> None:
    _name_error(api.create(world.admin, {"name": name}), error)


@pytest.mark.requirement("CHAN-010")
def test_name_of_64_characters(api: ChannelApi, world: World) -> None:
    base = unique_name()
    name = base + "x" * (64 - len(base))
    expect.check(
        _created(api, world, {"name": name})["name"] == name, "the 64-character name", None
    )


@pytest.mark.requirement("CHAN-011")
def test_one_letter_name(api: ChannelApi, other_world: World) -> None:
    other = ChannelApi(api.client, other_world.paths, None, 0)
    other.delete("q", other_world.admin)
    reply = other.create(other_world.admin, {"name": "q"})
    expect.status(reply, 201)
    expect.status(other.delete("q", other_world.admin), 204)


@pytest.mark.requirement("CHAN-012")
def test_duplicate_name(api: ChannelApi, world: World, chat: str) -> None:
    for name in (chat, chat.upper()):
        expect.json_reply(
            api.create(world.admin, {"name": name}), 400, {"name": ["This field must be unique."]}
        )


@pytest.mark.requirement("CHAN-013")
@pytest.mark.parametrize("kind", ["default", "separate_rooms"])
def test_type_choices(kind: str, api: ChannelApi, world: World) -> None:
    expect.check(
        _created(api, world, {"name": unique_name(), "type": kind})["type"] == kind,
        f"type {kind}",
        None,
    )


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        pytest.param(
            "type",
            "x",
            '"x" is not a valid choice.',
            id="type",
            marks=pytest.mark.requirement("CHAN-013"),
        ),
        pytest.param(
            "type",
            "Default",
            '"Default" is not a valid choice.',
            id="type-case",
            marks=pytest.mark.requirement("CHAN-013"),
        ),
        pytest.param(
            "other_permissions",
            "x",
            '"x" is not a valid choice.',
            id="other",
            marks=pytest.mark.requirement("CHAN-014"),
        ),
        pytest.param(
            "group_permissions",
            "x",
            '"x" is not a valid choice.',
            id="group",
            marks=pytest.mark.requirement("CHAN-014"),
        ),
        pytest.param(
            "other_permissions",
            None,
            "This field may not be null.",
            id="other-null",
            marks=pytest.mark.requirement("CHAN-014"),
        ),
        pytest.param(
            "group_permissions",
            None,
            "This field may not be null.",
            id="group-null",
            marks=pytest.mark.requirement("CHAN-014"),
        ),
        pytest.param(
            "group",
            999999,
            'Invalid pk "999999" - object does not exist.',
            id="unknown-group",
            marks=pytest.mark.requirement("CHAN-017"),
        ),
    ],
)
def test_invalid_fields(field: str, value: Any, error: str, api: ChannelApi, world: World) -> None:
    name = unique_name()
    expect.json_reply(api.create(world.admin, {"name": name, field: value}), 400, {field: [error]})
    expect.status(api.detail(name, world.admin), 404)


@pytest.mark.requirement("CHAN-014")
@pytest.mark.parametrize("level", ["none", "subscribe", "publish"])
def test_permission_levels(level: str, api: ChannelApi, world: World) -> None:
    channel = _created(
        api, world, {"name": unique_name(), "other_permissions": level, "group_permissions": level}
    )
    got = (channel["other_permissions"], channel["group_permissions"])
    expect.check(got == (level, level), f"both permissions {level}", None)


@pytest.mark.requirement("CHAN-018")
def test_long_description(api: ChannelApi, world: World) -> None:
    description = "d" * 300
    channel = _created(api, world, {"name": unique_name(), "description": description})
    reply = api.detail(channel["name"], world.admin)
    expect.check(
        expect.body_of(reply).get("description") == description, "the whole description", reply
    )


@pytest.mark.requirement("CHAN-019")
def test_unknown_keys_are_ignored(api: ChannelApi, world: World) -> None:
    channel = _created(api, world, {"name": unique_name(), "colour": "red", "id": 5})
    reply = expect.status(
        api.update("PATCH", channel["name"], world.admin, {"colour": "blue", "description": "x"}),
        200,
    )
    shapes.check_channel(expect.body_of(reply), reply, api.paths)


@pytest.mark.requirement("CHAN-020")
def test_detail_matches_create(api: ChannelApi, world: World) -> None:
    created = _created(
        api, world, {"name": unique_name(), "description": "d", "other_permissions": "subscribe"}
    )
    reply = expect.status(api.detail(created["name"], world.admin), 200)
    expect.check(expect.body_of(reply) == created, f"the created representation {created}", reply)


@pytest.mark.requirement("CHAN-021")
def test_patch_changes_only_given_fields(api: ChannelApi, world: World) -> None:
    created = _created(
        api,
        world,
        {
            "name": unique_name(),
            "description": "before",
            "group": world.group.id,
            "group_permissions": "publish",
            "other_permissions": "subscribe",
            "custom_publish": True,
        },
    )
    reply = expect.status(
        api.update("PATCH", created["name"], world.admin, {"description": "after"}), 200
    )
    updated = shapes.check_channel(expect.body_of(reply), reply, api.paths)
    wanted = {**created, "description": "after"}
    same = {k: updated[k] for k in wanted if k != "updated_at"} == {
        k: wanted[k] for k in wanted if k != "updated_at"
    }
    expect.check(same, f"only description changed: {wanted}", reply)
    stored = api.detail(created["name"], world.admin)
    expect.check(expect.body_of(stored) == updated, "the stored channel as PATCH answered", stored)


@pytest.mark.requirement("CHAN-022")
def test_put_sets_every_writable_field(api: ChannelApi, world: World) -> None:
    created = _created(api, world, {"name": unique_name(), "description": "before"})
    body = {
        "description": "after",
        "group": world.group.id,
        "group_permissions": "publish",
        "other_permissions": "subscribe",
        "custom_publish": True,
    }
    reply = expect.status(api.update("PUT", created["name"], world.admin, body), 200)
    updated = shapes.check_channel(expect.body_of(reply), reply, api.paths)
    expect.check({k: updated[k] for k in WRITABLE} == body, f"exactly {body}", reply)
    stored = api.detail(created["name"], world.admin)
    expect.check(
        {k: expect.body_of(stored).get(k) for k in WRITABLE} == body, f"stored {body}", stored
    )


@pytest.mark.requirement("CHAN-023")
def test_put_resets_omitted_permissions(api: ChannelApi, world: World) -> None:
    created = _created(
        api,
        world,
        {
            "name": unique_name(),
            "description": "kept",
            "group": world.group.id,
            "group_permissions": "publish",
            "other_permissions": "subscribe",
            "custom_publish": True,
        },
    )
    reply = expect.status(api.update("PUT", created["name"], world.admin, {}), 200)
    wanted = {
        "description": "kept",
        "group": world.group.id,
        "group_permissions": "none",
        "other_permissions": "none",
        "custom_publish": False,
    }
    expect.check({k: expect.body_of(reply).get(k) for k in WRITABLE} == wanted, f"{wanted}", reply)


@pytest.mark.requirement("CHAN-024")
@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_name_and_type_are_read_only(method: str, api: ChannelApi, world: World) -> None:
    created = _created(api, world, {"name": unique_name()})
    body = {
        "name": unique_name(),
        "type": "separate_rooms",
        "description": "",
        "group_permissions": "none",
        "other_permissions": "none",
    }
    reply = expect.status(api.update(method, created["name"], world.admin, body), 200)
    got = expect.body_of(reply)
    expect.check(
        (got.get("name"), got.get("type")) == (created["name"], "default"),
        "name and type unchanged",
        reply,
    )
    expect.status(api.detail(body["name"], world.admin), 404)


@pytest.mark.requirement("CHAN-025")
def test_update_refreshes_updated_at(api: ChannelApi, world: World) -> None:
    created = _created(api, world, {"name": unique_name()})
    reply = expect.status(
        api.update("PATCH", created["name"], world.admin, {"description": "x"}), 200
    )
    expect.check(
        expect.body_of(reply)["updated_at"] > created["updated_at"],
        f"updated_at after {created['updated_at']}",
        reply,
    )


@pytest.mark.requirement("CHAN-026", "CHAN-027")
def test_delete_and_reuse_name(api: ChannelApi, world: World, chat: str) -> None:
    reply = api.delete(chat, world.admin)
    expect.check(
        reply.status == 204 and reply.body == b"", "204 with an empty body", reply, "CHAN-026"
    )
    expect.detail(api.detail(chat, world.admin), 404, protocol.NOT_FOUND, "CHAN-026")
    expect.status(api.create(world.admin, {"name": chat}), 201, "CHAN-027")


@pytest.mark.requirement("CHAN-028", "ERR-010")
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_writes_to_unknown_channel(method: str, api: ChannelApi, world: World) -> None:
    name = unique_name()
    body = {"description": "x", "group_permissions": "none", "other_permissions": "none"}
    reply = (
        api.delete(name, world.admin)
        if method == "DELETE"
        else api.update(method, name, world.admin, body)
    )
    expect.detail(reply, 404, protocol.NOT_FOUND, "CHAN-028")
    detail = api.detail(name, world.admin)
    expect.each(
        detail,
        [
            ("CHAN-028", detail.status != 200, f"{name} not created by the {method}"),
            # Only a channel the write did not create is unknown, for ERR-010 to judge.
            ("ERR-010", detail.status in (200, 404), "404 for the unknown channel"),
        ],
    )


@pytest.mark.requirement("CHAN-029")
@pytest.mark.parametrize("operation", ["detail", "publish", "poll", "history"])
def test_channel_name_in_url_ignores_case(
    operation: str, api: ChannelApi, world: World, chat: str
) -> None:
    message = api.published(chat, world.admin, {"case": 1})
    shouted = chat.upper()
    if operation == "detail":
        reply = expect.status(api.detail(shouted, world.admin), 200)
        expect.check(expect.body_of(reply).get("name") == chat, f"the channel {chat}", reply)
    elif operation == "publish":
        expect.status(api.publish(shouted, world.admin, {"n": 1}), 201)
    elif operation == "poll":
        reply = expect.status(api.poll(shouted, world.admin, last_id=0), 200)
        expect.check(
            expect.body_of(reply).get("id") == message["id"], f"message {message['id']}", reply
        )
    else:
        reply = expect.status(api.history(shouted, world.admin), 200)
        ids = [m.get("id") for m in expect.body_of(reply).get("objects", [])]
        expect.check(ids == [message["id"]], f"history [{message['id']}]", reply)


@pytest.fixture
def listed(api: ChannelApi, world: World, provisioner: Provisioner) -> tuple[str, list[str]]:
    """Five channels created in order under one name prefix."""
    prefix = unique_name("ls") + "-"
    names = [provisioner.create_channel(world.instance, f"{prefix}{n}") for n in range(5)]
    return prefix, names


@pytest.mark.requirement("CHAN-030")
def test_list_envelope(api: ChannelApi, world: World, listed: tuple[str, list[str]]) -> None:
    reply = expect.status(api.list(world.admin, name__startswith=listed[0]), 200)
    shapes.check_schema("channel-page", expect.body_of(reply), reply)
    for channel in expect.body_of(reply)["objects"]:
        shapes.check_channel(channel, reply, api.paths)


@pytest.mark.requirement("CHAN-031")
@pytest.mark.parametrize("ordering", ["asc", "desc"])
def test_list_ordering(
    ordering: str, api: ChannelApi, world: World, listed: tuple[str, list[str]]
) -> None:
    prefix, names = listed
    params = {"name__startswith": prefix} | ({"ordering": ordering} if ordering == "desc" else {})
    objects, replies = api.walk(api.list(world.admin, **params), world.admin, params)
    got = [o["name"] for o in objects if o.get("name", "").startswith(prefix)]
    wanted = names if ordering == "asc" else names[::-1]
    expect.check(got == wanted, f"{wanted} in creation order ({ordering})", replies[-1])


@pytest.mark.requirement("CHAN-032")
def test_list_pages(api: ChannelApi, world: World, listed: tuple[str, list[str]]) -> None:
    prefix, names = listed
    params = {"name__startswith": prefix, "page_size": 2}
    objects, replies = api.walk(api.list(world.admin, **params), world.admin, params, limit=500)
    for reply in replies:
        page = expect.body_of(reply)
        expect.check(len(page["objects"]) <= 2, "at most 2 channels per page", reply)
        if page["next"]:
            expect.check(page["next"].startswith("/v1.1/"), "next is a relative /v1.1/ path", reply)
    got = [o["name"] for o in objects if o.get("name", "").startswith(prefix)]
    expect.check(got == names, f"each of {names} once, got {got}", replies[-1])


@pytest.mark.requirement("CHAN-033")
def test_list_page_size_is_capped(
    api: ChannelApi, other_world: World, provisioner: Provisioner
) -> None:
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: provisioner.create_channel(other_world.instance), range(99)))
    other = ChannelApi(api.client, other_world.paths, None, 0)
    reply = expect.status(other.list(other_world.admin, page_size=1000), 200)
    page = expect.body_of(reply)
    expect.check(
        len(page["objects"]) == 100 and page["next"], "100 channels and a next link", reply
    )


@pytest.mark.requirement("CHAN-034")
@pytest.mark.parametrize("page_size", ["abc", "-1"])
def test_list_rejects_bad_page_size(page_size: str, api: ChannelApi, world: World) -> None:
    expect.detail(api.list(world.admin, page_size=page_size), 400, BAD_PAGE)


@pytest.mark.requirement("CHAN-035")
def test_list_name_prefix_filter(
    api: ChannelApi, world: World, listed: tuple[str, list[str]]
) -> None:
    prefix, names = listed
    reply = expect.status(api.list(world.admin, name__startswith=prefix), 200)
    got = [o.get("name") for o in expect.body_of(reply)["objects"]]
    expect.check(got == names, f"exactly {names}", reply)


@pytest.mark.requirement("CHAN-036")
def test_fields_and_excluded_fields(api: ChannelApi, world: World, chat: str) -> None:
    reply = expect.status(api.detail(chat, world.admin, fields="name,type"), 200)
    expect.check(
        expect.body_of(reply) == {"name": chat, "type": "default"}, "only name and type", reply
    )
    reply = expect.status(
        api.detail(chat, world.admin, excluded_fields="links,created_at,updated_at"), 200
    )
    expect.check(
        set(expect.body_of(reply)) == set(WRITABLE) | {"name", "type"},
        "links and dates left out",
        reply,
    )
