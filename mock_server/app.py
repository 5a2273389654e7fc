"""``create_app(config)``: one Flask app per call, with its own store and no module-level
state, so several mocks can run side by side (in tests, for instance). It is also the one place
that assembles the app's seams from ``config.faults`` (``mock_server.faults.choose``)."""

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
from mock_server.api.base import ROUTE_METHODS, Mock
from mock_server.api.channels import ChannelSerializer
from mock_server.api.data import ObjectMessages
from mock_server.api.messages import HistoryPaging, MessageSerializer, Poller, PublishChecks
from mock_server.config import MockConfig
from mock_server.errors import ApiError, detail, method_not_allowed, too_large
from mock_server.hot import HotRoutes
from mock_server.parsing import RequestBody
from mock_server.responses import (
    PLAIN,
    allow_header,
    answered_as,
    finish,
    is_preflight,
    json_response,
    not_found_page,
    preflight,
)
from mock_server.store import MemoryStore, Retention, Store, StoreUnavailable
from mock_server.throttle import Throttle

BODY_LIMIT = 16 * 1024 * 1024
UPGRADE_KEY = "channels_mock.upgrade"
ADMIN_EMAIL = "admin@channels-mock.local"
STORE_UNAVAILABLE = "Service temporarily unavailable: the store cannot be reached."
logger = logging.getLogger("channels_mock")


class SegmentConverter(BaseConverter):
    """A path segment without dots, as the platform's routers match lookups (CHAN-029)."""

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
    platform a WebSocket handshake is told apart by ``Sec-WebSocket-Key`` alone (WS-001,
    WS-005)."""

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
    return json_response(error.body, status=error.status, headers=error.headers)


def assemble(config: MockConfig, store: Store | None) -> tuple[Mock, faults.Chosen]:
    """The app's state and seams: the reference classes, with the overrides of the chosen
    faults mixed in. A given store is used as it is, so it cannot take store faults."""
    chosen = faults.choose(config.faults)
    if store is None:
        store = build_store(config, chosen)
    elif chosen.seam(MemoryStore) is not MemoryStore:
        raise ValueError("store faults need the reference store, not a given one")
    access = chosen.seam(Access)(config, store)
    mock = Mock(
        config,
        store,
        access,
        Throttle(config.throttle, config.poll_throttle),
        body=chosen.seam(RequestBody),
        channel_fields=chosen.seam(ChannelSerializer)(store),
        publish_checks=chosen.seam(PublishChecks)(access),
        message_fields=chosen.seam(MessageSerializer)(),
        poller=chosen.seam(Poller)(store, config.poll_timeout),
        history=chosen.seam(HistoryPaging)(),
        object_messages=chosen.seam(ObjectMessages)(store, config.platform),
    )
    return mock, chosen


def build_store(config: MockConfig, chosen: faults.Chosen) -> Store:
    """The store ``config.store`` names: in memory (with the store faults mixed in), or in
    Redis, shared by every process on that URL and prefix (store faults are memory-only:
    they override ``MemoryStore``'s internals)."""
    retention = Retention(config.message_ttl, config.history_limit_for)
    if not config.shared_store:
        return chosen.seam(MemoryStore)(retention)
    if chosen.seam(MemoryStore) is not MemoryStore:
        raise ValueError("store faults work with the memory store only")
    from mock_server.redis_store import RedisStore

    return RedisStore(config.store, config.redis_prefix, retention)


def create_app(config: MockConfig, store: Store | None = None) -> Flask:
    """A mock of the Channels API behaving as ``config`` says; UnknownFault for a fault name
    the catalogue does not declare."""
    app = Flask(__name__, static_folder="static", static_url_path="/__mock__/static")
    app.config["MAX_CONTENT_LENGTH"] = BODY_LIMIT
    app.url_map.converters["segment"] = SegmentConverter
    app.url_map.converters["version"] = VersionConverter
    mock, chosen = assemble(config, store)
    seed = admin_seeder(config)
    seed(mock.store)
    app.extensions["channels_mock"] = mock
    app.extensions["channels_mock_seed"] = seed
    for blueprint in blueprints():
        app.register_blueprint(blueprint)
    register_hooks(app, chosen.post_hooks)
    app.wsgi_app = UpgradeAside(app.wsgi_app)  # type: ignore[method-assign]
    if not chosen.post_hooks:  # answer faults rewrite every answer in Flask's hooks
        app.wsgi_app = HotRoutes(app, app.wsgi_app, BODY_LIMIT).serve  # type: ignore[method-assign]
    return app


def register_hooks(app: Flask, post_hooks: tuple[faults.PostHook, ...]) -> None:
    """Preflight and trailing-slash handling (ERR-004), response headers, the faults'
    post-hooks (registered after ``finish``, they run before it), and error rendering."""

    @app.before_request
    def before() -> Response | None:
        if is_preflight():
            return preflight()
        if isinstance(request.routing_exception, RequestRedirect):
            return not_found_page()
        return None

    app.after_request(finish)
    for hook in post_hooks:
        app.after_request(hook)
    app.register_error_handler(ApiError, api_error_response)

    @app.errorhandler(StoreUnavailable)
    def store_unavailable(error: StoreUnavailable) -> Response:
        """A shared store that cannot be reached: 503 with a JSON body, and the next request
        tries again."""
        logger.warning("%s %s: %s", request.method, request.path, error)
        return api_error_response(detail(503, STORE_UNAVAILABLE, Retry_After="1"))

    @app.errorhandler(NotFound)
    def not_found(_: NotFound) -> Response:
        return not_found_page()

    @app.errorhandler(RequestEntityTooLarge)
    def entity_too_large(_: RequestEntityTooLarge) -> Response:
        return api_error_response(too_large(BODY_LIMIT))

    @app.errorhandler(MethodNotAllowed)
    def other_method(error: MethodNotAllowed) -> Response:
        """A method no route lists. An API view takes every method and answers its own 405
        after the identity checks, as in DRF, so it runs anyway; the mock's own routes and the
        served documents answer 405 at once, with the ``Allow`` RFC 9110 requires."""
        valid = tuple(error.valid_methods or ())
        if not set(ROUTE_METHODS) <= set(valid):
            refused = api_error_response(method_not_allowed(request.method))
            refused.headers["Allow"] = allow_header(valid)
            return answered_as(PLAIN, refused)
        try:
            endpoint, arguments = app.url_map.bind_to_environ(request.environ).match(method="GET")
        except RequestRedirect:
            return not_found_page()  # no trailing slash: not routed, whatever the method (ERR-004)
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
