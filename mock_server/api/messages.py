"""Publish, poll and history (reference §7, §8, §9).

Publish and poll belong to the channel viewset and share its check order (§5.3); history is
its own viewset, which looks the channel up before it authenticates the caller.
"""

from __future__ import annotations

import json
import time
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, g, request

from mock_server import coerce, faults, websocket
from mock_server.access import Principal
from mock_server.api.base import ROUTE_METHODS, Call, parse_id, query
from mock_server.api.channels import ROOT, find_channel
from mock_server.errors import (
    CHANNEL_NOT_FOUND,
    CUSTOM_PUBLISH_NOT_ALLOWED,
    ApiError,
    detail,
    not_found,
    room_required,
)
from mock_server.models import CUSTOM, Channel, Message
from mock_server.pagination import envelope, select_messages
from mock_server.parsing import BodyParseError, parse_json
from mock_server.representations import message_json, select_fields
from mock_server.responses import json_response, offloaded_response, render
from spec.protocol import PUBLISH_LIMIT

blueprint = Blueprint("messages", __name__)
CHANNEL = ROOT + "<segment:channel>/"
HISTORY = ROOT + "<channel>/history/"
MESSAGE_METADATA = {"type": "message"}


def decode_payload(value: Any) -> dict[str, Any]:
    """The payload to store: absent or ``""`` is ``{}``, a JSON string is decoded (the schema
    has already checked that it decodes to an object)."""
    if value is None or value == "":
        return {}
    if isinstance(value, str) and faults.active("payload-string-dropped"):
        return {}
    if isinstance(value, str):
        try:
            return parse_json(value)
        except BodyParseError as exc:
            raise ApiError(400, {"payload": ["Not a valid JSON string."]}) from exc
    return value


def index_room(channel: Channel, room: str | None) -> str | None:
    """The room a message is stored and looked up under: lowercased on a separate_rooms
    channel, none on a default channel; a missing room is a 400 on separate_rooms."""
    if not channel.separate_rooms:
        if room and faults.active("default-channel-keeps-room"):
            return room.lower()
        return None
    if not room:
        raise room_required()
    if faults.active("rooms-case-sensitive"):
        return room
    return room.lower()


# publish
@blueprint.route(CHANNEL + "publish/", methods=ROUTE_METHODS)
def publish(version: str, instance: str, channel: str) -> Response:
    """POST a custom message to a channel."""
    call = Call(version, ("POST",), "Channel")
    call.size_limit(PUBLISH_LIMIT)
    call.resolve_instance(instance)
    who = call.authenticate()
    call.require(call.mock.access.channel_view(who, "publish", call.method))
    call.throttle()
    return call.dispatch({"POST": lambda: publish_message(call, who, channel)},
                         {"POST": "publish-request.json"})


def publish_message(call: Call, who: Principal, name: str) -> Response:
    """The publish handler: permission, custom_publish, body, room, then store and wake."""
    channel = find_channel(call, name)
    if faults.active("custom-publish-before-permission"):
        check_custom_publish(call, who, channel)
    call.require(call.mock.access.channel_object(call.inst, who, channel, "publish", "POST"))
    check_custom_publish(call, who, channel)
    data = call.data("publish-request.json")
    payload = decode_payload(data.get("payload"))
    if faults.active("payload-latin1-column"):
        column = json.dumps(payload, ensure_ascii=False).encode("latin-1", "replace")
        payload = json.loads(column.decode("latin-1"))
    given_room = data.get("room")
    if faults.active("publish-room-untrimmed") and isinstance(call.body.data().get("room"), str):
        given_room = call.body.data()["room"]
    room = index_room(channel, given_room)
    notify_room = data["room"] if room is not None and call.mock.config.platform else room
    metadata = dict(MESSAGE_METADATA)
    if faults.active("publish-metadata-from-body") and isinstance(data.get("metadata"), dict):
        metadata.update(data["metadata"])
    author = who.author()
    if who.ignores_acl and who.user is None and faults.active("ignore-acl-author-is-admin"):
        author = {"admin": call.inst.owner_id}
    message = call.store.publish(call.inst, channel, room, notify_room, CUSTOM, author,
                                 metadata, payload)
    link_name = name if faults.active("links-use-url-channel-name") else channel.name
    return json_response(message_json(message, call.base, link_name), status=201)


