"""Data classes and objects, as far as channels need them (apps/data/v1/views.py; DATA
requirements).

An object created with ``channel`` (and ``channel_room`` on a separate_rooms channel) is bound
to that channel for life (DATA-011); creating, updating and deleting it publishes ``create`` /
``update`` / ``delete`` messages there (``ObjectMessages``). A user needs publish level on that
channel for any such write (DATA-012); admins and ignore_acl keys are not checked, and
``custom_publish`` does not matter (DATA-014).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from mock_server import coerce
from mock_server.access import Principal
from mock_server.api.base import ROUTE_METHODS, Call, parse_id
from mock_server.api.setup import INSTANCE, found, listing
from mock_server.errors import ApiError, detail, field_errors, not_found
from mock_server.models import Channel, DataClass, DataObject
from mock_server.representations import class_json, object_json, object_payload
from mock_server.responses import json_response, no_content
from mock_server.store import Conflict, Store

blueprint = Blueprint("data", __name__)
CLASSES = INSTANCE + "classes/"
OBJECTS = CLASSES + "<segment:class_name>/objects/"
OBJECT_PERMISSIONS = ("none", "read", "write", "full")
SYSTEM_FIELDS = ("owner_permissions", "group_permissions", "other_permissions")
ROOM_REQUIRED = "Channel room field is required for channels with separate rooms."
PUBLISH_DENIED = "You do not have permission to publish data to specified channel."
FIELD_READERS = {
    "string": (
        "Not a valid string.",
        lambda v: str(v) if isinstance(v, str | int | float) and not isinstance(v, bool) else None,
    ),
    "text": (
        "Not a valid string.",
        lambda v: str(v) if isinstance(v, str | int | float) and not isinstance(v, bool) else None,
    ),
    "integer": (
        "A valid integer is required.",
        lambda v: v if isinstance(v, int) and not isinstance(v, bool) else None,
    ),
    "float": (
        "A valid number is required.",
        lambda v: float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None,
    ),
    "boolean": ("Must be a valid boolean.", lambda v: v if isinstance(v, bool) else None),
}


def data_call(version: str, instance: str, allowed: tuple[str, ...], view_name: str) -> Call:
    """The checks every data view starts with."""
    call = Call(version, allowed, view_name)
    call.resolve_instance(instance)
    who = call.authenticate()
    call.require(call.mock.access.data_read(who, call.method))
    call.throttle()
    return call


# classes
@blueprint.route(CLASSES, methods=ROUTE_METHODS)
def class_list(version: str, instance: str) -> Response:
    """GET the data classes; POST creates one (admins and ignore_acl keys)."""
    call = data_call(version, instance, ("GET", "POST"), "Klass List")

    def create() -> Response:
        call.require(call.mock.access.manage(call.who))
        data = call.data("class-create.json")
        try:
            created = call.store.create_class(
                call.inst,
                str(data["name"]),
                data.get("schema") or [],
                description=str(data.get("description", "")),
            )
        except Conflict:
            raise field_errors({"name": ["This field must be unique."]}) from None
        return json_response(class_json(call.base, created, 0), status=201)

    def list_classes() -> Response:
        classes = call.store.data_classes(call.inst)
        # A class has no id of its own here: its place in creation order stands in for the
        # platform's primary key, so next/prev cursors read back the same rows.
        place = {c.name: n for n, c in enumerate(classes, start=1)}
        return listing(call, classes, lambda c: render_class(call, c), key=lambda c: place[c.name])

    return call.dispatch({"GET": list_classes, "POST": create}, {"POST": "class-create.json"})


def render_class(call: Call, data_class: DataClass) -> dict[str, Any]:
    """A class with its object count."""
    count = len(call.store.data_objects(call.inst, data_class.name))
    return class_json(call.base, data_class, count)


def find_class(call: Call, name: str) -> DataClass:
    """The class of a URL segment, or 404."""
    return found(call.store.data_class(call.inst, name.lower()))


@blueprint.route(CLASSES + "<segment:class_name>/", methods=ROUTE_METHODS)
def class_detail(version: str, instance: str, class_name: str) -> Response:
    """GET one data class."""
    call = data_call(version, instance, ("GET",), "Klass Instance")
    return call.dispatch(
        {"GET": lambda: json_response(render_class(call, find_class(call, class_name)))}
    )


# objects
def read_values(data_class: DataClass, data: dict[str, Any]) -> dict[str, Any]:
    """The class's own fields of a body, each read by its declared type."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field in data_class.schema:
        name = field.get("name")
        if name not in data:
            continue
        value = data[name]
        message, reader = FIELD_READERS.get(field.get("type"), ("", lambda v: v))
        read = None if value is None else reader(value)
        if value is not None and read is None:
            errors[name] = [message]
        values[name] = read
    if errors:
        raise field_errors(errors)
    return values


def bound_channel(call: Call, data: dict[str, Any]) -> tuple[Channel | None, str | None]:
    """The channel and room an object is created with (DATA-006, DATA-007, DATA-010)."""
    name = data.get("channel")
    if name is None:
        return None, None
    channel = call.store.channel(call.inst, name)
    if channel is None:
        raise field_errors({"channel": [f"Object with name={name} does not exist."]})
    room = data.get("channel_room")
    if not channel.separate_rooms:
        return channel, None
    if room is None or room == "":
        raise field_errors({"non_field_errors": [ROOM_REQUIRED]})
    return channel, str(room)


