"""The load clients: HTTP/1.1 over raw keep-alive sockets, driven by gevent greenlets.

Requests are pre-rendered bytes and answers are parsed just enough (status line, headers,
``Content-Length`` body), so the client spends far less time per request than the server and
is not what a benchmark measures. The process must be monkey-patched by gevent (``run`` does
it) so that thousands of connections wait concurrently.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from typing import Any

import gevent

RECEIVE_SIZE = 65536
NO_BODY_STATUSES = (204, 304)


class ProtocolError(RuntimeError):
    """The server's answer is not an HTTP/1.1 response this client can frame."""


@dataclass
class Answer:
    """One HTTP response: status, lowercased headers, body, and when its last byte arrived."""

    status: int
    headers: dict[str, str]
    body: bytes
    received_at: float

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


def request_bytes(
    method: str, path: str, headers: dict[str, str] | None = None, body: Any = None
) -> bytes:
    """A complete HTTP/1.1 request; a ``body`` that is not bytes is sent as JSON."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    payload = b""
    if body is not None:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload


class Connection:
    """One kept-alive connection: send a request, read its answer, again."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray()

    def exchange(self, request: bytes) -> Answer:
        """Send one request and wait for its whole answer."""
        self.sock.sendall(request)
        return self.receive()

    def receive(self) -> Answer:
        """Read one response off the connection."""
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._fill()
        head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        del self.buffer[: end + 4]
        try:
            status = int(head[0].split(" ", 2)[1])
        except (IndexError, ValueError):
            raise ProtocolError(f"bad status line {head[0]!r}") from None
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if status in NO_BODY_STATUSES:
            length = 0
        elif "content-length" in headers:
            length = int(headers["content-length"])
        else:
            raise ProtocolError(f"an answer {status} without Content-Length")
        while len(self.buffer) < length:
            self._fill()
        body = bytes(self.buffer[:length])
        del self.buffer[:length]
        return Answer(status, headers, body, time.perf_counter())

    def _fill(self) -> None:
        chunk = self.sock.recv(RECEIVE_SIZE)
        if not chunk:
            raise ProtocolError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


@dataclass
class Rate:
    """How many requests a load completed in its timed window and how long that was; how many
    were sent in all (warm-up included) and how many of those were answered wrongly."""

    requests: int
    seconds: float
    errors: int
    sent: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def constant_load(
    host: str,
    port: int,
    clients: int,
    seconds: float,
    request: bytes,
    expected_status: int,
    warmup: float = 0.3,
) -> Rate:
    """``clients`` connections, each sending ``request`` back to back for ``seconds`` (after a
    short warm-up that is not counted); every answer must have ``expected_status``."""
    counts = [0] * clients
    errors = [0] * clients
    sent = [0] * clients
    window = {"start": 0.0, "stop": 0.0}

    def client(slot: int) -> None:
        connection = Connection(host, port)
        try:
            while (now := time.perf_counter()) < window["stop"]:
                answer = connection.exchange(request)
                sent[slot] += 1
                errors[slot] += answer.status != expected_status
                counts[slot] += now >= window["start"]
        finally:
            connection.close()

    window["start"] = time.perf_counter() + warmup
    window["stop"] = window["start"] + seconds
    gevent.joinall([gevent.spawn(client, slot) for slot in range(clients)], raise_error=True)
    return Rate(sum(counts), seconds, sum(errors), sum(sent))


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
