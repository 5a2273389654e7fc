"""What every API view shares: the app's state, and ``Call``, one request on its way through
the platform's checks in the platform's order (ERR-003, ERR-011, HIST-018, CPUB-004).

Each view calls the steps it needs in its own order (the channel and history viewsets differ).
Where behaviour varies, a step asks one of the app's seams (``Mock``): the store, access, the
request body's class and the handlers' small strategy objects. ``create_app`` picks each seam
once, the reference class or one with the chosen faults mixed in, so a view only ever reads as
the reference behaviour.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Response, after_this_request, current_app, request
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request

from mock_server import access, validation
from mock_server.access import Access, Principal
from mock_server.config import MockConfig
from mock_server.errors import INSTANCE_NOT_FOUND, denied, method_not_allowed, not_found, too_large
from mock_server.models import Instance
from mock_server.pagination import PAGE_PARAMS, PageQuery, page_query
from mock_server.parsing import RequestBody
from mock_server.responses import VIEW, allow_header, json_response, kind_of
from mock_server.store import Store
from mock_server.throttle import Throttle

if TYPE_CHECKING:
    from mock_server.api.channels import ChannelSerializer
    from mock_server.api.data import ObjectMessages
    from mock_server.api.messages import HistoryPaging, MessageSerializer, Poller, PublishChecks

INSTANCE_NAME = re.compile(r"[a-z0-9_-]{0,64}")
RENDERS = ["application/json", "text/html"]
PARSES = [
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
]
ROUTE_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"]


@dataclass
class Mock:
    """The state and the seams of one mock app; ``create_app`` builds it, views reach it
    through ``mock()``."""

    config: MockConfig
    store: Store
    access: Access
    throttle: Throttle
    body: type[RequestBody]
    channel_fields: ChannelSerializer
    publish_checks: PublishChecks
    message_fields: MessageSerializer
    poller: Poller
    history: HistoryPaging
    object_messages: ObjectMessages


def mock() -> Mock:
    """The state of the app serving this request."""
    return current_app.extensions["channels_mock"]


def query() -> dict[str, str]:
    """The query parameters of Flask's current request, as ``query_of`` reads them."""
    return query_of(request.args)


def query_of(args: MultiDict[str, str]) -> dict[str, str]:
    """Query parameters as the views read them: the last value of each, empty ones absent
    (except the page parameters, where an empty value is refused like any non-integer)."""
    params = {name: args.getlist(name)[-1] for name in args}
    return {name: value for name, value in params.items() if value != "" or name in PAGE_PARAMS}


def parse_id(text: str) -> int | None:
    """A numeric id from a URL segment, None for anything else (which then gives 404)."""
    return int(text) if text.isascii() and text.isdigit() else None


