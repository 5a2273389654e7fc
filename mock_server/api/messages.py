"""Publish, poll and history (apps/channels/v1/views.py, apps/channels/handlers.py,
apps/redis_storage/views.py; PUB, MSG, POLL, ROOM, WS and HIST requirements).

Publish and poll belong to the channel viewset and share its check order (ERR-011); history is
its own viewset, which looks the channel up before it authenticates the caller (HIST-018). What
varies is asked of the app's seams: ``PublishChecks`` (the checks after the channel lookup),
``MessageSerializer`` (what a publish body becomes), ``Poller`` (how a poll waits) and
``HistoryPaging`` (how history reads ``last_id`` and its cursor). The message faults
(``mock_server/faults/publish.py``, ``poll.py`` and ``history.py``) subclass them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import Blueprint, Response

from mock_server import coerce, validation, websocket
from mock_server.access import Access, Principal
from mock_server.api.base import ROUTE_METHODS, Call, parse_id
from mock_server.api.channels import ROOT, find_channel
from mock_server.errors import (
    CHANNEL_NOT_FOUND,
    CUSTOM_PUBLISH_NOT_ALLOWED,
    ApiError,
    denied,
    detail,
    not_found,
    room_required,
)
from mock_server.models import CUSTOM, Channel, Instance, Message
from mock_server.pagination import PageQuery, cursor_bounds, envelope, select_messages
from mock_server.parsing import BodyParseError, RequestBody, parse_json
from mock_server.representations import message_json, select_fields
from mock_server.responses import OFFLOADED, answered_as, json_response, offloaded_response, render
from mock_server.store import Store, Subscription
from spec.protocol import PUBLISH_LIMIT

blueprint = Blueprint("messages", __name__)
CHANNEL = ROOT + "<segment:channel>/"
HISTORY = ROOT + "<channel>/history/"
PUBLISH_REQUEST = "publish-request.json"
MESSAGE_METADATA = {"type": "message"}
# The methods and name of each view that the hot routes also serve (``Call``'s arguments).
PUBLISH_VIEW = (("POST",), "Channel")
POLL_VIEW = (("GET",), "Channel")
HISTORY_VIEW = (("GET",), "Change List")


class PublishChecks:
    """The checks of a publish once its channel is known: the caller's level first, then the
    channel's custom_publish, so a caller without publish level never learns the latter
    (CPUB-004)."""

    def __init__(self, access: Access) -> None:
        self.access = access

    def check(self, inst: Instance, who: Principal, channel: Channel) -> None:
        """403 generic, then 403 custom publish not allowed."""
        self.check_permission(inst, who, channel)
        self.check_custom_publish(inst, who, channel)

    def check_permission(self, inst: Instance, who: Principal, channel: Channel) -> None:
        """403 generic below publish level (PERM-024..026)."""
        if not self.access.channel_object(inst, who, channel, "publish", "POST"):
            raise denied()

    def check_custom_publish(self, inst: Instance, who: Principal, channel: Channel) -> None:
        """403 unless the channel takes custom messages from this caller (CPUB-001..003)."""
        if not self.custom_publish(inst, who, channel):
            raise detail(403, CUSTOM_PUBLISH_NOT_ALLOWED)

    def custom_publish(self, inst: Instance, who: Principal, channel: Channel) -> bool:
        """Whether the channel takes custom messages: its custom_publish as it is now, for
        every caller, ignore_acl keys included (CPUB-002, CPUB-006)."""
        return channel.custom_publish


class MessageSerializer:
    """What a publish body becomes (apps/channels/v1/serializers.py): the validated body, the
    payload, the room the message is indexed under, its metadata and its author."""

    def validated(self, body: RequestBody) -> dict[str, Any]:
        """The body checked against the publish schema, the room trimmed (PUB-017)."""
        return validation.validated(PUBLISH_REQUEST, body.data())

    def payload(self, value: Any) -> dict[str, Any]:
        """The payload to store: absent or ``""`` is ``{}`` (PUB-005), a JSON string is decoded
        (PUB-004; the schema has already checked that it decodes to an object)."""
        if value is None or value == "":
            return {}
        if isinstance(value, str):
            try:
                return parse_json(value)
            except BodyParseError as exc:
                raise ApiError(400, {"payload": ["Not a valid JSON string."]}) from exc
        return value

    def index_room(self, channel: Channel, room: str | None) -> str | None:
        """The room a message is stored and looked up under: lowercased on a separate_rooms
        channel (ROOM-003), none on a default channel (ROOM-008); a missing room is a 400 on
        separate_rooms (PUB-012, POLL-011)."""
        if not channel.separate_rooms:
            return None
        if not room:
            raise room_required()
        return room.lower()

    def metadata(self, data: dict[str, Any]) -> dict[str, Any]:
        """The server's metadata; the body's keys play no part (MSG-003, PUB-015)."""
        return dict(MESSAGE_METADATA)

    def author(self, inst: Instance, who: Principal) -> dict[str, Any]:
        """The caller as the message's author (MSG-004..006)."""
        return who.author()


