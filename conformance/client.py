"""The one HTTP client of the suite: base URL, auth headers per principal, and a record of every
exchange, so a failing check can show exactly what the target did.

It behaves like a careful HTTP client in front of real deployments:
- every request has a total deadline (connect, headers and the whole body) and a body-size cap,
  so an endless or stalled answer fails the check instead of hanging the run;
- a request dropped without an answer on a kept-alive connection is sent again on a fresh
  connection when its method is idempotent; a POST or PATCH is never sent twice (it may have
  been applied), and the process switches to one connection per request instead;
- a 429 is honoured (wait Retry-After, send again, within a bound) and, with a rate limit, the
  client keeps under it on its own side;
- what it re-sent and waited for is counted in ``TransportStats`` for the report.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from conformance.masking import Secrets

BODY_LIMIT = 2000
KEPT_EXCHANGES = 20
DEFAULT_DEADLINE = 15.0
BODY_CAP = 16 * 1024 * 1024
CONNECT_TIMEOUT = 10.0
READ_CHUNK = 65536
API_PREFIX = "/v1.1"
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
THROTTLE_WAIT_LIMIT = 90.0  # seconds one request may spend waiting out 429 answers
RETRY_AFTER_LIMIT = 30.0  # the longest single Retry-After honoured
DROPPED = (
    http.client.RemoteDisconnected,
    ConnectionResetError,
    ConnectionAbortedError,
    BrokenPipeError,
    urllib3.exceptions.ProtocolError,
)


class TargetSilent(AssertionError):
    """The target gave no complete answer: no answer within the deadline, a connection dropped
    without an answer, a body cut off or over the size cap."""


class DeadlinePassed(TargetSilent):
    """No complete answer within the request's deadline (a waiting poll's, for instance)."""


class TargetUnusable(RuntimeError):
    """The target cannot be used for this request at all (it refuses connections, or keeps
    answering 429): a problem of the run, not evidence against a requirement."""


@dataclass(frozen=True)
class Policy:
    """How this process talks to the target; decided once per run and handed to workers."""

    deadline: float = DEFAULT_DEADLINE
    fresh_connections: bool = False
    rate_limit: float | None = None  # requests per second this process may send


@dataclass
class TransportStats:
    """What the client did besides sending each request once, for the report."""

    requests: int = 0
    dropped: int = 0  # connections the target closed without an answer
    resent: int = 0  # idempotent requests sent again on a fresh connection
    throttled: int = 0  # 429 answers waited out and sent again
    throttled_wait_s: float = 0.0
    fresh_connections: bool = False  # one connection per request (the target drops kept-alive)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, **increments: float) -> None:
        with self._lock:
            for name, value in increments.items():
                setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}

    def add(self, other: dict[str, Any]) -> None:
        """Fold another process's figures into these."""
        with self._lock:
            for name, value in other.items():
                if isinstance(value, bool):
                    setattr(self, name, getattr(self, name) or value)
                elif name in self.as_dict():
                    setattr(self, name, getattr(self, name) + value)


