"""Channel endpoints: list, create, detail, update, delete (apps/channels/v1/views.py; CHAN
requirements).

Check order of the channel viewset: instance, key, identity, throttle, method, channel lookup,
object permission, built-in protection, then the body (ERR-003, ERR-011, PERM-021,
BUILTIN-004). ``ChannelSerializer`` turns a body into stored fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from flask import Blueprint, Response, request

from mock_server import coerce
from mock_server.api.base import ROUTE_METHODS, Call, query
from mock_server.errors import denied, field_errors, not_found
from mock_server.models import BUILTIN_CHANNELS, CHANNEL_TYPES, PERMISSION_LEVELS, Channel, Instance
from mock_server.pagination import envelope, select_rows
from mock_server.representations import channel_json, select_fields
from mock_server.responses import json_response, no_content
from mock_server.store import Conflict, Store

blueprint = Blueprint("channels", __name__)
ROOT = "/<version:version>/instances/<instance>/channels/"
UNIQUE = "This field must be unique."
DETAIL_ACTIONS = {
    "GET": "retrieve",
    "HEAD": "retrieve",
    "OPTIONS": "retrieve",
    "PUT": "update",
    "PATCH": "update",
    "DELETE": "destroy",
}


def channel_fields(data: dict[str, Any], ignored: tuple[str, ...] = ()) -> dict[str, Any]:
    """Stored values of the channel fields a validated body carries (``ignored`` ones left
    out unread: read-only fields are not validated on update)."""
    fields: dict[str, Any] = {}
    for name, value in data.items():
        if name in ignored:
            continue
        if name == "type":
            fields[name] = coerce.choice(value, CHANNEL_TYPES)
        elif name in ("group_permissions", "other_permissions"):
            fields[name] = coerce.choice(value, PERMISSION_LEVELS)
        elif name == "custom_publish":
            fields[name] = coerce.boolean(value)
        elif name == "group":
            fields[name] = coerce.pk(value)
        elif name in ("name", "description"):
            fields[name] = str(value)
    return fields


class ChannelSerializer:
    """A channel body as stored fields (apps/channels/v1/serializers.py): each field read by its
    type and the group checked; on update the read-only fields are skipped and a PUT resets the
    omitted permissions and custom_publish. The channel faults
    (``mock_server/faults/channels.py``) subclass it."""

    read_only_on_update: tuple[str, ...] = ("name", "type")  # CHAN-024
    put_defaults: Mapping[str, Any] = MappingProxyType(  # CHAN-023
        {"group_permissions": "none", "other_permissions": "none", "custom_publish": False}
    )

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, inst: Instance, data: dict[str, Any]) -> dict[str, Any]:
        """The fields of a new channel."""
        fields = channel_fields(data)
        self.check_group(inst, fields)
        return fields

    def update(self, inst: Instance, data: dict[str, Any], partial: bool) -> dict[str, Any]:
        """The changes of a PATCH (``partial``) or a PUT."""
        changes = {} if partial else dict(self.put_defaults)
        changes.update(channel_fields(data, ignored=self.read_only_on_update))
        self.check_group(inst, changes)
        return changes

    def check_group(self, inst: Instance, fields: dict[str, Any]) -> None:
        """A group id must name an existing group of the instance (CHAN-017)."""
        group = fields.get("group")
        if group is not None and self.store.group(inst, group) is None:
            raise field_errors({"group": [f'Invalid pk "{group}" - object does not exist.']})


def represent(call: Call, channel: Channel) -> dict[str, Any]:
    """A channel, with ``?fields=`` / ``?excluded_fields=`` applied on reads."""
    data = channel_json(call.base, channel)
    if call.method in ("GET", "HEAD"):
        params = query()
        data = select_fields(data, params.get("fields"), params.get("excluded_fields"))
    return data


def find_channel(call: Call, name: str) -> Channel:
    """The channel named in the URL (case-insensitive), or 404 ``Not found.``."""
    channel = call.store.channel(call.inst, name.lower())
    if channel is None:
        raise not_found()
    return channel


@blueprint.route(ROOT, methods=ROUTE_METHODS)
def channel_list(version: str, instance: str) -> Response:
    """GET lists the channels the caller may see; POST creates one."""
    call = Call(version, ("GET", "POST"), "Channel List")
    call.resolve_instance(instance)
    who = call.authenticate()
    action = "create" if call.method == "POST" else "list"
    call.require(call.mock.access.channel_view(who, action, call.method))
    call.throttle()
    return call.dispatch(
        {"GET": lambda: list_channels(call), "POST": lambda: create(call)},
        {"POST": "channel-create.json"},
    )


def list_channels(call: Call) -> Response:
    """The channel list: filtered per principal and by name prefix, ordered by creation,
    cursor-paginated."""
    pq = call.page("list-query.json", default_ascending=True)
    prefix = query().get("name__startswith")
    rows = [
        c
        for c in call.store.channels(call.inst, prefix)
        if call.mock.access.listed(call.inst, call.who, c)
    ]
    page = select_rows(pq, rows, key=lambda c: c.pk)
    objects = [represent(call, c) for c in page.items]
    return json_response(envelope(request.path, pq, page, objects))


def create(call: Call) -> Response:
    """Create a channel: 201 with its representation."""
    fields = call.mock.channel_fields.create(call.inst, call.data("channel-create.json"))
    name = fields.pop("name")
    try:
        channel = call.store.create_channel(call.inst, name, **fields)
    except Conflict:
        raise field_errors({"name": [UNIQUE]}) from None
    return json_response(represent(call, channel), status=201)


@blueprint.route(ROOT + "<segment:channel>/", methods=ROUTE_METHODS)
def channel_detail(version: str, instance: str, channel: str) -> Response:
    """GET, PUT, PATCH and DELETE of one channel."""
    call = Call(version, ("GET", "PUT", "PATCH", "DELETE"), "Channel Instance")
    call.resolve_instance(instance)
    who = call.authenticate()
    action = DETAIL_ACTIONS.get(call.method, "other")
    call.require(call.mock.access.channel_view(who, action, call.method))
    call.throttle()

    def checked(action: str) -> Channel:
        found = find_channel(call, channel)
        call.require(call.mock.access.channel_object(call.inst, who, found, action, call.method))
        return found

    return call.dispatch(
        {
            "GET": lambda: json_response(represent(call, checked("retrieve"))),
            "PUT": lambda: update(call, checked("update"), partial=False),
            "PATCH": lambda: update(call, checked("update"), partial=True),
            "DELETE": lambda: delete(call, checked("destroy")),
        },
        {"PUT": "channel-update.json"},
    )


def update(call: Call, channel: Channel, partial: bool) -> Response:
    """PATCH changes the given fields; PUT also resets the omitted permissions and
    custom_publish to their defaults. ``name`` and ``type`` are read-only."""
    changes = call.mock.channel_fields.update(call.inst, call.data("channel-update.json"), partial)
    updated = call.store.update_channel(call.inst, channel.name, changes)
    return json_response(represent(call, updated))


def delete(call: Call, channel: Channel) -> Response:
    """Delete a channel; the built-in ``default`` and ``eventlog`` are protected."""
    if channel.name in BUILTIN_CHANNELS:
        raise denied()
    call.store.delete_channel(call.inst, channel.name)
    return no_content()
