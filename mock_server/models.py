"""The records the store keeps. The API layer reads them; only the store changes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from spec.protocol import DATETIME_FORMAT

PERMISSION_LEVELS = ("none", "subscribe", "publish")
CHANNEL_TYPES = ("default", "separate_rooms")
BUILTIN_CHANNELS = ("default", "eventlog")
CUSTOM = "custom"


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def format_datetime(moment: datetime) -> str:
    """The platform's datetime format: always six fractional digits and a ``Z`` (CHAN-004)."""
    return moment.astimezone(UTC).strftime(DATETIME_FORMAT)


def level(permission: str) -> int:
    """Order of channel permissions: none < subscribe < publish."""
    return PERMISSION_LEVELS.index(permission)


@dataclass
class Admin:
    """A Syncano account; its account key authenticates it."""

    id: int
    key: str
    email: str
    password: str | None = None
    first_name: str = ""
    last_name: str = ""
    is_active: bool = True
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Instance:
    """An instance; ``uid`` is internal and never reused, ``name`` is what URLs use."""

    uid: int
    name: str
    owner_id: int
    description: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


@dataclass
class ApiKey:
    """An instance API key and its flags (AUTH-012)."""

    id: int
    key: str
    description: str = ""
    ignore_acl: bool = False
    allow_user_create: bool = False
    allow_group_create: bool = False
    allow_anonymous_read: bool = False
    created_at: datetime = field(default_factory=utcnow)


@dataclass
class User:
    """An application user of one instance; ``profile_id`` is its user_profile data object."""

    id: int
    username: str
    password: str
    key: str
    profile_id: int


@dataclass
class Group:
    """A group of users; channels grant ``group_permissions`` to its members."""

    id: int
    name: str | None = None
    label: str = ""
    description: str = ""


@dataclass
class Channel:
    """A channel; ``pk`` is the internal id (cursor pagination and history belong to it)."""

    pk: int
    name: str
    description: str = ""
    type: str = "default"
    group: int | None = None
    group_permissions: str = "none"
    other_permissions: str = "none"
    custom_publish: bool = False
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    @property
    def separate_rooms(self) -> bool:
        """True when every message belongs to a room."""
        return self.type == "separate_rooms"


@dataclass(frozen=True, eq=False)
class Message:
    """One message (the API calls it a change); ``room`` is the lowercased index room.
    Compared and hashed by identity: the store hands the same object to every subscriber."""

    id: int
    created_at: datetime
    action: str
    author: dict[str, Any]
    metadata: dict[str, Any]
    payload: dict[str, Any]
    channel_pk: int
    room: str | None
    expires_at: float


@dataclass
class DataClass:
    """A data class: a named schema of object fields (apps/data/models.py)."""

    name: str
    schema: list[dict[str, Any]]
    description: str = ""
    group: int | None = None
    group_permissions: str = "create_objects"
    other_permissions: str = "create_objects"
    metadata: dict[str, Any] = field(default_factory=dict)
    revision: int = 1
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


@dataclass
class DataObject:
    """A data object; ``channel`` / ``channel_room`` bind it to a channel at creation."""

    id: int
    class_name: str
    values: dict[str, Any]
    owner: int | None = None
    owner_permissions: str = "full"
    group: int | None = None
    group_permissions: str = "none"
    other_permissions: str = "none"
    channel: str | None = None
    channel_room: str | None = None
    revision: int = 1
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