class Poller:
    """How a poll waits for its message (POLL-004..006, POLL-013) and how a WebSocket session
    starts (WS-002, WS-005)."""

    def __init__(self, store: Store, timeout: float) -> None:
        self.store = store
        self.timeout = timeout

    def wait(
        self, inst: Instance, channel: Channel, room: str | None, last_id: int | None
    ) -> Message | None:
        """Park until a message of (channel, room) after ``last_id`` arrives or the poll
        timeout passes; subscribing re-checks storage, so a message published meanwhile is not
        lost."""
        subscription = self.store.subscribe(inst, channel, room, last_id, capacity=1)
        try:
            return subscription.take(self.timeout)
        finally:
            self.store.unsubscribe(subscription)

    def session(
        self, inst: Instance, channel: Channel, room: str | None, last_id: int | None
    ) -> Subscription:
        """The subscription of a WebSocket session: the stored messages after ``last_id``
        first, then the live ones (WS-002)."""
        return self.store.subscribe(inst, channel, room, last_id, capacity=websocket.MAX_MESSAGES)

    def without_handshake(
        self, call: Call, channel: Channel, room: str | None, last_id: int | None
    ) -> Response:
        """The answer to ``transport=websocket`` without a WebSocket handshake: 400 (WS-005)."""
        return offloaded_response({"detail": "Expected WebSocket connection."}, status=400)


class HistoryPaging:
    """How history pages (apps/redis_storage/pagination.py): newest first unless ``?ordering=``
    says otherwise (HIST-002), only ids after ``?last_id=`` (HIST-004), each page right after
    the previous one (HIST-009)."""

    default_ascending = False

    def last_id(self, params: dict[str, str]) -> int | None:
        """``?last_id=`` as an integer; a non-integer is ignored (HIST-005, GEN-001)."""
        try:
            return int(params["last_id"])
        except (KeyError, ValueError):
            return None

    def floor(self, params: dict[str, str]) -> int | None:
        """The lowest id ``?last_id=N`` lets through: N + 1 (none for no N, or N = -1)."""
        last_id = self.last_id(params)
        return None if last_id is None else last_id + 1 or None

    def cursor(self, pq: PageQuery) -> tuple[int | None, int | None]:
        """The id bounds of the page's cursor."""
        return cursor_bounds(pq)


# publish
@blueprint.route(CHANNEL + "publish/", methods=ROUTE_METHODS)
def publish(version: str, instance: str, channel: str) -> Response:
    """POST a custom message to a channel."""
    return publish_call(Call(version, *PUBLISH_VIEW), instance, channel)


def publish_call(call: Call, instance: str, channel: str) -> Response:
    """The publish view's checks, in the channel viewset's order."""
    call.size_limit(PUBLISH_LIMIT)
    call.resolve_instance(instance)
    who = call.authenticate()
    call.require(call.mock.access.channel_view(who, "publish", call.method))
    call.throttle()
    return call.dispatch(
        {"POST": lambda: publish_message(call, who, channel)}, {"POST": PUBLISH_REQUEST}
    )


