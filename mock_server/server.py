"""Serving the app with gevent: one greenlet per connection, so thousands of parked long polls
are cheap; a clean stop on SIGINT / SIGTERM.

``serve`` must be called before anything imports Flask or the store: it monkey-patches the
process first (``cli.main`` only imports this module on ``serve``).
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import gc  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
from gevent.pywsgi import WSGIHandler, WSGIServer  # noqa: E402

from mock_server.app import create_app  # noqa: E402
from mock_server.config import DeploymentModes, MockConfig  # noqa: E402
from mock_server.deployment import Deployment, deployed  # noqa: E402

LISTEN_BACKLOG = 4096
READ_BUFFER_SIZE = 512
STOP_GRACE_SECONDS = 1.0


class NoDelayHandler(WSGIHandler):
    """gevent's request handler, tuned for many small answers and many idle connections.

    - Nagle's algorithm is off: on a kept-alive connection a response's last segment would
      otherwise wait for the client's delayed ACK (about 40 ms per request).
    - The header block goes out in the same send as the first body bytes (gevent sends them
      separately; each send costs two system calls and, on loopback, waking the client).
    - The read buffer is 512 B instead of 8 KB: a parked poll keeps its connection's buffer,
      and requests are small (larger bodies are read straight past the buffer).
    - The parsed request headers are dropped once the environ holds them (0.7 KB a request,
      kept for as long as a poll is parked).
    """

    _held: list[bytes] | None = None

    def __init__(self, sock: socket.socket, address: Any, server: WSGIServer) -> None:
        super().__init__(sock, address, server)
        self.rfile.close()
        self.rfile = sock.makefile("rb", READ_BUFFER_SIZE)

    def handle(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().handle()

    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        self.headers = None  # parsed into the environ; nothing reads them again
        return environ

    def _write_with_headers(self, data: bytes) -> None:
        self._held = []
        try:
            super()._write_with_headers(data)
            pending = b"".join(self._held)
        finally:
            self._held = None
        super()._sendall(pending)

    def _sendall(self, data: bytes) -> None:
        if self._held is not None:
            self._held.append(data)
            return
        super()._sendall(data)


class LoggingHandler(NoDelayHandler):
    """gevent's request handler, logging one line per request on stderr (method, path, status,
    milliseconds; a long poll's line includes its wait)."""

    def log_request(self) -> None:
        elapsed = ((self.time_finish or time.time()) - self.time_start) * 1000
        status = self.status or "-"
        if isinstance(status, bytes):
            status = status.decode("latin-1")
        status = status.split(" ", 1)[0]
        sys.stderr.write(f"{self.command} {self.path} {status} {elapsed:.1f}ms\n")
        sys.stderr.flush()


class QuietHandler(NoDelayHandler):
    """gevent's request handler without any request log."""

    def log_request(self) -> None:
        return


def raise_open_files_limit() -> None:
    """Let the process hold as many sockets as the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def serve(
    config: MockConfig,
    host: str,
    port: int,
    quiet: bool = False,
    modes: DeploymentModes | None = None,
    listener: socket.socket | None = None,
) -> int:
    """Serve the mock until SIGINT or SIGTERM, behind the deployment ``modes`` describe; on
    ``listener`` when given (a worker's SO_REUSEPORT socket, ``mock_server.workers``)."""
    modes = modes or DeploymentModes()
    deployment = Deployment(modes) if modes.active else None
    # The app's WSGI callable itself: Flask's ``__call__`` would only add a frame to the
    # stack that every parked poll keeps.
    app = create_app(config).wsgi_app
    note = ready_note(config, modes)
    return serve_app(app, host, port, quiet, note=note, deployment=deployment, listener=listener)


def ready_note(config: MockConfig, modes: DeploymentModes) -> str:
    """What follows the address in the ready line: the account key, then the faults and the
    modes that are on, so a log shows what the server was doing (``spec.protocol.READY_LINE``
    reads up to the key)."""
    note = f" (account key {config.account_key})"
    if config.faults:
        note += f" with faults {', '.join(sorted(config.faults))}"
    shown = modes.describe()
    if config.throttle is not None:
        shown.append(f"throttle {config.throttle}/s")
    if config.poll_throttle is not None:
        shown.append(f"poll-throttle {config.poll_throttle}/s")
    if shown:
        note += f" {'and' if config.faults else 'with'} modes {', '.join(shown)}"
    return note


def serve_app(
    app: Callable[..., Any],
    host: str,
    port: int,
    quiet: bool,
    name: str = "channels-mock",
    note: str = "",
    deployment: Deployment | None = None,
    listener: socket.socket | None = None,
) -> int:
    """Serve a WSGI app on this stack until SIGINT or SIGTERM; print the ready line
    (``NAME listening on http://HOST:PORT`` and ``note``) once the socket listens. The
    benchmarks' bare responder is served by this same function. Without ``deployment`` the
    handler is gevent's, tuned, with nothing in front of the app."""
    raise_open_files_limit()
    handler_class: type[WSGIHandler] = QuietHandler if quiet else LoggingHandler
    if deployment is not None:
        handler_class = deployed(handler_class, deployment)
    # What exists now (the app, its spec and schemas: most objects of the process) lives as
    # long as the process: out of the collector's sight, a full collection with thousands of
    # parked polls costs a fraction of what it did.
    gc.freeze()
    if listener is not None:  # already listening, with its own backlog
        server = WSGIServer(listener, app, log=None, handler_class=handler_class)
    else:
        server = WSGIServer(
            (host, port), app, log=None, backlog=LISTEN_BACKLOG, handler_class=handler_class
        )
    try:
        server.start()
    except OSError as exc:
        print(
            f"{name}: error: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr
        )
        return 1
    bound_host, bound_port = server.address[:2]
    print(f"{name} listening on http://{bound_host}:{bound_port}{note}", flush=True)

    def stop() -> None:
        server.stop(timeout=STOP_GRACE_SECONDS)

    for signum in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(signum, stop)
    server.serve_forever()
    return 0
