"""Errors and bad input (area ERR): 405s, trailing slashes, body parsing, unknown
instances and channels, and a battery of odd requests that must never break the target."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance import expect
from conformance.channel_api import ChannelApi
from conformance.client import ANONYMOUS, Reply
from conformance.fixtures import World
from conformance.provision import random_key, unique_name
from spec import protocol

DOCUMENTED_STATUSES = {200, 201, 204, 400, 403, 404, 405, 413, 415, 429}
JSON = {"Content-Type": "application/json"}

UNMAPPED = [
    ("GET", "publish/"),
    ("PUT", "publish/"),
    ("POST", "poll/"),
    ("POST", "history/"),
    ("PUT", "history/"),
    ("DELETE", "history/"),
    ("DELETE", "history/1/"),
    ("POST", ""),
]


def _route(api: ChannelApi, channel: str, suffix: str) -> str:
    return api.paths.channel(channel) + suffix


@pytest.mark.requirement("ERR-002")
@pytest.mark.parametrize(
    ("method", "suffix"), UNMAPPED, ids=[f"{m}-{s or 'detail'}" for m, s in UNMAPPED]
)
def test_unmapped_methods(
    method: str, suffix: str, api: ChannelApi, world: World, chat: str
) -> None:
    reply = api.client.request(method, _route(api, chat, suffix), world.admin, json_body={"x": 1})
    expect.detail(reply, 405, f'Method "{method}" not allowed.')


@pytest.mark.requirement("ERR-003")
@pytest.mark.parametrize(
    ("method", "suffix"), UNMAPPED, ids=[f"{m}-{s or 'detail'}" for m, s in UNMAPPED]
)
def test_unmapped_methods_without_key(method: str, suffix: str, api: ChannelApi, chat: str) -> None:
    expect.denied(
        api.client.request(method, _route(api, chat, suffix), ANONYMOUS, json_body={"x": 1})
    )


@pytest.mark.requirement("ERR-004")
def test_create_without_trailing_slash(api: ChannelApi, world: World) -> None:
    name = unique_name()
    reply = api.client.post(api.paths.channels.rstrip("/"), world.admin, json_body={"name": name})
    expect.status(reply, 404)
    expect.status(api.detail(name, world.admin), 404)


@pytest.mark.requirement("ERR-004")
@pytest.mark.parametrize("suffix", ["", "publish/", "poll/", "history/"])
def test_routes_without_trailing_slash(
    suffix: str, api: ChannelApi, world: World, chat: str
) -> None:
    method = "POST" if suffix == "publish/" else "GET"
    path = _route(api, chat, suffix).rstrip("/")
    expect.status(
        api.client.request(method, path, world.admin, json_body={"payload": {"a": 1}}), 404
    )
    history = expect.body_of(api.history(chat, world.admin))
    expect.check(history.get("objects") == [], "nothing published", api.history(chat, world.admin))


@pytest.mark.requirement("ERR-005")
@pytest.mark.parametrize("route", ["create", "publish"])
def test_malformed_json(route: str, api: ChannelApi, world: World, chat: str) -> None:
    path = api.paths.channels if route == "create" else api.paths.publish(chat)
    reply = api.client.post(path, world.admin, data='{"name": ', headers=JSON)
    expect.status(reply, 400)
    body = reply.json_or_none()
    expect.check(
        isinstance(body, dict) and str(body.get("detail", "")).startswith("JSON parse error"),
        '400 {"detail": "JSON parse error - ..."}',
        reply,
    )


@pytest.mark.parametrize(
    ("content_type", "detail"),
    [
        pytest.param(
            "",
            'Unsupported media type "" in request.',
            id="empty",
            marks=pytest.mark.requirement("ERR-006"),
        ),
        pytest.param(
            "application/xml",
            'Unsupported media type "application/xml" in request.',
            id="xml",
            marks=pytest.mark.requirement("ERR-007"),
        ),
    ],
)
@pytest.mark.parametrize("route", ["create", "publish"])
def test_unsupported_media_types(
    route: str, content_type: str, detail: str, api: ChannelApi, world: World, chat: str
) -> None:
    path = api.paths.channels if route == "create" else api.paths.publish(chat)
    body = json.dumps({"name": unique_name(), "payload": {}})
    reply = api.client.post(path, world.admin, data=body, headers={"Content-Type": content_type})
    expect.detail(reply, 415, detail)


@pytest.mark.requirement("ERR-008")
@pytest.mark.parametrize("instance", ["unknown", "bad!name", "bad.name"])
@pytest.mark.parametrize("operation", ["list", "detail", "publish", "poll", "history"])
def test_unknown_instance(
    instance: str, operation: str, api: ChannelApi, world: World, chat: str
) -> None:
    name = f"{random_key('api')[:12]}-none" if instance == "unknown" else instance
    base = api.paths.instance_root.replace(f"/{world.instance.name}/", f"/{name}/")
    path = {
        "list": "channels/",
        "detail": f"channels/{chat}/",
        "publish": f"channels/{chat}/publish/",
        "poll": f"channels/{chat}/poll/?last_id=0",
        "history": f"channels/{chat}/history/",
    }[operation]
    method = "POST" if operation == "publish" else "GET"
    reply = api.client.request(
        method, base + path, world.admin, json_body={"payload": {}} if method == "POST" else None
    )
    expect.detail(reply, 404, protocol.INSTANCE_NOT_FOUND)


@pytest.mark.requirement("ERR-009")
def test_instance_name_ignores_case(api: ChannelApi, world: World, chat: str) -> None:
    path = api.paths.channel(chat).replace(
        f"/{world.instance.name}/", f"/{world.instance.name.upper()}/"
    )
    reply = expect.status(api.client.get(path, world.admin), 200)
    expect.check(expect.body_of(reply).get("name") == chat, f"the channel {chat}", reply)


@pytest.mark.requirement("ERR-010")
@pytest.mark.parametrize("operation", ["detail", "publish"])
def test_unknown_channel_as_admin(operation: str, api: ChannelApi, world: World) -> None:
    name = unique_name()
    reply = (
        api.detail(name, world.admin)
        if operation == "detail"
        else api.publish(name, world.admin, {"a": 1})
    )
    expect.detail(reply, 404, protocol.NOT_FOUND)


@pytest.mark.requirement("ERR-011")
@pytest.mark.parametrize("caller", ["key_without_user", "no_key"])
@pytest.mark.parametrize("operation", ["detail", "poll", "publish"])
def test_unknown_channel_without_user(
    operation: str, caller: str, api: ChannelApi, world: World
) -> None:
    name = unique_name()
    principal = world.principal(caller)
    replies = {
        "detail": lambda: api.detail(name, principal),
        "poll": lambda: api.poll(name, principal, last_id=0),
        "publish": lambda: api.publish(name, principal, {"a": 1}),
    }
    expect.denied(replies[operation]())


def _nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


# (id, method, route, query, raw body, content type): requests a careless implementation might
# answer with a 500, a traceback or a non-JSON body.
ODD_REQUESTS = [
    ("poll-last_id-huge", "GET", "poll/", {"last_id": "9" * 1001}, None, None),
    ("poll-last_id-float", "GET", "poll/", {"last_id": "1e400"}, None, None),
    ("poll-last_id-unicode", "GET", "poll/", {"last_id": "١٢"}, None, None),
    ("poll-room-nul", "GET", "poll/", {"last_id": "0", "room": "a\x00b"}, None, None),
    ("history-page_size-huge", "GET", "history/", {"page_size": "9" * 30}, None, None),
    ("history-last_id-text", "GET", "history/", {"last_id": "abc"}, None, None),
    ("history-bad-cursor", "GET", "history/", {"direction": "5", "last_pk": "x"}, None, None),
    ("history-negative-cursor", "GET", "history/", {"direction": "0", "last_pk": "-1"}, None, None),
    ("history-item-text", "GET", "history/abc/", {}, None, None),
    ("history-item-negative", "GET", "history/-1/", {}, None, None),
    ("history-item-huge", "GET", "history/" + "9" * 40 + "/", {}, None, None),
    (
        "list-odd-params",
        "GET",
        "LIST",
        {"ordering": "sideways", "page_size": "0", "name__startswith": "\x00"},
        None,
        None,
    ),
    ("list-cursor-huge", "GET", "LIST", {"direction": "1", "last_pk": "9" * 40}, None, None),
    (
        "publish-invalid-utf8",
        "POST",
        "publish/",
        {},
        b'{"payload": {"a": "\xff\xfe"}}',
        "application/json",
    ),
    (
        "publish-deep-nesting",
        "POST",
        "publish/",
        {},
        ('{"payload": ' + _nested(5000) + "}").encode(),
        "application/json",
    ),
    (
        "publish-deep-string",
        "POST",
        "publish/",
        {},
        ('{"payload": ' + json.dumps(_nested(3000)) + "}").encode(),
        "application/json",
    ),
    (
        "publish-huge-number",
        "POST",
        "publish/",
        {},
        b'{"payload": {"x": 1e999}}',
        "application/json",
    ),
    ("publish-nan", "POST", "publish/", {}, b'{"payload": {"x": NaN}}', "application/json"),
    ("publish-body-null", "POST", "publish/", {}, b"null", "application/json"),
    ("publish-body-array", "POST", "publish/", {}, b"[1, 2]", "application/json"),
    ("publish-body-string", "POST", "publish/", {}, b'"payload"', "application/json"),
    (
        "publish-room-number",
        "POST",
        "publish/",
        {},
        b'{"payload": {}, "room": 5}',
        "application/json",
    ),
    (
        "publish-multipart",
        "POST",
        "publish/",
        {},
        b'--xx\r\nContent-Disposition: form-data; name="payload"\r\n\r\n{"m": 1}\r\n--xx--\r\n',
        "multipart/form-data; boundary=xx",
    ),
    (
        "publish-bad-multipart",
        "POST",
        "publish/",
        {},
        b"--yy\r\ngarbage",
        "multipart/form-data; boundary=xx",
    ),
    (
        "publish-charset-latin1",
        "POST",
        "publish/",
        {},
        '{"payload": {"a": "é"}}'.encode("latin-1"),
        "application/json; charset=latin-1",
    ),
    ("create-body-array", "POST", "LIST", {}, b"[]", "application/json"),
    ("create-name-number", "POST", "LIST", {}, b'{"name": 123}', "application/json"),
    ("create-name-object", "POST", "LIST", {}, b'{"name": {"a": 1}}', "application/json"),
    (
        "create-group-text",
        "POST",
        "LIST",
        {},
        b'{"name": "zz", "group": "abc"}',
        "application/json",
    ),
    (
        "create-custom_publish-list",
        "POST",
        "LIST",
        {},
        b'{"name": "zz", "custom_publish": [1]}',
        "application/json",
    ),
    ("patch-body-array", "PATCH", "", {}, b"[]", "application/json"),
    ("put-body-null", "PUT", "", {}, b"null", "application/json"),
    ("detail-unicode-name", "GET", "UNICODE", {}, None, None),
    ("detail-long-name", "GET", "LONG", {}, None, None),
]


def _odd_path(api: ChannelApi, chat: str, route: str) -> str:
    if route == "LIST":
        return api.paths.channels
    if route == "UNICODE":
        return api.paths.channel("żółw-频道")
    if route == "LONG":
        return api.paths.channel("x" * 300)
    return api.paths.channel(chat) + route


def _error_body_problem(reply: Reply) -> str | None:
    """What is wrong with a 4xx body by ERR-001, or None when it is a proper error object."""
    body = reply.json_or_none()
    if not isinstance(body, dict) or not body:
        return "a JSON object error body"
    if "detail" in body:
        return None if isinstance(body["detail"], str) else '{"detail": "<string>"}'
    for field, messages in body.items():
        shaped = isinstance(messages, str) or (
            isinstance(messages, list) and all(isinstance(m, str) for m in messages)
        )
        if not shaped:
            return f"field {field!r} with a message list or string"
    return None


def _judge_answer(reply: Reply, requirement_ids: tuple[str, ...]) -> None:
    """Judge one answer on each requirement of ``requirement_ids`` (of GEN-001, GEN-002, GEN-003
    and ERR-001) on its own condition: a 500 with an HTML page breaks GEN-001, GEN-003 and
    GEN-002 at once; a JSON error body under a text/html Content-Type only GEN-002."""
    content = reply.headers.get("Content-Type", "").split(";")[0].strip()
    parses = reply.json_or_none() is not None or reply.body.strip() == b"null"
    problem = _error_body_problem(reply) if 400 <= reply.status < 500 else None
    conditions = [
        ("GEN-001", reply.status < 500, "no 5xx"),
        (
            "GEN-003",
            reply.status in DOCUMENTED_STATUSES,
            f"a documented status {sorted(DOCUMENTED_STATUSES)}",
        ),
        ("GEN-002", not reply.body or content == "application/json", "Content-Type JSON"),
        ("GEN-002", not reply.body or parses, "a body that parses as JSON"),
        ("ERR-001", problem is None, problem or ""),
    ]
    expect.each(reply, [c for c in conditions if c[0] in requirement_ids])


ODD_REQUEST_IDS = ("GEN-001", "GEN-002", "GEN-003", "ERR-001")
ERROR_BODY_IDS = ("ERR-001", "GEN-002", "GEN-003")


@pytest.mark.requirement(*ODD_REQUEST_IDS)
@pytest.mark.parametrize(
    ("method", "route", "query", "body", "content_type"),
    [pytest.param(*case[1:], id=case[0]) for case in ODD_REQUESTS],
)
def test_odd_requests_get_clean_answers(
    method: str,
    route: str,
    query: dict[str, str],
    body: bytes | None,
    content_type: str | None,
    api: ChannelApi,
    world: World,
    chat: str,
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    # an odd but valid poll (a room on a default channel) may wait for the poll timeout
    wait = api.wait_timeout if route == "poll/" else None
    reply = api.client.request(
        method,
        _odd_path(api, chat, route),
        world.admin,
        params=query,
        data=body,
        headers=headers,
        timeout=wait,
    )
    _judge_answer(reply, ODD_REQUEST_IDS)


@pytest.mark.requirement(*ERROR_BODY_IDS)
@pytest.mark.parametrize(
    "case",
    [
        "no-key",
        "unknown-key",
        "unknown-channel",
        "bad-last_id",
        "room-missing",
        "payload",
        "too-large",
        "custom-publish",
        "unmapped",
    ],
)
def test_error_bodies_are_json_objects(
    case: str, api: ChannelApi, world: World, chat: str, rooms: str, new_channel: Any
) -> None:
    client, admin = api.client, world.admin
    replies = {
        "no-key": lambda: api.detail(chat, ANONYMOUS),
        "unknown-key": lambda: api.detail(chat, world.principal("invalid_key")),
        "unknown-channel": lambda: api.detail(unique_name(), admin),
        "bad-last_id": lambda: api.poll(chat, admin, last_id="x"),
        "room-missing": lambda: api.publish(rooms, admin, {"a": 1}),
        "payload": lambda: api.publish(chat, admin, "abc"),
        "too-large": lambda: client.post(
            api.paths.publish(chat), admin, data=b"{" + b" " * 70000 + b"}", headers=JSON
        ),
        "custom-publish": lambda: api.publish(new_channel(), admin, {"a": 1}),
        "unmapped": lambda: client.get(api.paths.publish(chat), admin),
    }
    reply = replies[case]()
    _judge_answer(reply, ERROR_BODY_IDS)
    # A clean answer that is no error leaves this check nothing to judge: it cannot conclude.
    expect.check(400 <= reply.status < 500, "a 4xx error answer", reply)


@pytest.mark.requirement("GEN-004")
@pytest.mark.parametrize("operation", ["detail", "publish", "poll", "history", "error"])
def test_cors_allows_any_origin(operation: str, api: ChannelApi, world: World, chat: str) -> None:
    origin = {"Origin": "http://example.com"}
    message = api.published(chat, world.admin, {"cors": 1})
    path, method, body = {
        "detail": (api.paths.channel(chat), "GET", None),
        "publish": (api.paths.publish(chat), "POST", {"payload": {}}),
        "poll": (f"{api.paths.poll(chat)}?last_id={message['id'] - 1}", "GET", None),
        "history": (api.paths.history(chat), "GET", None),
        "error": (api.paths.channel(unique_name()), "GET", None),
    }[operation]
    reply = api.client.request(method, path, world.admin, json_body=body, headers=origin)
    expect.check(
        reply.headers.get("Access-Control-Allow-Origin") == "*",
        "Access-Control-Allow-Origin: *",
        reply,
    )