class Pacer:
    """Spaces requests evenly so this process never sends more than ``rate`` per second."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


@dataclass(frozen=True)
class Principal:
    """Who calls: an account key, an instance API key, optionally a user key, or nothing.
    The keys stay out of the repr, which tracebacks and reports show."""

    label: str
    api_key: str | None = field(default=None, repr=False)
    user_key: str | None = field(default=None, repr=False)

    def with_user(self, label: str, user_key: str | None) -> Principal:
        """The same API key acting for a user (or for a bogus user key)."""
        return Principal(label, self.api_key, user_key)

    def auth_headers(self, auth_style: str) -> dict[str, str]:
        """Headers carrying the credentials, as an SDK would send them (AUTH-004)."""
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


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and everything it wraps (requests and urllib3 nest them several deep)."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo:
        item = todo.pop()
        if item in seen:
            continue
        seen.append(item)
        nested = [item.__cause__, item.__context__, getattr(item, "reason", None), *item.args]
        todo.extend(n for n in nested if isinstance(n, BaseException))
    return seen


def _dropped(exc: BaseException) -> bool:
    """Whether the connection was closed under the request, before any answer came."""
    causes = _causes(exc)
    if any(isinstance(c, urllib3.exceptions.NewConnectionError) for c in causes):
        return False
    return any(isinstance(c, DROPPED) for c in causes)


def _reason(exc: BaseException) -> str:
    """The innermost cause in a few words, e.g. "ConnectionRefusedError: [Errno 111] ..."."""
    causes = [c for c in _causes(exc) if not isinstance(c, requests.RequestException)]
    inner = causes[-1] if causes else exc
    return f"{type(inner).__name__}: {inner}"[:200]


def retry_after(reply_headers: Any) -> float:
    """Seconds a 429 asks to wait (RFC 9110 Retry-After: seconds or a date; 1 when absent)."""
    value = str(reply_headers.get("Retry-After", "")).strip()
    if not value:
        return 1.0
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            seconds = 1.0
    return min(max(seconds, 0.0), RETRY_AFTER_LIMIT)


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
    throttled: int = 0  # 429 answers waited out before this one
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
        self,
        base_url: str,
        auth_style: str,
        log: ExchangeLog,
        policy: Policy | None = None,
        stats: TransportStats | None = None,
        secrets: Secrets | None = None,
        before_send: Callable[[], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth_style = auth_style
        self.log = log
        self.policy = policy or Policy()
        self.stats = stats or TransportStats()
        self.secrets = secrets or Secrets()
        self.before_send = before_send  # may stop a request before it leaves (a run's end)
        if self.policy.fresh_connections:
            self.stats.fresh_connections = True
        self.pacer = Pacer(self.policy.rate_limit)
        self._local = threading.local()

    def _session(self) -> requests.Session:
        """One keep-alive session per thread (requests sessions are not thread-safe)."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            # Only failed connection attempts are retried here: the request never left.
            retry = Retry(
                total=2,
                connect=2,
                read=False,
                status=0,
                other=0,
                redirect=0,
                respect_retry_after_header=False,  # 429s are this client's business
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
        throttling_check: bool = False,
    ) -> Reply:
        """Send one request; ``path`` is absolute on the target (``/v1.1/...``). ``timeout`` is
        the deadline for the whole answer. A throttling check sees every 429 as it came and is
        not held to the rate limit."""
        __tracebackhide__ = True
        all_headers = principal.auth_headers(self.auth_style)
        body: bytes | None = None
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        elif data is not None:
            body = data.encode("utf-8") if isinstance(data, str) else data
        all_headers.update(headers or {})
        prepared = self._session().prepare_request(
            requests.Request(
                method, self.base_url + path, params=params, data=body, headers=all_headers
            )
        )
        return self.send(prepared, principal.label, timeout, throttling_check)

    def send(
        self,
        prepared: requests.PreparedRequest,
        caller: str,
        timeout: float | None = None,
        throttling_check: bool = False,
    ) -> Reply:
        """Send a prepared request (absolute URL) with the client's deadlines, pacing, 429
        handling and re-sends, and record the exchange."""
        __tracebackhide__ = True
        body = prepared.body.encode("utf-8") if isinstance(prepared.body, str) else prepared.body
        deadline = timeout or self.policy.deadline
        waited = 0.0
        throttled = 0
        while True:
            if self.before_send is not None:
                self.before_send()
            if not throttling_check:
                self.pacer.wait()
            reply = self._exchange(prepared, body, caller, deadline)
            reply.throttled = throttled
            self.log.add(reply)
            if reply.status != 429 or throttling_check:
                return reply
            pause = retry_after(reply.headers)
            if waited + pause > THROTTLE_WAIT_LIMIT:
                raise TargetUnusable(
                    f"{reply.method} {reply.path}: still answered 429 after waiting {waited:g} s "
                    f"for the target's rate limit (give --rate-limit to keep under it)"
                )
            self.stats.count(throttled=1, throttled_wait_s=pause)
            throttled += 1
            waited += pause
            time.sleep(pause)

    def _exchange(
        self, prepared: requests.PreparedRequest, body: bytes | None, caller: str, deadline: float
    ) -> Reply:
        """One request and its whole answer, sent again on a fresh connection when a kept-alive
        one was dropped under an idempotent request."""
        __tracebackhide__ = True
        method = prepared.method or "GET"
        label = f"{method} {urlsplit(prepared.url or '').path}"
        while True:
            fresh = self.stats.fresh_connections
            if fresh:
                prepared.headers["Connection"] = "close"
            sent_at = time.monotonic()
            self.stats.count(requests=1)
            try:
                response = self._session().send(
                    prepared,
                    stream=True,
                    allow_redirects=False,
                    timeout=(min(CONNECT_TIMEOUT, deadline), deadline),
                )
            except requests.ConnectTimeout:
                raise TargetUnusable(
                    f"{label}: cannot connect within {min(CONNECT_TIMEOUT, deadline):g} s"
                ) from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                if isinstance(exc, requests.Timeout) or any(
                    isinstance(c, urllib3.exceptions.ReadTimeoutError) for c in _causes(exc)
                ):
                    raise DeadlinePassed(
                        f"{label}: no complete answer within {deadline:g} s"
                    ) from None
                if not _dropped(exc):
                    raise TargetUnusable(f"{label}: cannot connect ({_reason(exc)})") from None
                self.stats.count(dropped=1)
                self.stats.fresh_connections = True
                if fresh or method not in IDEMPOTENT:
                    raise TargetSilent(self._drop_message(label, method, fresh)) from None
                self.stats.count(resent=1)
                continue
            except requests.RequestException as exc:  # an invalid URL, too many redirects...
                raise TargetUnusable(f"{label}: {_reason(exc)}") from None
            content = self._read_body(response, label, sent_at + deadline, deadline)
            received_at = time.monotonic()
            if fresh:
                # Not every server echoes "Connection: close" (gevent's does not), and without
                # it urllib3 pools the connection that the server is closing.
                self._session().close()
            return Reply(
                method=method,
                url=prepared.url or "",
                request_headers=dict(prepared.headers),
                request_body=body,
                status=response.status_code,
                headers=response.headers,
                body=content,
                elapsed_ms=(received_at - sent_at) * 1000,
                caller=caller,
                sent_at=sent_at,
                received_at=received_at,
            )

    @staticmethod
    def _drop_message(label: str, method: str, fresh: bool) -> str:
        if fresh:
            return f"{label}: the target closed the connection without an answer"
        return (
            f"{label}: the target closed a kept-alive connection without an answer; a {method} "
            "may have been applied, so it was not sent again (this process now opens one "
            "connection per request)"
        )

    def _read_body(
        self, response: requests.Response, label: str, deadline_at: float, deadline: float
    ) -> bytes:
        """The whole body, within the request's deadline and under the size cap; a connection
        left in an unknown state is closed, never reused."""
        __tracebackhide__ = True
        raw = response.raw
        chunks: list[bytes] = []
        size = 0
        try:
            while chunk := self._next_chunk(raw, label, deadline_at, deadline, size):
                size += len(chunk)
                if size > BODY_CAP:
                    raise TargetSilent(
                        f"{label}: the answer's body is over {BODY_CAP // (1024 * 1024)} MiB"
                    )
                chunks.append(chunk)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            response.close()
            timed_out = isinstance(exc, urllib3.exceptions.ReadTimeoutError) or any(
                isinstance(c, TimeoutError) for c in _causes(exc)
            )
            what = f"no complete answer within {deadline:g} s" if timed_out else "answer cut off"
            error = DeadlinePassed if timed_out else TargetSilent
            raise error(
                f"{label}: {what} (status {response.status_code}, {size} body bytes; "
                f"{_reason(exc)})"
            ) from None
        except TargetSilent:
            response.close()
            raise
        return b"".join(chunks)

    @staticmethod
    def _next_chunk(
        raw: urllib3.BaseHTTPResponse, label: str, deadline_at: float, deadline: float, size: int
    ) -> bytes:
        remaining = deadline_at - time.monotonic()
        if remaining <= 0:
            raise DeadlinePassed(
                f"{label}: no complete answer within {deadline:g} s "
                f"(status {raw.status}, {size} body bytes so far)"
            )
        _set_read_timeout(raw, remaining)
        return raw.read1(READ_CHUNK)

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


def _set_read_timeout(raw: urllib3.BaseHTTPResponse, seconds: float) -> None:
    """Bound the next socket read by what is left of the request's deadline."""
    connection = getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.settimeout(max(seconds, 0.001))


@dataclass(frozen=True)
class Paths:
    """The channel routes of one instance; every path keeps its trailing slash."""

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