def publish_message(call: Call, who: Principal, name: str) -> Response:
    """The publish handler: permission, custom_publish, body, room, then store and wake."""
    channel = find_channel(call, name)
    call.mock.publish_checks.check(call.inst, who, channel)
    fields = call.mock.message_fields
    data = fields.validated(call.body)
    payload = fields.payload(data.get("payload"))
    room = fields.index_room(channel, data.get("room"))
    notify_room = data["room"] if room is not None and call.mock.config.platform else room
    message = call.store.publish(
        call.inst,
        channel,
        room,
        notify_room,
        CUSTOM,
        fields.author(call.inst, who),
        fields.metadata(data),
        payload,
    )
    return json_response(message_json(message, call.base, channel.name), status=201)


# poll
@blueprint.route(CHANNEL + "poll/", methods=ROUTE_METHODS)
def poll(version: str, instance: str, channel: str) -> Response:
    """GET the next message of a channel (room), waiting for it if needed."""
    return poll_call(Call(version, *POLL_VIEW), instance, channel)


def poll_call(call: Call, instance: str, channel: str) -> Response:
    """The poll view's checks, in the channel viewset's order."""
    call.resolve_instance(instance)
    who = call.authenticate()
    call.require(call.mock.access.channel_view(who, "poll", call.method))
    call.throttle(poll=True)
    return call.dispatch({"GET": lambda: poll_message(call, who, channel)})


def poll_message(call: Call, who: Principal, name: str) -> Response:
    """The poll handler: a stored message after ``last_id`` at once (no X-Last-Id, POLL-016),
    or the first live one (with X-Last-Id, POLL-015), or 204 at the poll timeout (POLL-005)."""
    channel = find_channel(call, name)
    call.require(call.mock.access.channel_object(call.inst, who, channel, "poll", call.method))
    last_id, room, websocket_transport = poll_query(call, channel)
    if websocket_transport:
        return websocket_session(call, channel, room, last_id)
    return long_poll(call, channel, room, last_id)


def poll_query(call: Call, channel: Channel) -> tuple[int | None, str | None, bool]:
    """The poll's query string read: ``last_id``, the room to index, and whether it asks for
    the WebSocket transport (POLL-007..012). Only these stay with a parked poll."""
    params = call.params("poll-query.json")
    last_id = coerce.integer(params["last_id"]) if "last_id" in params else None
    room = call.mock.message_fields.index_room(channel, params.get("room"))
    return last_id, room, params.get("transport") == "websocket"


def long_poll(call: Call, channel: Channel, room: str | None, last_id: int | None) -> Response:
    """A stored message after ``last_id`` at once, else the first live one, else 204; a
    negative ``last_id`` reads no stored message (POLL-014)."""
    if last_id is not None and last_id >= 0:
        stored = call.store.next_message(call.inst, channel, room, last_id)
        if stored is not None:
            return json_response(message_json(stored))
    call.let_go()
    message = call.mock.poller.wait(call.inst, channel, room, last_id)
    if message is None:
        return offloaded_response(None, status=204)
    return offloaded_response(rendered_message(message), {"X-Last-Id": str(message.id)})


@lru_cache(maxsize=256)
def rendered_message(message: Message) -> bytes:
    """A message as a poll answer, rendered once for all the pollers it wakes."""
    return render(message_json(message))


def websocket_session(
    call: Call, channel: Channel, room: str | None, last_id: int | None
) -> Response:
    """``transport=websocket``: a handshake starts a session of stored-then-live messages
    (WS-001..003); anything else is 400 ``Expected WebSocket connection.`` (WS-005)."""
    headers = call.request.headers
    key = headers.get("Sec-WebSocket-Key")
    if not key or websocket.connection_of(call.request.environ) is None:
        return call.mock.poller.without_handshake(call, channel, room, last_id)
    subscription = call.mock.poller.session(call.inst, channel, room, last_id)
    session = websocket.Session(
        call.store, subscription, call.mock.config.poll_timeout, rendered_message
    )
    return answered_as(OFFLOADED, websocket.HandshakeResponse(session, key, headers.get("Origin")))


