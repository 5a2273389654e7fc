"""Endpoints of the mock itself, for SDK developers: the spec, an API page, and a reset. They
are no API views: their answers, errors included, are plain (``Vary: Origin``, no ``Allow``)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

import spec
from mock_server import access
from mock_server.api.base import mock
from mock_server.errors import denied
from mock_server.parsing import RequestBody
from mock_server.responses import PLAIN, answered_as, json_response, no_content, not_found_page

blueprint = Blueprint("mock", __name__)
DOCS_PAGE = "docs.html"


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
    """The same document as JSON, which the API page reads."""
    if not spec.OPENAPI_PATH.exists():
        return not_found_page()
    return json_response(spec.openapi())


@blueprint.route("/docs", methods=["GET"])
def docs() -> Response:
    """An interactive page of the API; it loads nothing from the internet."""
    return current_app.send_static_file(DOCS_PAGE)
