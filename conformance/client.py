"""The one HTTP client of the suite: base URL, auth headers per principal, timeouts, and a record
of every exchange, so a failing check can show exactly what the target did."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

BODY_LIMIT = 2000
KEPT_EXCHANGES = 20
DEFAULT_TIMEOUT = 15.0
API_PREFIX = "/v1.1"


class TargetSilent(AssertionError):
    """The target did not answer in time, or the connection failed."""


@dataclass(frozen=True)
class Principal:
    """Who calls: an account key, an instance API key, optionally a user key, or nothing."""

    label: str
    api_key: str | None = None
    user_key: str | None = None

    def with_user(self, label: str, user_key: str | None) -> Principal:
        """The same API key acting for a user (or for a bogus user key)."""
        return Principal(label, self.api_key, user_key)

    def auth_headers(self, auth_style: str) -> dict[str, str]:
        """Headers carrying the credentials, as an SDK would send them (reference §2.1)."""
        headers: dict[str, str] = {}
        if self.api_key is not None:
            if auth_style == "token":
                headers["Authorization"] = f"token {self.api_key}"
            else:
                headers["X-API-KEY"] = self.api_key
        if self.user_key is not None:
            headers["X-USER-KEY"] = self.user_key
        return headers


ANONYMOUS = Principal("no key")


def _excerpt(data: bytes | str | None) -> str:
    if data is None:
        return ""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return text if len(text) <= BODY_LIMIT else text[:BODY_LIMIT] + f"... ({len(text)} chars)"


@dataclass
class Reply:
    """One HTTP exchange as the target answered it."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int
    headers: requests.structures.CaseInsensitiveDict
    body: bytes
    elapsed_ms: float
    caller: str = ""
    sent_at: float = 0.0
    received_at: float = 0.0
    _json: Any = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)

    @property
    def path(self) -> str:
        """Path and query of the request, as the failure messages show it."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The parsed body; raises ValueError when the body is not JSON."""
        if not self._parsed:
            self._json = json.loads(self.body.decode("utf-8"))
            self._parsed = True
        return self._json

    def json_or_none(self) -> Any:
        """The parsed body, or None when it is not JSON (for messages that must not crash)."""
        try:
            return self.json()
        except ValueError:
            return None

    def as_exchange(self) -> dict[str, Any]:
        """The record the report writers read (see the report contract in plugin.py)."""
        return {
            "method": self.method,
            "url": self.url,
            "request_headers": dict(self.request_headers),
            "request_body": _excerpt(self.request_body),
            "status": self.status,
            "response_headers": dict(self.headers),
            "response_body": _excerpt(self.body),
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


class ExchangeLog:
    """The last exchanges of the running test, shared by every thread the test starts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._replies: deque[Reply] = deque(maxlen=KEPT_EXCHANGES)

    def clear(self) -> None:
        with self._lock:
            self._replies.clear()

    def add(self, reply: Reply) -> None:
        with self._lock:
            self._replies.append(reply)

    def exchanges(self) -> list[dict[str, Any]]:
        with self._lock:
            return [reply.as_exchange() for reply in self._replies]


class Client:
    """Sends requests to the target as a given principal and records every exchange."""

    def __init__(
        self, base_url: str, auth_style: str, log: ExchangeLog, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth_style = auth_style
        self.log = log
        self.timeout = timeout
        self._local = threading.local()

    def _session(self) -> requests.Session:
        """One keep-alive session per thread (requests sessions are not thread-safe)."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            retry = Retry(
                total=2,
                connect=2,
                read=0,
                status=0,
                other=0,
                respect_retry_after_header=False,
                raise_on_status=False,
            )
            adapter = HTTPAdapter(pool_maxsize=32, max_retries=retry)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._local.session = session
        return session

    def request(
        self,
        method: str,
        path: str,
        principal: Principal = ANONYMOUS,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Reply:
        """Send one request; ``path`` is absolute on the target (``/v1.1/...``)."""
        all_headers = principal.auth_headers(self.auth_style)
        body: bytes | None = None
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        elif data is not None:
            body = data.encode("utf-8") if isinstance(data, str) else data
        all_headers.update(headers or {})
        request = requests.Request(
            method, self.base_url + path, params=params, data=body, headers=all_headers
        )
        session = self._session()
        prepared = session.prepare_request(request)
        wait = timeout or self.timeout
        sent_at = time.monotonic()
        try:
            response = session.send(prepared, timeout=wait)
        except requests.Timeout as exc:
            raise TargetSilent(f"{method} {prepared.url}: no answer within {wait:g} s") from exc
        except requests.ConnectionError as exc:
            reason = re.search(r"\[Errno -?\d+\][^'\")]*", str(exc))
            detail = reason.group(0) if reason else type(exc).__name__
            raise TargetSilent(f"{method} {prepared.url}: connection failed ({detail})") from exc
        received_at = time.monotonic()
        reply = Reply(
            method=method,
            url=prepared.url or "",
            request_headers=dict(prepared.headers),
            request_body=body,
            status=response.status_code,
            headers=response.headers,
            body=response.content,
            elapsed_ms=(received_at - sent_at) * 1000,
            caller=principal.label,
            sent_at=sent_at,
            received_at=received_at,
        )
        self.log.add(reply)
        return reply

    def get(self, path: str, principal: Principal = ANONYMOUS, **kwargs: Any) -> Reply:
        return self.request("GET", path, principal, **kwargs)

    def post(self, path: str, principal: Principal = ANONYMOUS, **kwargs: Any) -> Reply:
        return self.request("POST", path, principal, **kwargs)

    def put(self, path: str, principal: Principal = ANONYMOUS, **kwargs: Any) -> Reply:
        return self.request("PUT", path, principal, **kwargs)

    def patch(self, path: str, principal: Principal = ANONYMOUS, **kwargs: Any) -> Reply:
        return self.request("PATCH", path, principal, **kwargs)

    def delete(self, path: str, principal: Principal = ANONYMOUS, **kwargs: Any) -> Reply:
        return self.request("DELETE", path, principal, **kwargs)


@dataclass(frozen=True)
class Paths:
    """The channel routes of one instance (reference §1.2); every path keeps its trailing slash."""

    instance: str
    prefix: str = API_PREFIX

    @property
    def instance_root(self) -> str:
        return f"{self.prefix}/instances/{self.instance}/"

    @property
    def channels(self) -> str:
        return f"{self.instance_root}channels/"

    def channel(self, name: str) -> str:
        return f"{self.channels}{name}/"

    def publish(self, name: str) -> str:
        return f"{self.channel(name)}publish/"

    def poll(self, name: str) -> str:
        return f"{self.channel(name)}poll/"

    def history(self, name: str) -> str:
        return f"{self.channel(name)}history/"

    def history_item(self, name: str, message_id: int | str) -> str:
        return f"{self.history(name)}{message_id}/"
