"""The hot routes: publish, poll and the history list, served without Flask's request
machinery.

They are most of what a busy mock serves, and Flask's work around a view (contexts, URL
matching, hooks) cost more than the view itself. ``HotRoutes`` sits in front of the Flask app
and serves such a request itself when it takes the views' ordinary path; it hands anything
else to Flask unchanged: another route or method, a path Flask would spell otherwise
(non-ASCII, a script root), a WebSocket handshake, a body Flask would limit or parse itself
(over ``BODY_LIMIT``, chunked, multipart).

A hot request runs the same view code through the same seams as under Flask (``Call`` with
the request and the app's state given), and its answer gets the same steps on the way out
(the view's ``Allow``, then ``finish_for``). An error raised on the way goes to Flask's own
error handling, in a request context of its own, so every error answer is Flask's. An app
with answer faults (post-hooks on every answer) gets no hot routes at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, after_this_request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.wrappers import Request

from mock_server.api.base import Call, Mock
from mock_server.api.messages import (
    HISTORY_VIEW,
    POLL_VIEW,
    PUBLISH_VIEW,
    history_call,
    poll_call,
    publish_call,
)
from mock_server.responses import finish_for

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
View = Callable[[Call, str, str], Response]
# The channel routes' shape; publish and poll take no dot in the channel segment.
HOT_PATH = re.compile(r"/(v1(?:\.1)?)/instances/([^/]+)/channels/([^/]+)/(publish|poll|history)/")
ROUTES: dict[tuple[str, str], tuple[View, tuple[tuple[str, ...], str]]] = {
    ("publish", "POST"): (publish_call, PUBLISH_VIEW),
    ("poll", "GET"): (poll_call, POLL_VIEW),
    ("history", "GET"): (history_call, HISTORY_VIEW),
}
# Answers whose headers werkzeug's own WSGI call passes on unchanged (it only copies them).
PLAIN_STATUSES = (200, 201)
LINK_HEADERS = ("location", "content-location")
FLASK_ONLY_HEADERS = ("HTTP_TRANSFER_ENCODING", "HTTP_UPGRADE", "HTTP_SEC_WEBSOCKET_KEY")


class QueryArgs(ImmutableMultiDict[str, str]):
    """Query parameters whose ``get`` of an absent name returns the default at once: the
    werkzeug one raises and catches an exception, and the credential lookups ask for four
    absent names on most requests."""

    def get(self, key: str, default: Any = None, type: Any = None) -> Any:
        if key not in self:
            return default
        return super().get(key, default, type)


class HotRequest(Request):
    """The request of a hot route: werkzeug's, with ``QueryArgs``, and not stored in the
    environ (one more key there would double the size of that dict on every parked poll)."""

    parameter_storage_class = QueryArgs

    def __init__(self, environ: dict[str, Any]) -> None:
        super().__init__(environ, populate_request=False)


class HotRoutes:
    """WSGI middleware: the hot routes served at once, everything else by ``flask_app``.

    Its WSGI callable is the bound method ``serve``, not the instance: Python calls a bound
    method without a C-level frame in between, and a parked poll's greenlet keeps a copy of
    its C stack for as long as it waits."""

    def __init__(self, app: Flask, flask_app: WsgiApp, body_limit: int) -> None:
        self.app = app
        self.flask_app = flask_app
        self.body_limit = body_limit
        self.state: Mock = app.extensions["channels_mock"]

    def serve(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """The WSGI application."""
        route = self.route(environ)
        if route is None:
            return self.flask_app(environ, start_response)
        view, (allowed, name), version, instance, channel = route
        call = Call(version, allowed, name, HotRequest(environ), self.state)
        try:
            response = view(call, instance, channel)
        except Exception as error:  # every error answer is Flask's
            response = self.flask_answer(environ, call, error)
        else:
            response = finish_for(environ, call.add_allow(response))
        return emit(response, environ, start_response)

    def route(
        self, environ: dict[str, Any]
    ) -> tuple[View, tuple[tuple[str, ...], str], str, str, str] | None:
        """The view, its ``Call`` arguments and the URL's version, instance and channel, when
        this request may skip Flask; else None."""
        path = environ.get("PATH_INFO", "")
        found = HOT_PATH.fullmatch(path)
        if found is None or not path.isascii() or environ.get("SCRIPT_NAME"):
            return None
        version, instance, channel, action = found.groups()
        route = ROUTES.get((action, environ.get("REQUEST_METHOD", "GET").upper()))
        if route is None or (action != "history" and "." in channel):
            return None
        if any(name in environ for name in FLASK_ONLY_HEADERS):
            return None
        if "multipart" in environ.get("CONTENT_TYPE", ""):
            return None
        length = environ.get("CONTENT_LENGTH")
        if length and (not length.isdigit() or int(length) > self.body_limit):
            return None
        return (*route, version, instance, channel)

    def flask_answer(self, environ: dict[str, Any], call: Call, error: Exception) -> Response:
        """The answer Flask gives when a view raises ``error``: its error handlers, then the
        view's ``Allow`` and the app's after-request steps."""
        with self.app.request_context(environ):
            after_this_request(call.add_allow)
            try:
                return self.app.finalize_request(self.app.handle_user_exception(error))
            except Exception as unhandled:  # as Flask's wsgi_app: its 500 answer
                return self.app.handle_exception(unhandled)


def emit(response: Response, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """Start ``response`` as werkzeug's WSGI call would. For an answer with a body already in
    memory, a 200 or 201 and no link header (every hot answer but the 204s) that call would
    pass the headers and the body on as they are, so they go straight to the server; anything
    else takes werkzeug's call."""
    if response.status_code in PLAIN_STATUSES and response.is_sequence:
        headers = response.headers.to_wsgi_list()
        if not response.direct_passthrough and not any(
            name.lower() in LINK_HEADERS for name, _ in headers
        ):
            start_response(response.status, headers)
            return response.response
    return response(environ, start_response)
