"""No 500 and no traceback, for any input: a corpus of malformed requests against every route.

Each answer must be below 500, and an error must be a JSON object (or the plain 404 page of a
path outside the API), as the platform shapes its errors.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.test import TestResponse

from mock_server.app import create_app
from mock_server.config import MockConfig
from tests.mock.conftest import ACCOUNT_KEY, Mock

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "PROPFIND"]
RAW_BODIES: list[bytes] = [
    b"",
    b"{not json",
    b"[1, 2",
    b'{"a":',
    b"\xff\xfe\x00",
    b"null",
    b"[]",
    b"1",
    b'"text"',
    b"true",
    b"NaN",
    b"1e999",
    b'{"payload": -1e999}',
    b'{"x": ' + b"9" * 5000 + b"}",
    b"[" * 5000 + b"]" * 5000,
    b"[" * 200 + b"]" * 200,
    b'{"s": "\\ud800"}',
    '{"s": "żółw 🐢 \\u0000"}'.encode(),
    b'{"payload": "{\\"a\\": [1, {\\"b\\": null}]}"}',
    b"\x00" * 64,
    b'{"payload": {}, "room": "' + b"r" * 5000 + b'"}',
    json.dumps({"payload": '{"a": ' * 3000 + "1" + "}" * 3000}).encode(),
]
CONTENT_TYPES = [
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=x",
    "",
    "application/xml",
    "application/json; charset=latin-1",
    "\u00e9/\u00e9",
]
FIELDS = [
    "name",
    "description",
    "type",
    "group",
    "group_permissions",
    "other_permissions",
    "custom_publish",
    "payload",
    "room",
    "username",
    "password",
    "label",
    "user",
    "schema",
    "channel",
    "channel_room",
    "ignore_acl",
    "title",
    "metadata",
    "_api_key",
    "_user_key",
    "owner_permissions",
]
BAD_VALUES: list[Any] = [
    None,
    True,
    False,
    1.5,
    -1,
    0,
    10**30,
    "",
    " ",
    "x" * 300,
    [],
    [None],
    {},
    {"a": {"b": []}},
    "ąę",
    "\u0000",
    "1e999",
    "-0",
]
QUERIES = [
    "last_id=abc",
    "last_id=1e5",
    "last_id=" + "9" * 40,
    "last_id=-1",
    "last_id=1.5",
    "last_id=%00",
    "room=" + "x" * 300,
    "room=%00",
    "room=%C4%85",
    "room=%20",
    "page_size=-1",
    "page_size=abc",
    "page_size=" + "9" * 40,
    "direction=2",
    "direction=x",
    "last_pk=x",
    "last_pk=" + "9" * 5000,
    "ordering=%FF",
    "fields=,,",
    "excluded_fields=%00",
    "transport=websocket",
    "api_key=",
    "user_key=zz",
    "last_id=1&last_id=x",
    "name__startswith=%00",
]
HEADERS: list[dict[str, str]] = [
    {},
    {"X-API-KEY": ""},
    {"X-API-KEY": "z" * 40},
    {"X-API-KEY": "f" * 40},
    {"X-API-KEY": "e" * 40},
    {"X-API-KEY": "ą" * 40},
    {"Authorization": "token"},
    {"Authorization": "token a b"},
    {"Authorization": "Bearer " + ACCOUNT_KEY},
    {"X-API-KEY": ACCOUNT_KEY, "X-USER-KEY": "x"},
    {"Origin": "null"},
    {"Origin": "http://x", "Access-Control-Request-Method": "PUT"},
    {"Content-Length": "99999999"},
]


@pytest.fixture
def target() -> tuple[Mock, list[str]]:
    """A mock with one of everything, and a path for every route."""
    mock = Mock(create_app(MockConfig(account_key=ACCOUNT_KEY, poll_timeout=0.01))).setup()
    mock.channel("chat", other_permissions="publish")
    mock.channel("rooms", type="separate_rooms")
    message = mock.publish("chat", {"n": 1})
    user = mock.user()
    group = mock.group()
    mock.join(group, user)
    key = mock.api_key(ignore_acl=True)
    mock.created(
        "classes/",
        {
            "name": "items",
            "schema": [{"name": "title", "type": "string"}, {"name": "n", "type": "integer"}],
        },
    )
    item = mock.created("classes/items/objects/", {"title": "a", "channel": "chat"})
    base = mock.base
    paths = [
        "/",
        "/v1.1/",
        "/v1.1/instances/",
        f"{base}/",
        f"{base}/channels/",
        f"{base}/channels/chat/",
        f"{base}/channels/CHAT/",
        f"{base}/channels/a.b/",
        f"{base}/channels/chat/publish/",
        f"{base}/channels/rooms/publish/",
        f"{base}/channels/chat/poll/",
        f"{base}/channels/rooms/poll/",
        f"{base}/channels/chat/history/",
        f"{base}/channels/rooms/history/",
        f"{base}/channels/chat/history/{message['id']}/",
        f"{base}/channels/chat/history/x/",
        f"{base}/channels/nope/history/",
        f"{base}/api_keys/",
        f"{base}/api_keys/{key['id']}/",
        f"{base}/api_keys/{key['id']}/reset_key/",
        f"{base}/users/",
        f"{base}/users/{user['id']}/",
        f"{base}/users/{user['id']}/groups/",
        f"{base}/users/{user['id']}/groups/{group['id']}/",
        f"{base}/users/{user['id']}/reset_key/",
        f"{base}/groups/",
        f"{base}/groups/{group['id']}/",
        f"{base}/groups/{group['id']}/users/",
        f"{base}/groups/{group['id']}/users/{user['id']}/",
        f"{base}/user/",
        f"{base}/user/auth/",
        f"{base}/classes/",
        f"{base}/classes/items/",
        f"{base}/classes/items/objects/",
        f"{base}/classes/items/objects/{item['id']}/",
        f"{base}/classes/nope/objects/",
        "/v1/instances/Nope-Name!/channels/",
        "/v2/instances/",
        "/__mock__/reset",
        "/__mock__/stats",
        "/openapi.yaml",
        "/docs",
        "/v1.1/instances//",
        f"{base}/channels/%00/",
        f"{base}/channels/{'x' * 3000}/",
    ]
    return mock, paths


def check(response: TestResponse, what: str) -> None:
    """Below 500, and an error body is JSON (or the plain 404 page)."""
    assert response.status_code < 500, f"{what} -> {response.status_code} {response.data[:300]!r}"
    text = response.get_data(as_text=True)
    assert "Traceback" not in text, what
    if response.status_code >= 400 and response.request.method != "HEAD":
        if response.mimetype == "text/html":
            assert response.status_code == 404, what
        else:
            assert isinstance(json.loads(text), dict), what


def requests_for(paths: list[str]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, path, client kwargs) of the whole corpus."""
    for path, method, body in itertools.product(paths, ("POST", "PATCH"), RAW_BODIES):
        yield method, path, {"data": body, "content_type": "application/json"}
    for path, method, body in itertools.product(paths, METHODS, RAW_BODIES[:3]):
        yield method, path, {"data": body, "content_type": "application/json"}
    for path, content_type in itertools.product(paths, CONTENT_TYPES):
        yield "POST", path, {"data": b"payload=%7B%7D&room=", "content_type": content_type}
    writes = [p for p in paths if "/instances/" in p and not p.endswith(("poll/", "history/"))]
    for path, method, field, value in itertools.product(
        writes, ("POST", "PATCH"), FIELDS, BAD_VALUES
    ):
        yield method, path, {"json": {field: value}}
    for path, query in itertools.product(paths, QUERIES):
        yield "GET", f"{path}?{query}", {}
    for path, headers in itertools.product(paths, HEADERS):
        yield "POST", path, {"headers": headers, "json": {"payload": {"a": 1}}}


