"""Faults of the access seam: subclasses of ``Access``, each replacing one authentication or
permission decision."""

from __future__ import annotations

from mock_server.access import SAFE_METHODS, Access, Principal
from mock_server.config import MockConfig
from mock_server.errors import detail
from mock_server.faults.declare import declare
from mock_server.faults.stale import CACHE_SECONDS, StaleCache
from mock_server.models import Admin, Channel, Instance, User
from mock_server.store import Store


# AUTH
@declare(
    "unknown-account-key-401",
    "AUTH-001",
    "An unknown account key is refused the way DRF's TokenAuthentication refuses one: "
    '401 "Invalid token." instead of 403 "No such API Key.".',
)
class UnknownAccountKey401(Access):
    def admin(self, account_key: str) -> Admin:
        if self.store.admin_by_key(account_key) is None:
            raise detail(401, "Invalid token.")
        return super().admin(account_key)


# PERM
@declare(
    "no-key-lists-open-channels",
    "PERM-037",
    "A request without any key may list the channels whose other_permissions is "
    "subscribe or publish, as an anonymous reader would.",
)
class NoKeyListsOpenChannels(Access):
    def channel_view(self, who: Principal, action: str, method: str) -> bool:
        if who.admin is None and who.api_key is None and action == "list":
            return True
        return super().channel_view(who, action, method)


@declare(
    "group-permissions-without-group",
    "PERM-042",
    "A channel without a group grants group_permissions to every user, as if all users "
    "were its members.",
)
class GroupPermissionsWithoutGroup(Access):
    def in_group(self, inst: Instance, user: User, channel: Channel) -> bool:
        return channel.group is None or super().in_group(inst, user, channel)


@declare(
    "membership-cached",
    "PERM-045",
    f"Group memberships are cached for {CACHE_SECONDS:g} s, so a removal from the "
    "channel's group takes effect late.",
)
class MembershipCached(Access):
    def __init__(self, config: MockConfig, store: Store) -> None:
        super().__init__(config, store)
        self.memberships = StaleCache()

    def in_group(self, inst: Instance, user: User, channel: Channel) -> bool:
        member = super().in_group(inst, user, channel)
        return self.memberships.get((inst.uid, channel.group, user.id), member)


@declare(
    "anonymous-read-everything",
    "PERM-017",
    "An allow_anonymous_read key reads every channel, whatever its other_permissions "
    "(the platform quirk, in the core profile).",
)
class AnonymousReadEverything(Access):
    def channel_object(
        self, inst: Instance, who: Principal, channel: Channel, action: str, method: str
    ) -> bool:
        if action != "publish" and who.anonymous_reader and method in SAFE_METHODS:
            return True
        return super().channel_object(inst, who, channel, action, method)


# DATA
@declare(
    "data-publish-unchecked",
    "DATA-012",
    "A user may bind a data object to a channel where its level is below publish.",
)
class DataPublishUnchecked(Access):
    def publish_data(self, inst: Instance, who: Principal, channel: Channel) -> bool:
        return True
