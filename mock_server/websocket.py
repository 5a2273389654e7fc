"""The WebSocket transport of poll (``?transport=websocket``), as the platform serves it
(apps/channels/handlers.py; WS-001..010).

After the checks of an ordinary poll, a request carrying ``Sec-WebSocket-Key`` is answered
``101 Web Socket Protocol Handshake``. The session then sends the stored messages after
``last_id`` (at most 100, oldest first) and the live ones, each in its own text frame, and ends
by closing the TCP connection, without a close frame, after the 100th message or once the poll
timeout has passed since the handshake. A client close frame ends it at once the same way: the
platform's uWSGI drops the connection without answering it with a close frame (WS-008); a ping
gets an empty pong; the first client frame draws an empty ping; client data frames are ignored.

The session needs the connection's socket, which gevent's (and Werkzeug's) WSGI servers expose.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

from flask import Response

from mock_server.models import Message
from mock_server.store import Store, Subscription

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
STATUS = "101 Web Socket Protocol Handshake"
MAX_MESSAGES = 100
LISTENER_GRACE = 5.0
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA
Write = Callable[[bytes], Any]


def accept_key(key: str) -> str:
    """``Sec-WebSocket-Accept`` for a client's ``Sec-WebSocket-Key`` (RFC 6455)."""
    digest = hashlib.sha1((key.strip() + GUID).encode()).digest()
    return base64.b64encode(digest).decode()


def frame(opcode: int, payload: bytes = b"") -> bytes:
    """One unmasked, final server frame."""
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, size)
    elif size < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return head + payload


def read_frame(reader: BinaryIO) -> tuple[int, bytes] | None:
    """The next client frame (opcode, unmasked payload), or None at the end of the stream."""
    head = reader.read(2)
    if len(head) < 2:
        return None
    opcode, size = head[0] & 0x0F, head[1] & 0x7F
    if size == 126:
        size = struct.unpack("!H", reader.read(2))[0]
    elif size == 127:
        size = struct.unpack("!Q", reader.read(8))[0]
    mask = reader.read(4) if head[1] & 0x80 else b""
    data = reader.read(size)
    if mask:
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    return opcode, data


def connection_of(environ: dict[str, Any]) -> tuple[BinaryIO, socket.socket] | None:
    """The buffered reader and the socket of the request's connection, if the server shows
    them (gevent's pywsgi and Werkzeug's server do)."""
    stream = environ.get("wsgi.input")
    reader = getattr(stream, "rfile", stream)
    raw = getattr(reader, "raw", None)
    sock = environ.get("werkzeug.socket") or getattr(raw, "_sock", None)
    if reader is None or sock is None:
        return None
    return reader, sock


class Session:
    """One WebSocket session of a subscription, until its deadline or its 100th message."""

    def __init__(
        self,
        store: Store,
        subscription: Subscription,
        timeout: float,
        render: Callable[[Message], bytes],
    ) -> None:
        self.store = store
        self.subscription = subscription
        self.deadline = time.monotonic() + timeout
        self.render = render
        self._lock = threading.Lock()
        self._write: Write | None = None

    def send(self, data: bytes) -> bool:
        """Write one frame; False once the client is gone."""
        assert self._write is not None
        try:
            with self._lock:
                self._write(data)
        except OSError:
            self.subscription.cancel()
            return False
        return True

    def listen(self, reader: BinaryIO) -> None:
        """Answer the client's control frames until it closes or goes away; either ends the
        session (``run`` then closes the connection, no close frame is sent)."""
        first = True
        try:
            while (received := read_frame(reader)) is not None:
                opcode, _ = received
                if opcode == CLOSE:
                    break
                if opcode == PING:
                    self.send(frame(PONG))
                elif first:
                    self.send(frame(PING))
                first = False
        except (OSError, struct.error, ValueError):
            pass
        self.subscription.cancel()

    def run(self, environ: dict[str, Any], write: Write) -> None:
        """Deliver messages until the session ends, then close the connection."""
        connection = connection_of(environ)
        assert connection is not None
        reader, sock = connection
        self._write = write
        listener = threading.Thread(target=self.listen, args=(reader,), daemon=True)
        listener.start()
        sent = 0
        try:
            while sent < MAX_MESSAGES:
                message = self.subscription.take(self.deadline - time.monotonic())
                if message is None or not self.send(frame(TEXT, self.render(message))):
                    break
                sent += 1
        finally:
            self.store.unsubscribe(self.subscription)
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            listener.join(LISTENER_GRACE)


class HandshakeResponse(Response):
    """The 101 answer; calling it as a WSGI app runs the whole session."""

    def __init__(self, session: Session, key: str, origin: str | None) -> None:
        super().__init__(status=101)
        self.session = session
        self.handshake = [
            ("Upgrade", "WebSocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Origin", origin or "*"),
            ("Sec-WebSocket-Accept", accept_key(key)),
        ]

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        write = start_response(STATUS, self.handshake)
        write(b"")
        self.session.run(environ, write)
        return []
