"""A TCP proxy in front of the mock that can hide a WebSocket client's close frame from it, to
prove the WS-008 check on servers that get a client close wrong.

Modes: ``forward`` passes everything; ``ignore`` drops the client's close frame, so the server
goes on delivering as if it never came; ``mute`` drops it too and stops passing the server's
bytes on, so the client sees neither an answer nor a closed connection.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

MODES = ("forward", "ignore", "mute")
CLOSE = 0x8
CHUNK = 65536
ACCEPT_POLL = 0.1  # seconds between looks at the stop flag


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    """``size`` bytes, or fewer at the end of the stream."""
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _client_frame(sock: socket.socket) -> tuple[int, bytes]:
    """The next client frame: its opcode and its raw bytes (b"" at the end of the stream)."""
    head = _read_exactly(sock, 2)
    if len(head) < 2:
        return 0, b""
    size = head[1] & 0x7F
    extended = {126: 2, 127: 8}.get(size, 0)
    extra = _read_exactly(sock, extended)
    if extended:
        size = struct.unpack("!H" if extended == 2 else "!Q", extra)[0]
    mask = 4 if head[1] & 0x80 else 0
    rest = _read_exactly(sock, mask + size)
    return head[0] & 0x0F, head + extra + rest


class Link:
    """One client connection and its upstream connection."""

    def __init__(self, client: socket.socket, upstream: socket.socket, mode: str) -> None:
        self.client = client
        self.upstream = upstream
        self.mode = mode
        self.muted = threading.Event()

    def run(self) -> None:
        """Pump both ways until the client ends (or, unless muted, the server)."""
        downstream = threading.Thread(target=self._to_client, daemon=True)
        downstream.start()
        with contextlib.suppress(OSError):
            self._to_server()
        self._close()
        downstream.join(timeout=10)

    def _close(self) -> None:
        for sock in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _to_client(self) -> None:
        """The server's bytes, until it closes (which the client then sees, unless muted)."""
        with contextlib.suppress(OSError):
            while data := self.upstream.recv(CHUNK):
                if not self.muted.is_set():
                    self.client.sendall(data)
        if not self.muted.is_set():
            self._close()

    def _to_server(self) -> None:
        """The client's bytes; past a WebSocket handshake, frame by frame."""
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.client.recv(CHUNK)
            if not chunk:
                return
            head += chunk
        self.upstream.sendall(head)
        if b"upgrade: websocket" not in head.lower():
            while data := self.client.recv(CHUNK):
                self.upstream.sendall(data)
            return
        while True:
            opcode, raw = _client_frame(self.client)
            if not raw:
                return
            if opcode == CLOSE and self.mode != "forward":
                if self.mode == "mute":
                    self.muted.set()
                continue
            self.upstream.sendall(raw)


@contextmanager
def close_proxy(upstream_url: str, mode: str) -> Iterator[str]:
    """Serve the proxy on a free loopback port for the duration of the block; yields its URL."""
    assert mode in MODES, mode
    host, port = upstream_url.removeprefix("http://").rstrip("/").split(":")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(ACCEPT_POLL)
    stopping = threading.Event()

    def accept() -> None:
        while not stopping.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            upstream = socket.create_connection((host, int(port)))
            link = Link(client, upstream, mode)
            threading.Thread(target=link.run, daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stopping.set()
        listener.close()
        thread.join(timeout=10)