def check_publish(call: Call, who: Principal, channel: Channel | None) -> None:
    """A user's write to a channel-bound object needs publish level on that channel."""
    if channel is not None and not call.mock.access.publish_data(call.inst, who, channel):
        raise detail(403, PUBLISH_DENIED)


class ObjectMessages:
    """The messages a write of a channel-bound data object publishes (apps/data/signal_handlers.py):
    what each carries and where it goes."""

    def __init__(self, store: Store, platform: bool) -> None:
        self.store = store
        self.platform = platform

    def announce(self, call: Call, obj: DataObject, action: str, payload: dict[str, Any]) -> None:
        """Publish the message of a change to the object's channel (if it lives), whatever its
        custom_publish (DATA-014), in the object's room (DATA-009)."""
        channel = self.store.channel(call.inst, obj.channel) if obj.channel else None
        if channel is None:
            return
        room = obj.channel_room.lower() if obj.channel_room is not None else None
        notify_room = obj.channel_room if self.platform else room
        metadata = {"type": "object", "class": obj.class_name}
        self.store.publish(
            call.inst, channel, room, notify_room, action, call.who.author(), metadata, payload
        )

    def update_payload(self, base: str, obj: DataObject, changed: list[str]) -> dict[str, Any]:
        """The object's id and changed fields (DATA-003); the whole object when nothing
        changed (DATA-016)."""
        fields = ["updated_at", "revision", *changed] if changed else None
        return object_payload(base, obj, fields)

    def delete_payload(self, base: str, obj: DataObject) -> dict[str, Any]:
        """The deleted object's id alone (DATA-004)."""
        return {"id": obj.id}


def system_fields(data: dict[str, Any]) -> dict[str, str]:
    """Object permission fields given in a body, as names."""
    return {
        name: coerce.choice(data[name], OBJECT_PERMISSIONS)
        for name in SYSTEM_FIELDS
        if name in data
    }


@blueprint.route(OBJECTS, methods=ROUTE_METHODS)
def object_list(version: str, instance: str, class_name: str) -> Response:
    """GET the objects of a class the caller may read; POST creates one."""
    call = data_call(version, instance, ("GET", "POST"), "Data Object List")
    access = call.mock.access

    def create() -> Response:
        data_class = find_class(call, class_name)
        if call.who.user is not None and not call.who.ignores_acl:
            call.require(data_class.other_permissions == "create_objects")
        data = call.data("data-object-create.json")
        channel, room = bound_channel(call, data)
        values = read_values(data_class, data)
        owner = call.who.user.id if call.who.user is not None else None
        defaults = {field["name"]: None for field in data_class.schema}
        obj = call.store.create_object(
            call.inst,
            data_class.name,
            {**defaults, **values},
            owner=owner,
            channel=channel.name if channel else None,
            channel_room=room,
            **system_fields(data),
        )
        try:
            check_publish(call, call.who, channel)
        except ApiError:
            call.store.delete_object(call.inst, obj)  # rolled back; its id stays used
            raise
        call.mock.object_messages.announce(call, obj, "create", object_payload(call.base, obj))
        return json_response(object_json(call.base, obj), status=201)

    def list_objects() -> Response:
        data_class = find_class(call, class_name)
        rows = [
            o
            for o in call.store.data_objects(call.inst, data_class.name)
            if access.object_permission(call.who, o, "read")
        ]
        return listing(call, rows, lambda o: object_json(call.base, o))

    return call.dispatch({"GET": list_objects, "POST": create}, {"POST": "data-object-create.json"})


@blueprint.route(OBJECTS + "<segment:object_id>/", methods=ROUTE_METHODS)
def object_detail(version: str, instance: str, class_name: str, object_id: str) -> Response:
    """GET one object; PATCH or POST updates it; DELETE removes it."""
    call = data_call(version, instance, ("GET", "POST", "PATCH", "DELETE"), "Data Object")
    access = call.mock.access

    def fetch() -> tuple[DataClass, DataObject]:
        data_class = find_class(call, class_name)
        number = parse_id(object_id)
        obj = call.store.data_object(call.inst, data_class.name, number) if number else None
        if obj is None or not access.object_permission(call.who, obj, "read"):
            raise not_found()
        return data_class, obj

    def writable() -> tuple[DataClass, DataObject]:
        data_class, obj = fetch()
        call.require(access.object_permission(call.who, obj, "write"))
        channel = call.store.channel(call.inst, obj.channel) if obj.channel else None
        check_publish(call, call.who, channel)
        return data_class, obj

    def update() -> Response:
        data_class, obj = writable()
        data = call.data("data-object-update.json")
        changed = call.store.update_object(call.inst, obj, read_values(data_class, data))
        messages = call.mock.object_messages
        messages.announce(call, obj, "update", messages.update_payload(call.base, obj, changed))
        return json_response(object_json(call.base, obj))

    def delete() -> Response:
        _, obj = writable()
        call.store.delete_object(call.inst, obj)
        messages = call.mock.object_messages
        messages.announce(call, obj, "delete", messages.delete_payload(call.base, obj))
        return no_content()

    def show() -> Response:
        return json_response(object_json(call.base, fetch()[1]))

    return call.dispatch(
        {"GET": show, "POST": update, "PATCH": update, "DELETE": delete},
        {"POST": "data-object-update.json"},
    )
