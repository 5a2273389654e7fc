"""A broken target for end-to-end report tests: an HTTP proxy in front of the mock that breaks
exactly one known behaviour. An oversized publish (PUB-001: 413 before any other check) is
answered 400 instead; every other request goes to the mock unchanged."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

SIZE_LIMIT = 65536
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "host"})


def _handler(upstream_host: str, upstream_port: int) -> type[BaseHTTPRequestHandler]:
    class Forwarder(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            if self.command == "POST" and length > SIZE_LIMIT:
                detail = json.dumps({"detail": "Bad request."}).encode()
                self._answer(400, [("Content-Type", "application/json")], detail)
                return
            upstream = http.client.HTTPConnection(upstream_host, upstream_port, timeout=60)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                data = response.read()
                kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
                self._answer(response.status, kept, data)
            finally:
                upstream.close()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _forward

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the suite's own report shows the exchanges."""

    return Forwarder


@contextmanager
def breaking_proxy(upstream_url: str) -> Iterator[str]:
    """Serve the proxy on a free loopback port for the duration of the block; yields its URL."""
    target = urlsplit(upstream_url)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(target.hostname, target.port))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