# history
def history_checks(call: Call, instance: str, channel: str) -> tuple[Channel, str | None]:
    """The history viewset's checks: instance, channel (before the key, HIST-017, HIST-018),
    key, permission, room (HIST-012, HIST-013), throttle. Returns the channel and the
    requested room."""
    call.resolve_instance(instance)
    found = call.store.channel(call.inst, channel.lower())
    if found is None:
        raise not_found(CHANNEL_NOT_FOUND)
    who = call.authenticate()
    call.require(call.mock.access.history(call.inst, who, found, call.method))
    room = requested_room(call)
    if found.separate_rooms and room is None:
        raise room_required()
    call.throttle()
    return found, room


def requested_room(call: Call) -> str | None:
    """The ``room`` of a history request. Core mode treats ``?room=`` as absent (as every
    empty parameter, POLL-009); the platform takes it as the empty room, which holds nothing
    (ROOM-010)."""
    args = call.request.args
    if call.mock.config.platform and "room" in args:
        return args.getlist("room")[-1]
    return call.query().get("room")


def history_room(call: Call, channel: Channel, room: str | None) -> str | None:
    """The index a history read uses. A default channel's messages have no room; the platform
    still looks a given room up there and finds nothing (ROOM-009); core mode ignores it
    (ROOM-008)."""
    if channel.separate_rooms or call.mock.config.platform:
        return None if room is None else room.lower()
    return None


def represent(call: Call, message: Message, channel: Channel) -> dict[str, Any]:
    """A history item with its link, and ``?fields=`` / ``?excluded_fields=`` applied."""
    params = call.query()
    return select_fields(
        message_json(message, call.base, channel.name),
        params.get("fields"),
        params.get("excluded_fields"),
    )


@blueprint.route(HISTORY, methods=ROUTE_METHODS)
def history(version: str, instance: str, channel: str) -> Response:
    """GET the stored messages of a channel (room), newest first, cursor-paginated."""
    return history_call(Call(version, *HISTORY_VIEW), instance, channel)


def history_call(call: Call, instance: str, channel: str) -> Response:
    """The history list view: its checks, then the page."""
    found, room = history_checks(call, instance, channel)
    return call.dispatch({"GET": lambda: list_history(call, found, room)})


def list_history(call: Call, channel: Channel, room: str | None) -> Response:
    """The history list handler."""
    paging = call.mock.history
    pq = call.page("history-query.json", default_ascending=paging.default_ascending)
    key = history_room(call, channel, room)
    room_of_default_channel = key is not None and not channel.separate_rooms

    def fetch(low: int | None, high: int | None, ascending: bool, limit: int) -> list[Message]:
        if room_of_default_channel:
            return []
        return call.store.messages(
            call.inst, channel, key, min_id=low, max_id=high, ascending=ascending, limit=limit
        )

    page = select_messages(pq, fetch, paging.floor(call.query()), paging.cursor(pq))
    objects = [represent(call, m, channel) for m in page.items]
    return json_response(envelope(call.request.path, pq, page, objects))


@blueprint.route(HISTORY + "<segment:message_id>/", methods=ROUTE_METHODS)
def history_detail(version: str, instance: str, channel: str, message_id: str) -> Response:
    """GET one stored message."""
    call = Call(version, ("GET",), "Change Instance")
    found, room = history_checks(call, instance, channel)
    return call.dispatch({"GET": lambda: message_detail(call, found, room, message_id)})


def message_detail(call: Call, channel: Channel, room: str | None, message_id: str) -> Response:
    """One message by id (HIST-014, HIST-015). The platform finds any message of the instance
    through any channel (apps/redis_storage/views.py); core mode scopes the lookup to the
    channel and its room."""
    number = parse_id(message_id)
    message = call.store.message(call.inst, number) if number is not None else None
    if (
        message is not None
        and not call.mock.config.platform
        and (message.channel_pk != channel.pk or message.room != history_room(call, channel, room))
    ):
        message = None
    if message is None:
        raise not_found()
    return json_response(represent(call, message, channel))
