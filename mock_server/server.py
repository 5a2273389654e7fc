"""Serving the app with gevent: one greenlet per connection, so thousands of parked long polls
are cheap; a clean stop on SIGINT / SIGTERM.

``serve`` must be called before anything imports Flask or the store: it monkey-patches the
process first (``cli.main`` only imports this module on ``serve``).
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import resource  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterable  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
from gevent.pywsgi import WSGIServer  # noqa: E402

from mock_server.app import create_app  # noqa: E402
from mock_server.config import MockConfig  # noqa: E402

LISTEN_BACKLOG = 4096
STOP_GRACE_SECONDS = 1.0
StartResponse = Callable[..., Any]


class RequestLog:
    """WSGI middleware: one line per request on stderr (method, path, status, milliseconds),
    written when the status is known (so a long poll's line includes its wait)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        started = time.monotonic()
        path = environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]

        def logged_start_response(status: str, headers: list[tuple[str, str]],
                                  exc_info: Any = None) -> Any:
            elapsed = (time.monotonic() - started) * 1000
            sys.stderr.write(f"{environ.get('REQUEST_METHOD', '-')} {path} "
                             f"{status.split(' ', 1)[0]} {elapsed:.1f}ms\n")
            sys.stderr.flush()
            return start_response(status, headers, exc_info)

        return self.app(environ, logged_start_response)


def raise_open_files_limit() -> None:
    """Let the process hold as many sockets as the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def serve(config: MockConfig, host: str, port: int, quiet: bool = False) -> int:
    """Serve until SIGINT or SIGTERM; print the ready line once the socket listens."""
    raise_open_files_limit()
    app = create_app(config)
    handler = app if quiet else RequestLog(app)
    server = WSGIServer((host, port), handler, log=None, backlog=LISTEN_BACKLOG)
    try:
        server.start()
    except OSError as exc:
        print(f"channels-mock: error: cannot listen on {host}:{port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    bound_host, bound_port = server.address[:2]
    print(f"channels-mock listening on http://{bound_host}:{bound_port} "
          f"(account key {config.account_key})", flush=True)

    def stop() -> None:
        server.stop(timeout=STOP_GRACE_SECONDS)

    for signum in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(signum, stop)
    server.serve_forever()
    return 0