def check_custom_publish(call: Call, who: Principal, channel: Channel) -> None:
    """403 unless the channel takes custom messages (checked after the permission)."""
    custom_publish = faults.cached("custom-publish-cached", (call.inst.uid, channel.pk),
                                   channel.custom_publish)
    if who.ignores_acl and faults.active("ignore-acl-skips-custom-publish"):
        return
    if not custom_publish:
        raise detail(403, CUSTOM_PUBLISH_NOT_ALLOWED)


# poll
@blueprint.route(CHANNEL + "poll/", methods=ROUTE_METHODS)
def poll(version: str, instance: str, channel: str) -> Response:
    """GET the next message of a channel (room), waiting for it if needed."""
    call = Call(version, ("GET",), "Channel")
    call.resolve_instance(instance)
    who = call.authenticate()
    call.require(call.mock.access.channel_view(who, "poll", call.method))
    call.throttle(poll=True)
    return call.dispatch({"GET": lambda: poll_message(call, who, channel)})


def poll_message(call: Call, who: Principal, name: str) -> Response:
    """The poll handler (§8.2): a stored message after ``last_id`` at once (no X-Last-Id), or
    the first live one (with X-Last-Id), or 204 at the poll timeout."""
    channel = find_channel(call, name)
    call.require(call.mock.access.channel_object(call.inst, who, channel, "poll", call.method))
    params = call.params("poll-query.json")
    last_id = coerce.integer(params["last_id"]) if "last_id" in params else None
    room = index_room(channel, params.get("room"))
    if params.get("transport") == "websocket":
        return websocket_session(call, channel, room, last_id)
    return long_poll(call, channel, room, last_id)


def long_poll(call: Call, channel: Channel, room: str | None, last_id: int | None) -> Response:
    """A stored message after ``last_id`` at once, else the first live one, else 204."""
    if last_id is not None and last_id >= 0:
        stored = call.store.next_message(call.inst, channel, room, last_id)
        if stored is not None:
            return json_response(message_json(stored))
    message = wait_for_message(call, channel, room, last_id)
    if message is None and faults.active("poll-timeout-answers-newest"):
        newest = call.store.messages(call.inst, channel, room, min_id=None, max_id=None,
                                     ascending=False, limit=1)
        message = newest[0] if newest else None
    if message is None:
        return offloaded_response(None, status=204)
    return offloaded_response(rendered_message(message), {"X-Last-Id": str(message.id)})


@lru_cache(maxsize=256)
def rendered_message(message: Message) -> bytes:
    """A message as a poll answer, rendered once for all the pollers it wakes."""
    return render(message_json(message))


def wait_for_message(call: Call, channel: Channel, room: str | None,
                     last_id: int | None) -> Message | None:
    """Park until a message of (channel, room) after ``last_id`` arrives or the poll timeout
    passes; subscribing re-checks storage, so a message published meanwhile is not lost."""
    if faults.active("poll-not-waiting"):
        return None
    subscription = call.store.subscribe(call.inst, channel, room, last_id, capacity=1)
    try:
        if last_id is not None and faults.active("poll-woken-at-timeout"):
            time.sleep(call.mock.config.poll_timeout)
            return subscription.take(0)
        return subscription.take(call.mock.config.poll_timeout)
    finally:
        call.store.unsubscribe(subscription)


def websocket_session(call: Call, channel: Channel, room: str | None,
                      last_id: int | None) -> Response:
    """``transport=websocket`` (§8.6): a handshake starts a session of stored-then-live
    messages; anything else is 400 ``Expected WebSocket connection.``."""
    key = request.headers.get("Sec-WebSocket-Key")
    if not key or websocket.connection_of(request.environ) is None:
        if faults.active("websocket-plain-request-polls"):
            return long_poll(call, channel, room, last_id)
        return offloaded_response({"detail": "Expected WebSocket connection."}, status=400)
    g.offloaded = True
    if faults.active("websocket-skips-stored"):
        last_id = None
    subscription = call.store.subscribe(call.inst, channel, room, last_id,
                                        capacity=websocket.MAX_MESSAGES)
    session = websocket.Session(call.store, subscription, call.mock.config.poll_timeout,
                                rendered_message)
    return websocket.HandshakeResponse(session, key, request.headers.get("Origin"))


