"""Replaying the platform captures (golden exchanges) against an in-process mock.

Each capture run is replayed in order against a fresh app. Keys and the ids the platform
allocates globally (API keys, admins) are mapped to the ones the mock issues, as they appear
in responses; datetimes and keys are compared by form only. Everything else is compared as it
stands: status, the JSON body and the headers the platform sets.

Long polls that were answered by a message published while they waited are started in a
thread and parked (the store's subscription count tells when) before that publish is replayed.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from mock_server.app import create_app
from mock_server.config import MockConfig
from spec.protocol import DATETIME

CAPTURES = Path(__file__).with_name("captures")
CAPTURE_FILES = ("platform-captures.json", "platform-captures-2.json")
ACCOUNT_KEY = "c0ffee" * 6 + "0000"
REPLAY_POLL_TIMEOUT = 0.3
KEY = re.compile(r"[0-9a-f]{40}")
REPEATED = re.compile(r"<'(.)' repeated (\d+) times>")
RAW_BODY = re.compile(r"<(\d+) bytes raw>")
API_KEY_LINK = re.compile(r"/api_keys/(\d+)/")
COMPARED_HEADERS = (
    "Content-Type",
    "Allow",
    "Vary",
    "Cache-Control",
    "X-Last-Id",
    "Retry-After",
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Methods",
    "Access-Control-Max-Age",
)
SENT_HEADERS = (
    "X-API-KEY",
    "X-USER-KEY",
    "Authorization",
    "Content-Type",
    "Origin",
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
    "Upgrade",
    "Connection",
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Version",
)
KEY_HEADERS = ("X-API-KEY", "X-USER-KEY")
KEY_PARAMS = ("api_key", "user_key", "apikey", "userkey")
PARK_TIMEOUT = 5.0


@dataclass
class Exchange:
    """One captured request/response pair."""

    run: int
    index: int
    name: str
    request: dict[str, Any]
    response: dict[str, Any]
    elapsed: float
    note: str
    websocket: bool

    @property
    def method(self) -> str:
        return self.request["method"]

    @property
    def path(self) -> str:
        return self.request["path"]

    @property
    def woken_poll(self) -> bool:
        """A long poll that waited and was answered by a message published meanwhile."""
        return (
            "/poll/" in self.path
            and self.elapsed > 0.5
            and not self.websocket
            and (self.response["headers"].get("X-Last-Id") is not None or "~1 s" in self.note)
        )

    @property
    def is_write(self) -> bool:
        """A request that creates a message (publish, data-object write)."""
        return self.method in ("POST", "PATCH", "DELETE") and (
            self.path.endswith("/publish/") or "/objects/" in self.path
        )


@dataclass
class Run:
    """One capture run: a description and its exchanges, in capture order."""

    number: int
    description: str
    exchanges: list[Exchange]


def load_runs() -> dict[int, Run]:
    """Every capture run of both files, by run number."""
    runs: dict[int, Run] = {}
    for name in CAPTURE_FILES:
        document = json.loads((CAPTURES / name).read_text(encoding="utf-8"))
        for run in document["runs"]:
            exchanges = [
                Exchange(
                    run["run"],
                    index,
                    capture["name"],
                    capture["request"],
                    capture["response"],
                    capture.get("elapsed_s") or 0.0,
                    capture.get("note", ""),
                    capture.get("transport") == "websocket",
                )
                for index, capture in enumerate(run["captures"])
            ]
            runs[run["run"]] = Run(run["run"], run["description"], exchanges)
    return runs


def expand(value: Any) -> Any:
    """Undo the capture's shortening of long strings: ``<'a' repeated N times>``."""
    if isinstance(value, str):
        return REPEATED.sub(lambda m: m.group(1) * int(m.group(2)), value)
    if isinstance(value, dict):
        return {k: expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v) for v in value]
    return value


def raw_body(size: int) -> bytes:
    """A publish body of exactly ``size`` bytes, as the 413 boundary captures sent."""
    frame = '{"payload": {"x": "%s"}}'
    return (frame % ("a" * (size - len(frame) + 2))).encode()


