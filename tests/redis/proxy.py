"""A small round-robin proxy: each client request goes to the next of several mock processes,
so a run through it proves that the processes behave as one server (a shared store).

Every request and answer head gets ``Connection: close``, so each backend answers one request
per connection and the client opens a new one, which the next backend serves. A WebSocket
handshake (``Sec-WebSocket-Key``) is passed untouched and its connection then tunnelled both
ways. One thread per client connection; loopback only.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import select
import socket
import threading
from collections.abc import Sequence
from types import TracebackType

HEAD_END = b"\r\n\r\n"
HEAD_LIMIT = 64 * 1024
CONNECTION_HEADER = re.compile(rb"\r\nconnection:[^\r]*", re.IGNORECASE)
CHUNK = 65536


class RoundRobinProxy:
    """Listens on a free loopback port; ``url`` is where to send requests."""

    def __init__(self, backends: Sequence[tuple[str, int]]) -> None:
        self._backends = itertools.cycle(backends)
        self._next_lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
        self.port = self._listener.getsockname()[1]
        self.forwarded = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> RoundRobinProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            head, rest = read_head(client)
            if head is None:
                return
            websocket = b"sec-websocket-key:" in head.lower()
            if not websocket:
                head = closing(head)
            with self._next_lock:
                backend = next(self._backends)
                self.forwarded += 1
            try:
                upstream = socket.create_connection(backend)
            except OSError:
                return
            with upstream:
                upstream.sendall(head + HEAD_END + rest)
                tunnel(client, upstream, rewrite_answer=not websocket)


def closing(head: bytes) -> bytes:
    """A request or response head that says ``Connection: close``, so the client does not
    send its next request on this connection (which the next backend must get)."""
    return CONNECTION_HEADER.sub(b"", head) + b"\r\nConnection: close"


def read_head(sock: socket.socket) -> tuple[bytes | None, bytes]:
    """The request head (without its blank line) and the bytes read after it."""
    buffered = b""
    while HEAD_END not in buffered:
        if len(buffered) > HEAD_LIMIT:
            return None, b""
        try:
            data = sock.recv(CHUNK)
        except OSError:
            return None, b""
        if not data:
            return None, b""
        buffered += data
    head, _, rest = buffered.partition(HEAD_END)
    return head, rest


def tunnel(client: socket.socket, upstream: socket.socket, rewrite_answer: bool) -> None:
    """Copy bytes both ways until either side closes; with ``rewrite_answer`` the answer's
    head is held until complete and passed on with ``Connection: close``."""
    peers = {client: upstream, upstream: client}
    answer_head: bytes | None = b"" if rewrite_answer else None
    while True:
        readable, _, _ = select.select(list(peers), [], [])
        for sock in readable:
            try:
                data = sock.recv(CHUNK)
            except OSError:
                data = b""
            if not data:
                with contextlib.suppress(OSError):
                    peers[sock].shutdown(socket.SHUT_WR)
                return
            if sock is upstream and answer_head is not None:
                answer_head += data
                if HEAD_END not in answer_head:
                    continue
                head, _, rest = answer_head.partition(HEAD_END)
                data, answer_head = closing(head) + HEAD_END + rest, None
            try:
                peers[sock].sendall(data)
            except OSError:
                return
