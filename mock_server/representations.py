"""JSON representations of the records, key for key as the platform serializes them.

``base`` is the instance's URL prefix as the request spelled it (``/v1.1/instances/{I}`` or
``/v1/instances/{I}``); every link is a relative path under it (CHAN-002, MSG-007).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mock_server.models import (
    Admin,
    ApiKey,
    Channel,
    DataClass,
    DataObject,
    Group,
    Instance,
    Message,
    User,
    format_datetime,
)

INSTANCE_LINKS = (
    "admins",
    "snippets",
    "endpoints",
    "push_notification",
    "classes",
    "invitations",
    "api_keys",
    "triggers",
    "schedules",
    "users",
    "groups",
    "channels",
    "batch",
    "rename",
    "backups",
    "restores",
    "hosting",
)
INSTANCE_LINK_PATHS = {"push_notification": "push_notifications"}
OBJECT_LINK_KEYS = ("links", "channel", "channel_room")


def select_fields(data: dict[str, Any], fields: str | None, excluded: str | None) -> dict[str, Any]:
    """Apply ``?fields=a,b`` and ``?excluded_fields=a,b`` to one serialized record."""
    if fields is not None:
        wanted = set(fields.split(","))
        data = {k: v for k, v in data.items() if k in wanted}
    if excluded is not None:
        unwanted = set(excluded.split(","))
        data = {k: v for k, v in data.items() if k not in unwanted}
    return data


def channel_json(base: str, channel: Channel) -> dict[str, Any]:
    """A channel (CHAN-001, CHAN-002); ``links.group`` only when a group is set."""
    path = f"{base}/channels/{channel.name}/"
    links = {"self": path}
    if channel.group is not None:
        links["group"] = f"{base}/groups/{channel.group}/"
    links.update(poll=f"{path}poll/", publish=f"{path}publish/", history=f"{path}history/")
    return {
        "name": channel.name,
        "description": channel.description,
        "type": channel.type,
        "group": channel.group,
        "group_permissions": channel.group_permissions,
        "other_permissions": channel.other_permissions,
        "created_at": format_datetime(channel.created_at),
        "updated_at": format_datetime(channel.updated_at),
        "custom_publish": channel.custom_publish,
        "links": links,
    }


def message_json(
    message: Message, base: str | None = None, channel_name: str | None = None
) -> dict[str, Any]:
    """A message (MSG-001); with ``base`` and ``channel_name`` it gets its ``links.self``
    (MSG-007, HIST-006); a poll answer has none (MSG-011)."""
    data: dict[str, Any] = {
        "id": message.id,
        "created_at": format_datetime(message.created_at),
        "action": message.action,
        "author": message.author,
        "metadata": message.metadata,
        "payload": message.payload,
    }
    if base is not None and channel_name is not None:
        data["links"] = {"self": f"{base}/channels/{channel_name}/history/{message.id}/"}
    return data


def admin_json(admin: Admin) -> dict[str, Any]:
    """An admin as the instance's ``owner``."""
    return {
        "id": admin.id,
        "email": admin.email,
        "first_name": admin.first_name,
        "last_name": admin.last_name,
        "is_active": admin.is_active,
        "has_password": admin.password is not None,
        "metadata": admin.metadata,
    }


def instance_json(
    version: str, instance: Instance, owner: Admin, role: str = "owner"
) -> dict[str, Any]:
    """An instance; the platform reports the role ``api_key`` on creation."""
    path = f"/{version}/instances/{instance.name}/"
    links = {"self": path}
    links.update({name: f"{path}{INSTANCE_LINK_PATHS.get(name, name)}/" for name in INSTANCE_LINKS})
    return {
        "name": instance.name,
        "description": instance.description,
        "owner": admin_json(owner),
        "created_at": format_datetime(instance.created_at),
        "updated_at": format_datetime(instance.updated_at),
        "role": role,
        "location": "dev",
        "metadata": instance.metadata,
        "links": links,
    }


def api_key_json(base: str, api_key: ApiKey) -> dict[str, Any]:
    """An API key with its flags (AUTH-012, AUTH-015)."""
    path = f"{base}/api_keys/{api_key.id}/"
    return {
        "id": api_key.id,
        "description": api_key.description,
        "api_key": api_key.key,
        "ignore_acl": api_key.ignore_acl,
        "allow_user_create": api_key.allow_user_create,
        "allow_group_create": api_key.allow_group_create,
        "allow_anonymous_read": api_key.allow_anonymous_read,
        "created_at": format_datetime(api_key.created_at),
        "links": {"self": path, "reset_key": f"{path}reset_key/"},
    }


def group_json(base: str, group: Group) -> dict[str, Any]:
    """A group (AUTH-014)."""
    path = f"{base}/groups/{group.id}/"
    return {
        "id": group.id,
        "name": group.name,
        "label": group.label,
        "description": group.description,
        "links": {"self": path, "users": f"{path}users/"},
    }


def object_json(base: str, obj: DataObject) -> dict[str, Any]:
    """A data object (apps/data/v1/serializers.py): system fields, the class's fields, then
    links."""
    links = {"self": f"{base}/classes/{obj.class_name}/objects/{obj.id}/"}
    if obj.owner is not None:
        links["owner"] = f"{base}/users/{obj.owner}/"
    if obj.channel is not None:
        links["channel"] = f"{base}/channels/{obj.channel}/"
    return {
        "id": obj.id,
        "created_at": format_datetime(obj.created_at),
        "updated_at": format_datetime(obj.updated_at),
        "revision": obj.revision,
        "owner": obj.owner,
        "owner_permissions": obj.owner_permissions,
        "group": obj.group,
        "group_permissions": obj.group_permissions,
        "other_permissions": obj.other_permissions,
        "channel": obj.channel,
        "channel_room": obj.channel_room,
        **obj.values,
        "links": links,
    }


def object_payload(
    base: str, obj: DataObject, fields: Iterable[str] | None = None
) -> dict[str, Any]:
    """The payload of a data-object message: the object without links, channel and
    channel_room (DATA-002); with ``fields``, only ``id`` and those fields (DATA-003)."""
    data = {k: v for k, v in object_json(base, obj).items() if k not in OBJECT_LINK_KEYS}
    if fields is None:
        return data
    return {"id": obj.id, **{k: data[k] for k in fields if k in data}}


def user_json(base: str, user: User, profile: DataObject, groups: list[Group]) -> dict[str, Any]:
    """A user with its profile, groups and user key (AUTH-013)."""
    path = f"{base}/users/{user.id}/"
    profile_path = f"{base}/classes/user_profile/objects/{profile.id}/"
    return {
        "id": user.id,
        "username": user.username,
        "profile": object_json(base, profile),
        "groups": [group_json(base, g) for g in groups],
        "user_key": user.key,
        "links": {
            "self": path,
            "groups": f"{path}groups/",
            "reset-key": f"{path}reset_key/",
            "profile": profile_path,
        },
    }


def class_json(base: str, data_class: DataClass, objects_count: int) -> dict[str, Any]:
    """A data class (apps/data/v1/serializers.py)."""
    path = f"{base}/classes/{data_class.name}/"
    return {
        "name": data_class.name,
        "description": data_class.description,
        "schema": data_class.schema,
        "status": "ready",
        "created_at": format_datetime(data_class.created_at),
        "updated_at": format_datetime(data_class.updated_at),
        "objects_count": objects_count,
        "revision": data_class.revision,
        "group": data_class.group,
        "group_permissions": data_class.group_permissions,
        "other_permissions": data_class.other_permissions,
        "metadata": data_class.metadata,
        "links": {"self": path, "objects": f"{path}objects/"},
    }
