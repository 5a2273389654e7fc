"""Fixtures of the mock's own tests: in-process apps (Flask's test client) and a helper that
provisions instances, keys, users and channels through the public API."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from mock_server.app import create_app
from mock_server.config import MockConfig

ACCOUNT_KEY = "c0ffee" * 6 + "0000"
FAST_POLL = 0.3
_names = itertools.count(1)


@dataclass
class Mock:
    """One in-process mock and the set-up calls the tests need."""

    app: Flask
    key: str = ACCOUNT_KEY
    instance: str = field(default_factory=lambda: f"inst-{next(_names)}")

    @property
    def client(self) -> FlaskClient:
        return self.app.test_client()

    @property
    def store(self) -> Any:
        return self.app.extensions["channels_mock"].store

    @property
    def base(self) -> str:
        return f"/v1.1/instances/{self.instance}"

    def call(
        self,
        method: str,
        path: str,
        key: str | None = None,
        user_key: str | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        """A request with a key (the account key by default) and an optional user key."""
        headers = dict(kwargs.pop("headers", {}))
        if key != "":
            headers["X-API-KEY"] = key or self.key
        if user_key:
            headers["X-USER-KEY"] = user_key
        url = path if path.startswith("/") else f"{self.base}/{path}"
        return self.client.open(url, method=method, headers=headers, **kwargs)

    def created(
        self, path: str, body: dict[str, Any], key: str | None = None, user_key: str | None = None
    ) -> dict[str, Any]:
        response = self.call("POST", path, key, user_key, json=body)
        assert response.status_code == 201, (path, response.status_code, response.get_json())
        return response.get_json()

    def setup(self) -> Mock:
        self.created("/v1.1/instances/", {"name": self.instance})
        return self

    def channel(self, name: str, **fields: Any) -> str:
        return self.created("channels/", {"name": name, "custom_publish": True, **fields})["name"]

    def publish(
        self,
        channel: str,
        payload: dict[str, Any],
        room: str | None = None,
        key: str | None = None,
        user_key: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"payload": payload}
        if room is not None:
            body["room"] = room
        return self.created(f"channels/{channel}/publish/", body, key, user_key)

    def api_key(self, **flags: bool) -> dict[str, Any]:
        return self.created("api_keys/", dict(flags))

    def user(self) -> dict[str, Any]:
        return self.created("users/", {"username": f"u{next(_names)}", "password": "pw"})

    def group(self) -> dict[str, Any]:
        return self.created("groups/", {"label": "g"})

    def join(self, group: dict[str, Any], user: dict[str, Any]) -> None:
        self.created(f"groups/{group['id']}/users/", {"user": user["id"]})


@pytest.fixture
def make_mock() -> Callable[..., Mock]:
    """A factory of fresh, provisioned mocks; keyword arguments are MockConfig fields."""

    def make(**settings: Any) -> Mock:
        settings.setdefault("poll_timeout", FAST_POLL)
        return Mock(create_app(MockConfig(account_key=ACCOUNT_KEY, **settings))).setup()

    return make


@pytest.fixture
def mock(make_mock: Callable[..., Mock]) -> Mock:
    """A fresh mock in core mode with one instance."""
    return make_mock()
