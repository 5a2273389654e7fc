"""The hot routes (``mock_server.hot``) answer exactly as Flask does: the same requests, sent to
an app with hot routes and to one without, get the same status, headers (in order) and body,
successes and errors alike, in both compat modes and under throttling."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from mock_server.app import create_app
from mock_server.config import MockConfig

KEY = "c0ffee" * 6 + "0000"
DATETIME = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
HEX_KEY = re.compile(rb"[0-9a-f]{40}")
BASE = "/v1.1/instances/hot-routes"
Answer = tuple[int, list[tuple[str, str]], bytes]


def without_hot_routes(app: Flask) -> Flask:
    """``app`` served by Flask alone (the hot routes hand everything else to it)."""
    app.wsgi_app = app.wsgi_app.__self__.flask_app  # type: ignore[attr-defined,method-assign]
    return app


def answered(app: Flask, method: str, path: str, **kwargs: Any) -> Answer:
    response = app.test_client().open(path, method=method, **kwargs)
    headers = [(name, value) for name, value in response.headers if name != "Date"]
    body = HEX_KEY.sub(b"<key>", DATETIME.sub(b"<time>", response.get_data()))
    return response.status_code, headers, body


def scenario(app: Flask) -> list[Answer]:
    """Set-up through the API, then publish, poll and history requests of every kind."""
    admin = {"X-API-KEY": KEY}
    client = app.test_client()
    assert (
        client.post("/v1.1/instances/", json={"name": "hot-routes"}, headers=admin).status_code
        == 201
    )
    for channel in (
        {"name": "chat", "custom_publish": True, "other_permissions": "subscribe"},
        {"name": "rooms", "custom_publish": True, "type": "separate_rooms"},
        {"name": "closed"},
    ):
        response = client.post(f"{BASE}/channels/", json=channel, headers=admin)
        assert response.status_code == 201
    api_key = client.post(f"{BASE}/api_keys/", json={}, headers=admin).get_json()["api_key"]
    reader = client.post(
        f"{BASE}/api_keys/", json={"allow_anonymous_read": True}, headers=admin
    ).get_json()["api_key"]
    user = client.post(
        f"{BASE}/users/", json={"username": "u", "password": "p"}, headers=admin
    ).get_json()["user_key"]
    as_user = {"X-API-KEY": api_key, "X-USER-KEY": user}
    chat = f"{BASE}/channels/chat"
    rooms = f"{BASE}/channels/rooms"
    requests: list[tuple[str, str, dict[str, Any]]] = [
        # publish
        ("POST", f"{chat}/publish/", {"json": {"payload": {"a": 1}}, "headers": admin}),
        ("POST", f"{chat}/publish/", {"json": {"payload": '{"b": "ą"}'}, "headers": admin}),
        ("POST", f"{chat}/publish/", {"json": {"payload": "[1]"}, "headers": admin}),
        ("POST", f"{chat}/publish/", {"json": {"payload": "nope"}, "headers": admin}),
        ("POST", f"{chat}/publish/", {"json": {"payload": None}, "headers": admin}),
        ("POST", f"{chat}/publish/", {"json": [1], "headers": admin}),
        ("POST", f"{chat}/publish/", {"data": b"{bad", "headers": admin}),
        ("POST", f"{chat}/publish/", {"data": b"{}", "headers": {**admin, "Content-Type": ""}}),
        (
            "POST",
            f"{chat}/publish/",
            {"data": b"x", "headers": {**admin, "Content-Type": "text/xml"}},
        ),
        ("POST", f"{chat}/publish/", {"data": {"payload": '{"f": 1}'}, "headers": admin}),
        ("POST", f"{chat}/publish/", {"data": b"", "headers": admin}),
        ("POST", f"{chat}/publish/", {"json": {"payload": {"x": "y" * 70000}}, "headers": admin}),
        ("POST", f"{chat}/publish/", {"json": {"payload": {}}}),
        ("POST", f"{chat}/publish/", {"json": {}, "headers": {"X-API-KEY": "1" * 40}}),
        ("POST", f"{chat}/publish/", {"json": {}, "headers": {"X-API-KEY": api_key}}),
        ("POST", f"{chat}/publish/", {"json": {"payload": {"u": 1}}, "headers": as_user}),
        ("POST", f"{chat}/publish/", {"json": {}, "query_string": {"api_key": KEY}}),
        ("POST", f"{chat}/publish/", {"json": {}, "headers": {**admin, "Origin": "http://x"}}),
        ("POST", f"{BASE}/channels/CHAT/publish/", {"json": {}, "headers": admin}),
        ("POST", "/v1/instances/hot-routes/channels/chat/publish/", {"json": {}, "headers": admin}),
        ("POST", f"{BASE}/channels/closed/publish/", {"json": {}, "headers": admin}),
        ("POST", f"{BASE}/channels/nope/publish/", {"json": {}, "headers": admin}),
        ("POST", "/v1.1/instances/nope/channels/chat/publish/", {"json": {}, "headers": admin}),
        ("POST", f"{rooms}/publish/", {"json": {"payload": {}}, "headers": admin}),
        ("POST", f"{rooms}/publish/", {"json": {"room": " Lobby "}, "headers": admin}),
        ("POST", f"{rooms}/publish/", {"json": {"room": " "}, "headers": admin}),
        ("GET", f"{chat}/publish/", {"headers": admin}),
        # poll (the poll timeout is short: a poll with nothing to read answers 204)
        ("GET", f"{chat}/poll/", {"query_string": {"last_id": "0"}, "headers": admin}),
        ("GET", f"{chat}/poll/", {"query_string": {"last_id": "1"}, "headers": as_user}),
        ("GET", f"{chat}/poll/", {"query_string": {"last_id": "x"}, "headers": admin}),
        ("GET", f"{chat}/poll/", {"query_string": {"last_id": "999"}, "headers": admin}),
        (
            "GET",
            f"{chat}/poll/",
            {"query_string": {"last_id": "0"}, "headers": {"X-API-KEY": reader}},
        ),
        (
            "GET",
            f"{chat}/poll/",
            {"query_string": {"last_id": "0"}, "headers": {**admin, "Origin": "http://x"}},
        ),
        ("GET", f"{chat}/poll/", {"query_string": {"transport": "websocket"}, "headers": admin}),
        ("GET", f"{rooms}/poll/", {"query_string": {"last_id": "0"}, "headers": admin}),
        (
            "GET",
            f"{rooms}/poll/",
            {"query_string": {"last_id": "0", "room": "LOBBY"}, "headers": admin},
        ),
        (
            "GET",
            f"{BASE}/channels/closed/poll/",
            {"query_string": {"last_id": "0"}, "headers": as_user},
        ),
        ("GET", f"{chat}/poll/", {"query_string": {"last_id": "0"}}),
        ("POST", f"{chat}/poll/", {"headers": admin}),
        # history
        ("GET", f"{chat}/history/", {"headers": admin}),
        (
            "GET",
            f"{chat}/history/",
            {"query_string": {"ordering": "asc", "page_size": "2"}, "headers": admin},
        ),
        ("GET", f"{chat}/history/", {"query_string": {"page_size": "x"}, "headers": admin}),
        (
            "GET",
            f"{chat}/history/",
            {"query_string": {"last_id": "2", "fields": "id,payload"}, "headers": admin},
        ),
        (
            "GET",
            f"{chat}/history/",
            {"query_string": {"excluded_fields": "author", "room": ""}, "headers": admin},
        ),
        (
            "GET",
            f"{chat}/history/",
            {"query_string": {"direction": "0", "last_pk": "3"}, "headers": admin},
        ),
        ("GET", f"{chat}/history/", {"query_string": {"room": "lobby"}, "headers": admin}),
        ("GET", f"{chat}/history/", {"headers": {"X-API-KEY": reader, "Origin": "http://x"}}),
        ("GET", f"{rooms}/history/", {"headers": admin}),
        ("GET", f"{rooms}/history/", {"query_string": {"room": "lobby"}, "headers": admin}),
        ("GET", f"{BASE}/channels/nope/history/", {"headers": admin}),
        ("GET", f"{chat}/history/", {"headers": {"X-API-KEY": "2" * 40}}),
        ("GET", f"{BASE}/channels/a.b/history/", {"headers": admin}),
        ("DELETE", f"{chat}/history/", {"headers": admin}),
    ]
    return [answered(app, method, path, **kwargs) for method, path, kwargs in requests]


@pytest.mark.parametrize(
    "config",
    [
        MockConfig(account_key=KEY, poll_timeout=0.2),
        MockConfig(account_key=KEY, poll_timeout=0.2, compat="platform"),
        MockConfig(account_key=KEY, poll_timeout=0.2, throttle=25, poll_throttle=8),
    ],
    ids=["core", "platform", "throttled"],
)
def test_hot_routes_answer_as_flask_does(config: MockConfig) -> None:
    hot, flask_only = create_app(config), without_hot_routes(create_app(config))
    assert hot.wsgi_app.__func__.__qualname__ == "HotRoutes.serve"  # type: ignore[attr-defined]
    expected = scenario(flask_only)
    for number, (got, want) in enumerate(zip(scenario(hot), expected, strict=True)):
        assert got == want, f"request #{number}"
