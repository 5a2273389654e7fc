"""Who is calling, and every permission decision (AUTH and PERM requirements).

Credentials are read as the platform reads them (apps/core/authentication.py; AUTH-004..007); a
key is classified by the parity of its last hex digit (AUTH-001, AUTH-002). The decisions follow
apps/channels/permissions.py, except where the platform's server contradicts its documentation:
there ``MockConfig.compat`` decides, ``platform`` reproducing the server and ``core`` (the
default) giving the documented behaviour:

* only admins and ``ignore_acl`` keys create, update and delete channels (PERM-032, PERM-033;
  the server lets users do it, PERM-029..031);
* an ``allow_anonymous_read`` key reads detail, poll and history only of channels whose
  ``other_permissions`` is at least ``subscribe``, and a user with such a key needs
  L ≥ subscribe (PERM-017; the server lets it read every channel, PERM-016).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Request

from mock_server import keys
from mock_server.config import MockConfig
from mock_server.errors import NO_SUCH_KEY, detail
from mock_server.models import Admin, ApiKey, Channel, Instance, User, level
from mock_server.parsing import RequestBody
from mock_server.store import Store

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
SUBSCRIBE = level("subscribe")
PUBLISH = level("publish")
CHANNEL_WRITES = ("create", "update", "destroy")


@dataclass(frozen=True)
class Credentials:
    """The key and user key a request presents, wherever they came from."""

    key: str | None
    user_key: str | None


@dataclass(frozen=True)
class Principal:
    """Who is calling: an admin (with its role in the URL's instance), an API key (with or
    without a user), or nobody."""

    admin: Admin | None = None
    role: str | None = None
    api_key: ApiKey | None = None
    user: User | None = None

    @property
    def code(self) -> str:
        """The principal's short name (ADM-W, ADM-X, IGN, ANON, ANON+U, USER, KEY, NONE), as
        spec/requirements.yaml names principals."""
        if self.admin is not None:
            return "ADM-W" if self.role else "ADM-X"
        if self.api_key is None:
            return "NONE"
        if self.api_key.ignore_acl:
            return "IGN"
        if self.api_key.allow_anonymous_read:
            return "ANON+U" if self.user else "ANON"
        return "USER" if self.user else "KEY"

    @property
    def is_admin(self) -> bool:
        """An admin with a role in the instance (the mock knows only owners)."""
        return self.admin is not None and self.role is not None

    @property
    def ignores_acl(self) -> bool:
        """An ``ignore_acl`` API key, with or without a user."""
        return self.api_key is not None and self.api_key.ignore_acl

    @property
    def anonymous_reader(self) -> bool:
        """An API key with ``allow_anonymous_read``."""
        return self.api_key is not None and self.api_key.allow_anonymous_read

    def author(self) -> dict[str, int]:
        """The ``author`` of a message this principal causes (MSG-004..006, DATA-015)."""
        if self.admin is not None:
            return {"admin": self.admin.id}
        if self.api_key is None:
            return {}
        if self.user is not None:
            return {"api_key": self.api_key.id, "user": self.user.id}
        return {"api_key": self.api_key.id}


ANONYMOUS = Principal()


def _first(*values: str | None) -> str | None:
    return next((v for v in values if v), None)


def credentials(request: Request, body: RequestBody) -> Credentials:
    """Key and user key in the platform's order of sources (AUTH-004..007); the body is read
    only when no header or query parameter carries them."""
    key = _first(
        request.headers.get("X-API-KEY"), request.args.get("api_key"), request.args.get("apikey")
    )
    if key is None:
        authorization = request.headers.get("Authorization", "")
        parts = authorization.split(" ")
        if len(parts) == 2:
            key = parts[1] or None
    if key is None:
        key = _body_field(body, "_api_key")
    user_key = _first(
        request.headers.get("X-USER-KEY"), request.args.get("user_key"), request.args.get("userkey")
    )
    return Credentials(key, user_key)


def _body_field(body: RequestBody, name: str) -> str | None:
    fields = body.as_dict()
    value = fields.get(name) if fields else None
    return value if isinstance(value, str) and value else None


class Access:
    """Authentication and permission decisions of one app: reads keys and memberships from the
    store, quirks from config. The access faults (``mock_server/faults/access.py``) subclass
    it."""

    def __init__(self, config: MockConfig, store: Store) -> None:
        self.platform = config.platform
        self.store = store

    def authenticate(
        self, instance: Instance | None, request: Request, body: RequestBody
    ) -> Principal:
        """The principal of a request; 403 ``No such API Key.`` for a key nobody issued.

        A user key is looked up only for an API key, only within the URL's instance, and an
        unknown one is silently no user (AUTH-009, AUTH-011)."""
        found = credentials(request, body)
        if found.key is None:
            return ANONYMOUS
        kind = keys.classify(found.key)
        if kind is keys.KeyKind.ACCOUNT:
            admin = self.admin(found.key)
            owner = instance is not None and instance.owner_id == admin.id
            return Principal(admin=admin, role="owner" if owner else None)
        if kind is keys.KeyKind.INVALID or instance is None:
            raise detail(403, NO_SUCH_KEY)
        api_key = self.store.api_key_by_key(instance, found.key)
        if api_key is None:
            raise detail(403, NO_SUCH_KEY)
        user_key = found.user_key or _body_field(body, "_user_key")
        user = self.store.user_by_key(instance, user_key) if user_key else None
        return Principal(api_key=api_key, user=user)

    def admin(self, account_key: str) -> Admin:
        """The admin owning an account key, or 403 ``No such API Key.`` (never 401,
        AUTH-001)."""
        admin = self.store.admin_by_key(account_key)
        if admin is None:
            raise detail(403, NO_SUCH_KEY)
        return admin

    def user_level(self, inst: Instance, user: User | None, channel: Channel) -> int:
        """The user's effective level L: the higher of other_permissions and, for a member of
        the channel's group, group_permissions (PERM-039, PERM-043)."""
        found = level(channel.other_permissions)
        if user is not None and self.in_group(inst, user, channel):
            found = max(found, level(channel.group_permissions))
        return found

    def in_group(self, inst: Instance, user: User, channel: Channel) -> bool:
        """Whether the user is a member of the channel's group, right now (PERM-045); a
        channel without a group has no members (PERM-042)."""
        if channel.group is None:
            return False
        return self.store.is_member(inst, channel.group, user.id)

    # channel viewset, view level: identity only, no channel yet (ERR-011)
    def channel_view(self, who: Principal, action: str, method: str) -> bool:
        """The view-level check of the channel endpoints; no key is refused (PERM-037,
        PERM-038)."""
        if who.admin is not None:
            return who.is_admin
        if who.api_key is None:
            return False
        if who.ignores_acl:
            return True
        if action == "publish":
            return who.user is not None
        if action in CHANNEL_WRITES and not self.platform:
            return False
        if who.anonymous_reader and method in SAFE_METHODS:
            return True
        return who.user is not None

    # channel viewset, object level: once the channel is known
    def channel_object(
        self, inst: Instance, who: Principal, channel: Channel, action: str, method: str
    ) -> bool:
        """The object-level check once the channel is known."""
        if who.is_admin or who.ignores_acl:
            return True
        if action == "publish":
            return self.user_level(inst, who.user, channel) == PUBLISH if who.user else False
        anonymous_read = who.anonymous_reader and method in SAFE_METHODS
        if anonymous_read and self.platform:
            return True
        if who.user is not None:
            return self.user_level(inst, who.user, channel) >= SUBSCRIBE
        return anonymous_read and level(channel.other_permissions) >= SUBSCRIBE

    def history(self, inst: Instance, who: Principal, channel: Channel, method: str) -> bool:
        """History list and detail: admins, ignore_acl keys, anonymous readers and users with
        L ≥ subscribe (the history viewset knows its channel before this check)."""
        if who.admin is not None:
            return who.is_admin
        if who.api_key is None:
            return False
        return self.channel_object(inst, who, channel, "history", method)

    def listed(self, inst: Instance, who: Principal, channel: Channel) -> bool:
        """Whether the channel list shows this channel to this principal (PERM-001..004)."""
        if who.is_admin or who.ignores_acl:
            return True
        if who.user is not None:
            return self.user_level(inst, who.user, channel) >= SUBSCRIBE
        return level(channel.other_permissions) >= SUBSCRIBE

    def publish_data(self, inst: Instance, who: Principal, channel: Channel) -> bool:
        """A data-object write bound to a channel: a user needs publish level there (DATA-012,
        DATA-013)."""
        if who.user is None or who.ignores_acl or who.admin is not None:
            return True
        return self.user_level(inst, who.user, channel) == PUBLISH

    # set-up endpoints (AUTH-012..014)
    @staticmethod
    def manage(who: Principal) -> bool:
        """Instance administration: the admin, or an ignore_acl key."""
        return who.is_admin or who.ignores_acl

    @staticmethod
    def create_user(who: Principal) -> bool:
        """Users are created by admins, ignore_acl keys and allow_user_create keys."""
        return Access.manage(who) or (who.api_key is not None and who.api_key.allow_user_create)

    @staticmethod
    def create_group(who: Principal) -> bool:
        """Groups are created by admins, ignore_acl keys and allow_group_create keys."""
        return Access.manage(who) or (who.api_key is not None and who.api_key.allow_group_create)

    @staticmethod
    def any_key(who: Principal) -> bool:
        """Any account key of the instance's admin or any API key of the instance."""
        return who.is_admin or who.api_key is not None

    @staticmethod
    def data_read(who: Principal, method: str) -> bool:
        """The data API: admins and API keys; a key without a user writes only with
        ignore_acl."""
        if who.is_admin or who.ignores_acl:
            return True
        if who.api_key is None:
            return False
        return method in SAFE_METHODS or who.user is not None

    @staticmethod
    def object_permission(who: Principal, obj: Any, needed: str) -> bool:
        """Object ACL of the data API for a user: owner, group or other permissions."""
        if who.is_admin or who.ignores_acl:
            return True
        order = ("none", "read", "write", "full")
        rank = order.index(needed)
        if who.user is not None and obj.owner == who.user.id:
            return order.index(obj.owner_permissions) >= rank
        return order.index(obj.other_permissions) >= rank
