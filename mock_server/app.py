"""``create_app(config)``: one Flask app per call, with its own store and no module-level
state, so several mocks can run side by side (in tests, for instance)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.routing import BaseConverter, RequestRedirect

from mock_server import faults
from mock_server.access import Access
from mock_server.api import blueprints
from mock_server.api.base import Mock
from mock_server.config import MockConfig
from mock_server.errors import ApiError, detail, too_large
from mock_server.responses import finish, is_preflight, json_response, not_found_page, preflight
from mock_server.store import MemoryStore, Retention, Store
from mock_server.throttle import Throttle

BODY_LIMIT = 16 * 1024 * 1024
UPGRADE_KEY = "channels_mock.upgrade"
ADMIN_EMAIL = "admin@channels-mock.local"
logger = logging.getLogger("channels_mock")


class SegmentConverter(BaseConverter):
    """A path segment without dots, as the platform's routers match lookups (§1.2)."""

    regex = r"[^/.]+"


class VersionConverter(BaseConverter):
    """The API versions the mock serves: ``v1.1`` and ``v1`` (identical for channels)."""

    regex = r"v1(?:\.1)?"


def admin_seeder(config: MockConfig) -> Callable[[Store], None]:
    """What a fresh (or reset) store starts with: the CLI's admin, id 1."""

    def seed(store: Store) -> None:
        store.create_admin(ADMIN_EMAIL, None, key=config.account_key.lower())

    return seed


class UpgradeAside:
    """WSGI middleware: moves the ``Upgrade`` header aside before routing. Werkzeug refuses a
    WebSocket upgrade on an ordinary route, but the poll view must see the request: on the
    platform a WebSocket handshake is told apart by ``Sec-WebSocket-Key`` alone (§16)."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        upgrade = environ.pop("HTTP_UPGRADE", None)
        if upgrade is not None:
            environ[UPGRADE_KEY] = upgrade
        if environ.get("wsgi.input_terminated") is False:
            # gevent hands an upgrade request the raw socket and says so with False, but
            # Werkzeug only asks whether the key is present and would read the socket until
            # the client hangs up; without the key a body-less request reads as empty.
            del environ["wsgi.input_terminated"]
        return self.app(environ, start_response)


def api_error_response(error: ApiError) -> Response:
    """An ApiError as the platform renders it."""
    response = json_response(error.body, status=error.status, headers=error.headers)
    if faults.active("error-content-type-html"):
        response.content_type = "text/html; charset=utf-8"
    return response


def create_app(config: MockConfig, store: Store | None = None) -> Flask:
    """A mock of the Channels API behaving as ``config`` says."""
    app = Flask(__name__, static_folder="static", static_url_path="/__mock__/static")
    app.config["MAX_CONTENT_LENGTH"] = BODY_LIMIT
    app.url_map.converters["segment"] = SegmentConverter
    app.url_map.converters["version"] = VersionConverter
    if store is None:
        store = MemoryStore(Retention(config.message_ttl, config.history_limit_for))
    seed = admin_seeder(config)
    seed(store)
    poll_rate = config.poll_throttle
    app.extensions["channels_mock"] = Mock(config, store, Access(config, store),
                                           Throttle(config.throttle, poll_rate))
    app.extensions["channels_mock_seed"] = seed
    for blueprint in blueprints():
        app.register_blueprint(blueprint)
    register_hooks(app)
    app.wsgi_app = UpgradeAside(app.wsgi_app)  # type: ignore[method-assign]
    return app


def register_hooks(app: Flask) -> None:
    """Preflight and trailing-slash handling, response headers, and error rendering."""

    @app.before_request
    def before() -> Response | None:
        if is_preflight():
            return preflight()
        redirect = isinstance(request.routing_exception, RequestRedirect)
        if redirect and not faults.active("missing-slash-redirect"):
            return not_found_page()
        return None

    app.after_request(finish)
    app.register_error_handler(ApiError, api_error_response)

    @app.errorhandler(NotFound)
    def not_found(_: NotFound) -> Response:
        return not_found_page()

    @app.errorhandler(RequestEntityTooLarge)
    def entity_too_large(_: RequestEntityTooLarge) -> Response:
        return api_error_response(too_large(BODY_LIMIT))

    @app.errorhandler(MethodNotAllowed)
    def other_method(error: MethodNotAllowed) -> Response:
        """A method no route lists: run the view anyway, so the identity checks come before
        the 405, as in DRF."""
        adapter = app.url_map.bind_to_environ(request.environ)
        try:
            endpoint, arguments = adapter.match(method="GET")
        except HTTPException:
            return api_error_response(detail(405, f'Method "{request.method}" not allowed.'))
        try:
            return app.make_response(app.view_functions[endpoint](**arguments))
        except ApiError as api_error:
            return api_error_response(api_error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        return api_error_response(detail(error.code or 400, error.description or error.name))

    @app.errorhandler(Exception)
    def server_error(error: Exception) -> Response:
        logger.exception("unexpected error on %s %s", request.method, request.path)
        return api_error_response(detail(500, "A server error occurred."))