def shorten(value: Any) -> Any:
    """The capture's shortening, applied to both sides; datetimes and keys by form, and the
    admin record (the capture's registered admin, the mock's CLI admin) by shape only."""
    if isinstance(value, dict) and "email" in value and "has_password" in value:
        return {k: type(v).__name__ for k, v in value.items()}
    if isinstance(value, str):
        if len(value) > 1000 and len(set(value)) == 1:
            return f"<'{value[0]}' repeated {len(value)} times>"
        value = DATETIME.sub("<datetime>", value)
        return KEY.sub("<key>", value)
    if isinstance(value, dict):
        return {k: shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shorten(v) for v in value]
    return value


@dataclass
class Outcome:
    """What the mock answered to one exchange, and how it differs from the capture."""

    exchange: Exchange
    status: int
    body: Any
    headers: dict[str, str]
    differences: list[str] = field(default_factory=list)


class Replayer:
    """Replays the exchanges of one run against a fresh app."""

    def __init__(self, compat: str) -> None:
        self.config = MockConfig(
            account_key=ACCOUNT_KEY, poll_timeout=REPLAY_POLL_TIMEOUT, compat=compat
        )
        self.app = create_app(self.config)
        self.store = self.app.extensions["channels_mock"].store
        self.keys: dict[str, str] = {}
        self.api_key_ids: dict[int, int] = {}
        self.admin_ids: dict[int, int] = {}

    # requests
    def adopt_admin(self, exchange: Exchange) -> None:
        """The capture registered an admin; the mock's admin is the CLI account key."""
        body = exchange.response["body"]
        self.keys[body["account_key"]] = ACCOUNT_KEY
        self.admin_ids[body["id"]] = 1

    def client(self) -> FlaskClient:
        return self.app.test_client()

    def _key(self, value: str) -> str:
        return self.keys.get(value, value)

    def send(
        self, exchange: Exchange, path: str | None = None, client: FlaskClient | None = None
    ) -> TestResponse:
        """Send the captured request, its keys mapped to the mock's."""
        request = exchange.request
        parts = urlsplit(path or request["path"])
        params = [
            (k, self._key(v) if k in KEY_PARAMS else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
        url = parts.path + ("?" + urlencode(params) if params else "")
        headers: dict[str, str] = {}
        for name, value in request["headers"].items():
            if name not in SENT_HEADERS:
                continue
            if name in KEY_HEADERS:
                value = self._key(value)
            elif name == "Authorization" and " " in value:
                scheme, _, key = value.partition(" ")
                value = f"{scheme} {self._key(key)}"
            headers[name] = value
        body = request.get("body")
        data: bytes | None = None
        if isinstance(body, str):
            raw = RAW_BODY.fullmatch(body)
            data = raw_body(int(raw.group(1))) if raw else body.encode()
        elif body is not None:
            data = json.dumps(expand(body)).encode()
        content_type = headers.pop("Content-Type", None)
        return (client or self.client()).open(
            url, method=request["method"], headers=headers, data=data, content_type=content_type
        )

    def publish_filler(self, exchange: Exchange, body: dict[str, Any]) -> TestResponse:
        """An unrecorded publish of the capture, to the same channel as ``exchange``."""
        headers = {"X-API-KEY": self._key(exchange.request["headers"]["X-API-KEY"])}
        return self.client().post(exchange.path, json=body, headers=headers)

    # responses
    def learn(self, exchange: Exchange, body: Any) -> None:
        """Remember the keys and global ids the mock issued in place of the captured ones."""
        captured = exchange.response["body"]
        for found_in, mine in _pairs(captured, body):
            if "user_key" in found_in and "user_key" in mine:
                self.keys[found_in["user_key"]] = mine["user_key"]
            if isinstance(found_in.get("api_key"), str) and isinstance(mine.get("api_key"), str):
                self.keys[found_in["api_key"]] = mine["api_key"]
                self.api_key_ids[found_in["id"]] = mine["id"]

    def expected_body(self, exchange: Exchange) -> Any:
        """The captured body with API key and admin ids mapped to the mock's."""
        return _map_ids(exchange.response["body"], self.api_key_ids, self.admin_ids)

    def outcome(self, exchange: Exchange, response: TestResponse) -> Outcome:
        """Compare the mock's answer with the capture."""
        text = response.get_data(as_text=True)
        try:
            body: Any = json.loads(text) if text else ""
        except ValueError:
            body = text
        if isinstance(body, dict | list) and 200 <= response.status_code < 300:
            self.learn(exchange, body)
        headers = {
            name: response.headers[name] for name in COMPARED_HEADERS if name in response.headers
        }
        result = Outcome(exchange, response.status_code, body, headers)
        captured = exchange.response
        if response.status_code != captured["status"]:
            result.differences.append(f"status {response.status_code} != {captured['status']}")
        expected = shorten(self.expected_body(exchange))
        if shorten(body) != expected:
            result.differences.append(
                f"body {json.dumps(shorten(body))[:400]} != {json.dumps(expected)[:400]}"
            )
        for name in COMPARED_HEADERS:
            want = captured["headers"].get(name)
            got = headers.get(name)
            considered = want is not None or name != "Access-Control-Allow-Methods"
            if considered and got != want:
                result.differences.append(f"header {name}: {got!r} != {want!r}")
        return result

    # long polls woken by a write
    def parked(self, exchanges: list[Exchange], writes: list[Exchange]) -> list[Outcome]:
        """Start the polls, wait until all are parked, replay the writes, collect the polls."""
        answers: dict[int, TestResponse] = {}

        def poll(exchange: Exchange) -> None:
            answers[exchange.index] = self.send(exchange)

        before = self.store.subscription_count()
        threads = [threading.Thread(target=poll, args=(e,)) for e in exchanges]
        for thread in threads:
            thread.start()
        wait_until(
            lambda: (
                self.store.subscription_count() >= before + len(exchanges)
                or len(answers) == len(exchanges)
            )
        )
        outcomes = [self.outcome(w, self.send(w)) for w in writes]
        for thread in threads:
            thread.join(PARK_TIMEOUT)
        return outcomes + [self.outcome(e, answers[e.index]) for e in exchanges]


def wait_until(condition: Callable[[], bool], timeout: float = PARK_TIMEOUT) -> None:
    """Wait for a condition another thread makes true (bounded)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.005)


def _pairs(captured: Any, mine: Any) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Dicts at the same place in both bodies."""
    if isinstance(captured, dict) and isinstance(mine, dict):
        found = [(captured, mine)]
        for key, value in captured.items():
            if key in mine:
                found += _pairs(value, mine[key])
        return found
    if isinstance(captured, list) and isinstance(mine, list):
        return [pair for a, b in zip(captured, mine, strict=False) for pair in _pairs(a, b)]
    return []


def _map_ids(value: Any, api_key_ids: dict[int, int], admin_ids: dict[int, int]) -> Any:
    """Captured API key ids and admin ids as the mock numbers them."""
    if isinstance(value, dict):
        mapped = {k: _map_ids(v, api_key_ids, admin_ids) for k, v in value.items()}
        if isinstance(value.get("admin"), int):
            mapped["admin"] = admin_ids.get(value["admin"], value["admin"])
        if isinstance(value.get("api_key"), int):
            mapped["api_key"] = api_key_ids.get(value["api_key"], value["api_key"])
        if isinstance(value.get("api_key"), str) and "id" in value:
            mapped["id"] = api_key_ids.get(value["id"], value["id"])
        return mapped
    if isinstance(value, list):
        return [_map_ids(v, api_key_ids, admin_ids) for v in value]
    if isinstance(value, str):
        return API_KEY_LINK.sub(
            lambda m: f"/api_keys/{api_key_ids.get(int(m.group(1)), int(m.group(1)))}/", value
        )
    return value
