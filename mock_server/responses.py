"""How answers are rendered: compact UTF-8 JSON, the platform's headers, the plain 404 page.

An answer carries its ``kind``, which says what ``finish`` adds on the way out: an API view's
answer (the default) gets DRF's ``Vary`` (and, from its ``Call``, the view's ``Allow``); a plain
answer (Django's 404 page, the CORS preflight, the mock's own endpoints) gets ``Vary: Origin``;
an answer of the offloaded long-poll handler gets neither.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from flask import Response, request

API_CONTENT_TYPE = "application/json; charset=utf-8"
OFFLOADED_CONTENT_TYPE = "application/json"
NOT_FOUND_PAGE = "<h1>Not Found</h1><p>The requested resource was not found on this server.</p>"
METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
CORS_ALLOW_HEADERS = (
    "accept, accept-encoding, authorization, content-type, dnt, origin, "
    "user-agent, x-csrftoken, x-requested-with, x-api-key, x-user-key"
)
CORS_ALLOW_METHODS = "DELETE, GET, OPTIONS, PATCH, POST, PUT"
VIEW, PLAIN, OFFLOADED = "view", "plain", "offloaded"
VARY = {VIEW: "Accept, Origin", PLAIN: "Origin"}


def kind_of(response: Response) -> str:
    """How ``finish`` treats an answer: VIEW unless the code that made it said otherwise."""
    return getattr(response, "kind", VIEW)


def answered_as(kind: str, response: Response) -> Response:
    """``response``, marked as an answer of ``kind`` (PLAIN or OFFLOADED)."""
    response.kind = kind
    return response


# One encoder for every answer: ``json.dumps`` with options builds a new one on each call.
ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def render(data: Any) -> bytes:
    """Compact JSON with non-ASCII characters left as they are (PUB-016)."""
    return ENCODER.encode(data).encode()


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """An API view's answer (Vary and Allow are added on the way out)."""
    return Response(render(data), status=status, headers=headers, content_type=API_CONTENT_TYPE)


def offloaded_response(
    data: Any | None, headers: dict[str, str] | None = None, status: int = 200
) -> Response:
    """An answer of the long-poll handler: plain ``application/json``, ``no-cache``, and none
    of the view headers (apps/channels/handlers.py answers it, not the view; POLL-015).
    ``data`` may be already rendered."""
    body = b"" if data is None else data if isinstance(data, bytes) else render(data)
    response = Response(body, status=status, headers=headers, content_type=OFFLOADED_CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-cache"
    return answered_as(OFFLOADED, response)


def no_content() -> Response:
    """204 with no body and no Content-Type."""
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response


def not_found_page() -> Response:
    """What a path outside the API (or without its trailing slash) gets: an HTML 404."""
    return answered_as(PLAIN, Response(NOT_FOUND_PAGE, status=404, content_type="text/html"))


def preflight() -> Response:
    """The CORS preflight answer, given before any view runs."""
    response = Response(b"", status=200, content_type="text/html; charset=utf-8")
    response.headers.update(
        {
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
            "Access-Control-Allow-Methods": CORS_ALLOW_METHODS,
            "Access-Control-Max-Age": "86400",
        }
    )
    return answered_as(PLAIN, response)


def is_preflight() -> bool:
    """An OPTIONS request a browser sends before a cross-origin call."""
    return (
        request.method == "OPTIONS"
        and "Origin" in request.headers
        and "Access-Control-Request-Method" in request.headers
    )


@cache
def allow_header(methods: tuple[str, ...]) -> str:
    """The ``Allow`` header in DRF's order, HEAD implied by GET and OPTIONS always present."""
    present = set(methods) | {"OPTIONS"}
    if "GET" in present:
        present.add("HEAD")
    return ", ".join(m for m in METHOD_ORDER if m in present)


def finish(response: Response) -> Response:
    """Flask's last step on every answer: ``finish_for`` the current request."""
    return finish_for(request.environ, response)


def finish_for(environ: dict[str, Any], response: Response) -> Response:
    """Headers every answer gets on the way out: Vary by its kind, CORS, and HEAD without a
    body. It runs on every answer (each woken poll too), so it reads the environ once."""
    vary = VARY.get(kind_of(response))
    if vary is not None:
        response.headers["Vary"] = vary
    if "HTTP_ORIGIN" in environ and response.status_code != 101:
        response.headers["Access-Control-Allow-Origin"] = "*"
    if environ.get("REQUEST_METHOD") == "HEAD" and response.status_code == 200:
        response.set_data(b"")
    return response
