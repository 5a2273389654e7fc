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

import gevent  # noqa: E402
from gevent.pywsgi import WSGIHandler, WSGIServer  # noqa: E402

from mock_server.app import create_app  # noqa: E402
from mock_server.config import MockConfig  # noqa: E402

LISTEN_BACKLOG = 4096
STOP_GRACE_SECONDS = 1.0


class LoggingHandler(WSGIHandler):
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


class QuietHandler(WSGIHandler):
    """gevent's request handler without any request log."""

    def log_request(self) -> None:
        return


def raise_open_files_limit() -> None:
    """Let the process hold as many sockets as the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def serve(config: MockConfig, host: str, port: int, quiet: bool = False) -> int:
    """Serve until SIGINT or SIGTERM; print the ready line once the socket listens."""
    raise_open_files_limit()
    app = create_app(config)
    handler_class = QuietHandler if quiet else LoggingHandler
    server = WSGIServer((host, port), app, log=None, backlog=LISTEN_BACKLOG,
                        handler_class=handler_class)
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