# history
def history_call(version: str, instance: str, channel: str, view_name: str
                 ) -> tuple[Call, Channel, str | None]:
    """The history viewset's checks (§5.3): instance, channel (before the key!), key,
    permission, room, throttle. Returns the call, the channel and the requested room."""
    call = Call(version, ("GET",), view_name)
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
    return call, found, room


def requested_room(call: Call) -> str | None:
    """The ``room`` of a history request. Strict mode treats ``?room=`` as absent (as every
    empty parameter); the platform takes it as the empty room, which holds nothing (§9.1)."""
    if call.mock.config.platform and "room" in request.args:
        return request.args.getlist("room")[-1]
    return query().get("room")


def history_room(call: Call, channel: Channel, room: str | None) -> str | None:
    """The index a history read uses. A default channel's messages have no room; the platform
    still looks a given room up there (and finds nothing), strict mode ignores it."""
    if channel.separate_rooms or call.mock.config.platform:
        return None if room is None else room.lower()
    return None


def represent(call: Call, message: Message, channel: Channel) -> dict[str, Any]:
    """A history item with its link, and ``?fields=`` / ``?excluded_fields=`` applied."""
    params = query()
    return select_fields(message_json(message, call.base, channel.name), params.get("fields"),
                         params.get("excluded_fields"))


def history_floor(params: dict[str, str]) -> int | None:
    """The lowest id ``?last_id=N`` allows (N + 1); a non-integer is ignored (§9.1)."""
    try:
        floor = int(params["last_id"])
    except KeyError:
        return None
    except ValueError:
        if faults.active("history-last-id-unguarded"):
            raise
        return None
    if not faults.active("history-last-id-inclusive"):
        floor += 1
    return floor or None


@blueprint.route(HISTORY, methods=ROUTE_METHODS)
def history(version: str, instance: str, channel: str) -> Response:
    """GET the stored messages of a channel (room), newest first, cursor-paginated."""
    call, found, room = history_call(version, instance, channel, "Change List")
    return call.dispatch({"GET": lambda: list_history(call, found, room)})


def list_history(call: Call, channel: Channel, room: str | None) -> Response:
    """The history list handler."""
    pq = call.page("history-query.json", default_ascending=faults.active("history-oldest-first"))
    key = history_room(call, channel, room)
    room_of_default_channel = key is not None and not channel.separate_rooms

    def fetch(low: int | None, high: int | None, ascending: bool, limit: int) -> list[Message]:
        if room_of_default_channel:
            return []
        return call.store.messages(call.inst, channel, key, min_id=low, max_id=high,
                                   ascending=ascending, limit=limit)

    page = select_messages(pq, fetch, history_floor(query()))
    objects = [represent(call, m, channel) for m in page.items]
    return json_response(envelope(request.path, pq, page, objects))


@blueprint.route(HISTORY + "<segment:message_id>/", methods=ROUTE_METHODS)
def history_detail(version: str, instance: str, channel: str, message_id: str) -> Response:
    """GET one stored message."""
    call, found, room = history_call(version, instance, channel, "Change Instance")
    return call.dispatch({"GET": lambda: message_detail(call, found, room, message_id)})


def message_detail(call: Call, channel: Channel, room: str | None, message_id: str) -> Response:
    """One message by id. The platform finds any message of the instance through any channel
    (§9.2); strict mode scopes the lookup to the channel and its room."""
    number = parse_id(message_id)
    message = call.store.message(call.inst, number) if number is not None else None
    if message is not None and not call.mock.config.platform and (
            message.channel_pk != channel.pk
            or message.room != history_room(call, channel, room)):
        message = None
    if message is None:
        raise not_found()
    return json_response(represent(call, message, channel))