class Call:
    """One API request: its route, the instance, the caller and the body, checked step by
    step.

    A Flask view gives neither ``incoming`` nor ``state``: the call reads Flask's current
    request and app, and the view's ``Allow`` is added on the way out. The hot routes
    (``mock_server.hot``) serve a request without Flask: they give both, and add ``Allow``
    themselves (``add_allow``)."""

    # No instance dict: a parked poll keeps its call for as long as it waits.
    __slots__ = (
        "_instance",
        "allow",
        "body",
        "method",
        "mock",
        "request",
        "version",
        "view_name",
        "who",
    )

    def __init__(
        self,
        version: str,
        allowed: tuple[str, ...],
        view_name: str,
        incoming: Request | None = None,
        state: Mock | None = None,
    ) -> None:
        if incoming is None or state is None:
            incoming, state = request, mock()
            after_this_request(self.add_allow)
        self.request = incoming
        self.mock = state
        self.version = version
        self.method = incoming.method
        self.allow = allow_header(allowed)
        self.view_name = view_name
        self.body = state.body(incoming)
        self._instance: Instance | None = None
        self.who: Principal = access.ANONYMOUS

    def add_allow(self, response: Response) -> Response:
        """The view's ``Allow`` on each of its answers, errors included, as DRF's
        ``APIView.finalize_response`` sets it."""
        if kind_of(response) == VIEW:
            response.headers["Allow"] = self.allow
        return response

    def let_go(self) -> None:
        """Drop the request and its body before a long wait: the answer needs neither, and
        thousands of parked polls would keep them (and their parsed headers and query)."""
        del self.request, self.body

    @property
    def store(self) -> Store:
        """The app's store."""
        return self.mock.store

    @property
    def base(self) -> str:
        """The URL prefix of the instance, as the request spelled the API version."""
        return f"/{self.version}/instances/{self.inst.name}"

    @property
    def inst(self) -> Instance:
        """The instance resolved by ``resolve_instance``, for the views that have one."""
        assert self._instance is not None
        return self._instance

    # the steps
    def size_limit(self, limit: int) -> None:
        """413 when ``Content-Length`` is over ``limit``; runs before anything else (PUB-001)."""
        if self.body.exceeds(limit):
            raise too_large(limit)

    def resolve_instance(self, name: str) -> Instance:
        """The URL's instance (case-insensitive, ERR-009), or 404 ``Instance was not found.``
        (ERR-008)."""
        found = self.store.instance(name) if INSTANCE_NAME.fullmatch(name.lower()) else None
        if found is None:
            raise not_found(INSTANCE_NOT_FOUND)
        self._instance = found
        return found

    def authenticate(self) -> Principal:
        """The caller, or 403 ``No such API Key.``."""
        self.who = self.mock.access.authenticate(self._instance, self.request, self.body)
        return self.who

    @staticmethod
    def require(allowed: bool) -> None:
        """403 generic unless a permission check passed."""
        if not allowed:
            raise denied()

    def throttle(self, poll: bool = False) -> None:
        """429 when the instance's per-second budget is spent."""
        self.mock.throttle.check(self.inst.uid, poll=poll)

    def dispatch(
        self,
        handlers: Mapping[str, Callable[[], Response]],
        actions: Mapping[str, str] | None = None,
    ) -> Response:
        """Run the handler of the request method: OPTIONS answers the view's metadata, HEAD
        runs GET, an unmapped method is a 405 (after the identity checks, as in DRF)."""
        if self.method == "OPTIONS":
            return self.metadata(actions or {})
        method = "GET" if self.method == "HEAD" else self.method
        handler = handlers.get(method)
        if handler is None:
            raise method_not_allowed(self.method)
        return handler()

    def metadata(self, actions: Mapping[str, str]) -> Response:
        """DRF's OPTIONS answer; ``actions`` maps a method to the request schema it takes."""
        body: dict[str, Any] = {
            "name": self.view_name,
            "description": "",
            "renders": RENDERS,
            "parses": PARSES,
        }
        if actions:
            body["actions"] = {method: describe_fields(name) for method, name in actions.items()}
        return json_response(body)

    # reading the request
    def query(self) -> dict[str, str]:
        """The query parameters, as ``query_of`` reads them."""
        return query_of(self.request.args)

    def data(self, schema: str) -> dict[str, Any]:
        """The body, checked against a request schema and normalised."""
        return validation.validated(schema, self.body.data())

    def params(self, schema: str) -> dict[str, Any]:
        """The query string, checked against a query schema and normalised."""
        return validation.validated(schema, self.query())

    def page(self, schema: str, default_ascending: bool) -> PageQuery:
        """Paging parameters of a list endpoint."""
        return page_query(self.params(schema), default_ascending)


def describe_fields(schema_name: str) -> dict[str, Any]:
    """The ``actions`` description of one request schema, field by field."""
    return {
        name: {
            "type": "field",
            "required": required,
            "read_only": False,
            "label": name.replace("_", " ").capitalize(),
        }
        for name, required in validation.fields(schema_name).items()
    }
