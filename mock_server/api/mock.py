"""Endpoints of the mock itself, for SDK developers: the spec, an API page, and a reset. They
are no API views: their answers, errors included, are plain (``Vary: Origin``, no ``Allow``
but on a 405, which ``register_hooks`` answers for them).

The API page is Swagger UI from the files the ``flask-swagger-ui`` package ships (its ``dist``
folder), loaded by a page of our own rather than the package's blueprint: the blueprint's page
lives at ``/docs/``, and this mock answers a path with a trailing slash it does not route with a
404 (ERR-004), not a redirect."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

import flask_swagger_ui
from flask import Blueprint, Response, current_app, request, send_from_directory

import spec
from mock_server import access
from mock_server.api.base import mock
from mock_server.errors import denied
from mock_server.parsing import RequestBody
from mock_server.responses import PLAIN, answered_as, json_response, no_content, not_found_page

blueprint = Blueprint("mock", __name__)
VIEWER_PAGE = "viewer.html"
VIEWER_FILES = Path(flask_swagger_ui.__file__).with_name("dist")
# Where openapi.yaml sits relative to the schemas' $id, so its "schemas/x.json" refs resolve.
DOCUMENT_URI = urljoin(spec.SCHEMA_BASE_URI, "../openapi.yaml")
SAME_ORIGIN = {"url": "/", "description": "this mock (the page's own origin)"}


@blueprint.after_request
def plain(response: Response) -> Response:
    """Every answer of these endpoints is plain."""
    return answered_as(PLAIN, response)


def require_admin() -> None:
    """Mock endpoints answer only the CLI's account key."""
    found = access.credentials(request, RequestBody(request))
    if found.key is None or found.key.lower() != mock().config.account_key.lower():
        raise denied()


@blueprint.route("/__mock__/reset", methods=["POST"])
def reset() -> Response:
    """Forget every instance, key, user and message."""
    require_admin()
    state = mock()
    seed = current_app.extensions["channels_mock_seed"]
    state.store.reset()
    seed(state.store)
    return no_content()


@blueprint.route("/__mock__/stats", methods=["GET"])
def stats() -> Response:
    """How many long polls (and WebSocket sessions) are parked right now."""
    require_admin()
    return json_response({"subscriptions": mock().store.subscription_count()})


@blueprint.route("/openapi.yaml", methods=["GET"])
def openapi_yaml() -> Response:
    """The OpenAPI document of the API, as the spec ships it."""
    if not spec.OPENAPI_PATH.exists():
        return not_found_page()
    return Response(spec.OPENAPI_PATH.read_bytes(), content_type="application/yaml; charset=utf-8")


@blueprint.route("/openapi.json", methods=["GET"])
def openapi_json() -> Response:
    """The same document as JSON."""
    if not spec.OPENAPI_PATH.exists():
        return not_found_page()
    return json_response(spec.openapi())


def inlined(node: Any, base: str) -> Any:
    """``node`` with each reference to a schema file pointed at that file's copy under
    ``components/schemas`` and no ``$id``: a browser would otherwise fetch the files from the
    host their ``$id`` names, which is not this mock."""
    if isinstance(node, list):
        return [inlined(item, base) for item in node]
    if not isinstance(node, dict):
        return node
    copy = {key: inlined(value, base) for key, value in node.items() if key != "$id"}
    if isinstance(node.get("$ref"), str):
        target, fragment = urldefrag(urljoin(base, node["$ref"]))
        if target.startswith(spec.SCHEMA_BASE_URI):
            name = target.removeprefix(spec.SCHEMA_BASE_URI).removesuffix(".json")
            copy["$ref"] = f"#/components/schemas/{name}{fragment}"
    return copy


@cache
def viewer_document() -> dict[str, Any]:
    """The OpenAPI document as the API page reads it: self-contained, and with the mock that
    served the page as its only server, so "Try it out" calls this mock whatever its port."""
    document = inlined(spec.openapi(), DOCUMENT_URI)
    document["servers"] = [SAME_ORIGIN]
    document["components"]["schemas"] = {
        name.removesuffix(".json"): inlined(spec.schema(name), spec.SCHEMA_BASE_URI + name)
        for name in spec.schema_names()
    }
    return document


@blueprint.route("/docs", methods=["GET"])
def docs() -> Response:
    """Swagger UI on the API; every file it loads comes from this mock."""
    return current_app.send_static_file(VIEWER_PAGE)


@blueprint.route("/docs/openapi.json", methods=["GET"])
def docs_document() -> Response:
    """The document the API page shows (``viewer_document``)."""
    if not spec.OPENAPI_PATH.exists():
        return not_found_page()
    return json_response(viewer_document())


@blueprint.route("/docs/<path:name>", methods=["GET"])
def docs_file(name: str) -> Response:
    """Swagger UI's scripts, styles and icons, from the installed flask-swagger-ui."""
    return send_from_directory(VIEWER_FILES, name)
