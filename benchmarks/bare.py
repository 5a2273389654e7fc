"""The bare responder: the mock's server stack (gevent ``WSGIServer`` and Flask, set up by
``mock_server.server.serve_app``) with none of the mock behind it. Every rate of the mock is
divided by the same load's rate here, which cancels out much of a noisy machine.

Any path answers a fixed small JSON body at once; ``GET /hold/`` parks until
``POST /release/`` (the baseline of parked long polls), and ``GET /__mock__/stats`` counts the
parked requests, as the mock's does.

    python -m benchmarks.bare [--port 0]
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402

from flask import Flask, Response  # noqa: E402

from mock_server.server import serve_app  # noqa: E402

NAME = "bare-responder"
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


def answer() -> Response:
    """The fixed answer."""
    return Response(BODY, content_type="application/json")


def create_bare_app() -> Flask:
    """A Flask app doing nothing but answering."""
    app = Flask(__name__)
    gate = Gate()

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
        return Response(json.dumps({"subscriptions": gate.parked}), content_type="application/json")

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
    args = parser.parse_args()
    return serve_app(create_bare_app(), "127.0.0.1", args.port, quiet=True, name=NAME)


if __name__ == "__main__":
    sys.exit(main())
