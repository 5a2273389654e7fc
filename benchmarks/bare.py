"""The bare responders: the mock's server stack (gevent ``WSGIServer``, tuned and served by
``mock_server.server.serve_app``) with none of the mock behind it. Every rate of the mock is
divided by the same load's rate here, which cancels out much of a noisy machine.

Two flavours answer alike: ``wsgi``, a plain WSGI function (the limit of the stack), and
``flask``, a Flask app doing nothing (the stack plus the framework). Any path answers a fixed
small JSON body at once; ``GET /hold/`` parks until ``POST /release/`` (the baseline of parked
long polls), and ``GET /__mock__/stats`` counts the parked requests, as the mock's does.

    python -m benchmarks.bare [--port 0] [--flavour wsgi|flask]
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable, Iterable  # noqa: E402
from typing import Any  # noqa: E402

from flask import Flask, Response  # noqa: E402

from mock_server.server import serve_app  # noqa: E402

NAME = "bare-responder"
FLAVOURS = ("wsgi", "flask")
BODY = json.dumps(
    {
        "id": 1,
        "created_at": "2026-01-01T00:00:00.000000Z",
        "action": "custom",
        "author": {"admin": 1},
        "metadata": {"type": "message"},
        "payload": {"n": 1},
    },
    separators=(",", ":"),
).encode()
CONTENT_TYPE = "application/json"
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


class Gate:
    """Where held requests wait: one event for all of them, opened once per release."""

    def __init__(self) -> None:
        self.parked = 0
        self.event = threading.Event()

    def hold(self) -> None:
        event = self.event
        self.parked += 1
        try:
            event.wait()
        finally:
            self.parked -= 1

    def release(self) -> None:
        event, self.event = self.event, threading.Event()
        event.set()

    def stats(self) -> bytes:
        return json.dumps({"subscriptions": self.parked}).encode()


def create_bare_wsgi() -> Callable[..., Iterable[bytes]]:
    """A plain WSGI function doing nothing but answering."""
    gate = Gate()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        if path == "/hold/":
            gate.hold()
        elif path == "/release/":
            gate.release()
        body = gate.stats() if path == "/__mock__/stats" else BODY
        start_response(
            "200 OK", [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))]
        )
        return [body]

    return app


def create_bare_app() -> Flask:
    """A Flask app doing nothing but answering."""
    app = Flask(__name__)
    gate = Gate()

    def answer() -> Response:
        return Response(BODY, content_type=CONTENT_TYPE)

    @app.route("/hold/")
    def hold() -> Response:
        gate.hold()
        return answer()

    @app.route("/release/", methods=["POST"])
    def release() -> Response:
        gate.release()
        return answer()

    @app.route("/__mock__/stats")
    def stats() -> Response:
        return Response(gate.stats(), content_type=CONTENT_TYPE)

    @app.route("/", defaults={"path": ""}, methods=METHODS)
    @app.route("/<path:path>", methods=METHODS)
    def anything(path: str) -> Response:
        return answer()

    return app


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bare", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--flavour", choices=FLAVOURS, default="wsgi", help="default wsgi")
    args = parser.parse_args()
    app = create_bare_wsgi() if args.flavour == "wsgi" else create_bare_app()
    return serve_app(app, "127.0.0.1", args.port, quiet=True, name=f"{NAME}-{args.flavour}")


if __name__ == "__main__":
    sys.exit(main())
