"""The deployment in front of the app, imitated for SDK developers: a slow network, connections
closed without an answer, the platform's bare Django 500, and its uWSGI HTTP router dropping
requests on kept-alive connections (``channels-mock serve --latency``, ``--drop-rate``,
``--error-rate``, ``--drop-kept-alive``).

It acts on gevent's request handler, around the app, so the API handlers never know; a server
started with no mode on does not use this module's handler at all.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any

import gevent
from gevent.pywsgi import WSGIHandler

from mock_server.config import DeploymentModes

# Django's default server_error view (django/views/defaults.py, 2.0): the platform's answer when
# a view raises and no 500.html template exists.
SERVER_ERROR_STATUS = "500 Internal Server Error"
SERVER_ERROR_BODY = b"<h1>Server Error (500)</h1>"
SERVER_ERROR_HEADERS = (
    ("Content-Type", "text/html"),
    ("Content-Length", str(len(SERVER_ERROR_BODY))),
)
DRAIN_CHUNK = 16384
DROPPED = "dropped"


class Fate(Enum):
    """What the deployment does with one request."""

    ANSWER = "answer"
    ERROR = "error"
    DROP = "drop"


class Deployment:
    """The modes and the one random generator they share: seeded, a sequence of requests meets
    the same delays, drops and errors on every run."""

    def __init__(self, modes: DeploymentModes) -> None:
        self.modes = modes
        self.random = random.Random(modes.seed)

    def draw(self, request_number: int) -> tuple[float, Fate]:
        """The delay in seconds and the fate of the ``request_number``-th request (from 1) of
        a connection, drawn together so a concurrent request cannot take a draw in between."""
        modes = self.modes
        jitter = self.random.uniform(-modes.jitter_ms, modes.jitter_ms) if modes.jitter_ms else 0.0
        delay = max(0.0, modes.latency_ms + jitter) / 1000
        if modes.drop_kept_alive and request_number > 1:
            return delay, Fate.DROP
        if modes.drop_rate and self.random.random() < modes.drop_rate:
            return delay, Fate.DROP
        if modes.error_rate and self.random.random() < modes.error_rate:
            return delay, Fate.ERROR
        return delay, Fate.ANSWER


def server_error(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Django's bare 500, in place of the app: the request never reaches the API."""
    start_response(SERVER_ERROR_STATUS, list(SERVER_ERROR_HEADERS))
    return [SERVER_ERROR_BODY]


class DeploymentHandler(WSGIHandler):
    """gevent's request handler with the deployment between the connection and the app. One
    handler serves one connection, so it counts that connection's requests."""

    deployment: Deployment
    requests_on_connection = 0
    arrived = 0.0

    def handle_one_response(self) -> None:
        self.arrived = time.time()
        self.requests_on_connection += 1
        delay, fate = self.deployment.draw(self.requests_on_connection)
        if delay:
            gevent.sleep(delay)
        if fate is Fate.DROP:
            self.drop()
            return
        if fate is Fate.ERROR:
            self.application = server_error
        super().handle_one_response()

    def drop(self) -> None:
        """Close the connection without a byte of answer. The request body is read first: a
        socket closed with unread data sends a reset, but a router that drops a request sends
        an orderly close, which clients report as "Remote end closed connection without
        response"."""
        self.close_connection = True
        body = self.wsgi_input
        body.send_100_continue_enabled = False
        with contextlib.suppress(OSError, ValueError):
            while body.read(DRAIN_CHUNK):
                pass
        self.status = DROPPED
        self.time_finish = time.time()
        self.log_request()

    def log_request(self) -> None:
        """Log from the request's arrival: gevent restarts its clock after the latency."""
        self.time_start = self.arrived
        super().log_request()


def deployed(handler_class: type[WSGIHandler], deployment: Deployment) -> type[WSGIHandler]:
    """``handler_class`` with ``deployment`` in front of the app."""
    return type(
        f"Deployed{handler_class.__name__}",
        (DeploymentHandler, handler_class),
        {"deployment": deployment},
    )