def destructive(request: tuple[str, str, dict[str, Any]]) -> bool:
    """Deletes and resets go last, so that the rest of the corpus meets live records."""
    method, path, _ = request
    return method == "DELETE" or path.startswith("/__mock__/reset")


@pytest.mark.parametrize("part", range(4))
def test_no_request_of_the_corpus_gets_a_500(target: tuple[Mock, list[str]], part: int) -> None:
    mock, paths = target
    client = mock.client
    corpus = sorted(requests_for(paths), key=destructive)
    for method, path, kwargs in corpus[part::4]:
        kwargs = dict(kwargs)
        headers = {"X-API-KEY": ACCOUNT_KEY, **kwargs.pop("headers", {})}
        response = client.open(path, method=method, headers=headers, **kwargs)
        check(response, f"{method} {path} {str(kwargs)[:200]}")


def test_the_corpus_reaches_the_handlers(target: tuple[Mock, list[str]]) -> None:
    """The corpus is not refused wholesale: bodies get as far as field validation."""
    mock, _ = target
    response = mock.call("POST", "channels/", json={"name": None, "type": []})
    assert response.status_code == 400
    assert response.get_json() == {
        "name": ["This field may not be null."],
        "type": ['"[]" is not a valid choice.'],
    }
    deep = mock.call(
        "POST",
        "channels/chat/publish/",
        data=b"[" * 5000 + b"]" * 5000,
        content_type="application/json",
    )
    assert deep.status_code == 400 and deep.get_json()["detail"].startswith("JSON parse error")
