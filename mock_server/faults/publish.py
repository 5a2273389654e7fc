"""Faults of the publish seams: subclasses of ``PublishChecks`` (the checks after the channel
lookup and their order) and of ``MessageSerializer`` (what a publish body becomes)."""

from __future__ import annotations

from typing import Any

from mock_server.access import Access, Principal
from mock_server.api.messages import MessageSerializer, PublishChecks
from mock_server.faults.declare import declare
from mock_server.faults.stale import CACHE_SECONDS, StaleCache
from mock_server.models import Channel, Instance
from mock_server.parsing import RequestBody


# CPUB
@declare(
    "ignore-acl-skips-custom-publish",
    "CPUB-002",
    "An ignore_acl key skips every channel check, custom_publish included.",
)
class IgnoreAclSkipsCustomPublish(PublishChecks):
    def custom_publish(self, inst: Instance, who: Principal, channel: Channel) -> bool:
        return who.ignores_acl or super().custom_publish(inst, who, channel)


@declare(
    "custom-publish-before-permission",
    "CPUB-004",
    "Publish checks custom_publish before the caller's permission, so a caller without "
    "publish level learns that custom publish is off.",
)
class CustomPublishBeforePermission(PublishChecks):
    def check(self, inst: Instance, who: Principal, channel: Channel) -> None:
        self.check_custom_publish(inst, who, channel)
        self.check_permission(inst, who, channel)


@declare(
    "custom-publish-cached",
    "CPUB-006",
    f"Publish reads custom_publish from a per-channel cache kept for {CACHE_SECONDS:g} "
    "s, so a change takes effect late.",
)
class CustomPublishCached(PublishChecks):
    def __init__(self, access: Access) -> None:
        super().__init__(access)
        self.seen = StaleCache()

    def custom_publish(self, inst: Instance, who: Principal, channel: Channel) -> bool:
        fresh = super().custom_publish(inst, who, channel)
        return self.seen.get((inst.uid, channel.pk), fresh)


# PUB
@declare(
    "payload-string-dropped",
    "PUB-004",
    "Only a JSON object is taken as the payload: one sent as a string holding JSON is "
    "dropped and the message gets payload {}.",
)
class PayloadStringDropped(MessageSerializer):
    def payload(self, value: Any) -> dict[str, Any]:
        return {} if isinstance(value, str) else super().payload(value)


@declare(
    "publish-metadata-from-body",
    "PUB-015",
    "The message is built from the whole body, so a metadata key in the body overrides "
    "the server's metadata.",
)
class PublishMetadataFromBody(MessageSerializer):
    def metadata(self, data: dict[str, Any]) -> dict[str, Any]:
        metadata = super().metadata(data)
        if isinstance(data.get("metadata"), dict):
            metadata.update(data["metadata"])
        return metadata


@declare(
    "publish-room-untrimmed",
    "PUB-017",
    "The room is validated trimmed but stored as sent, surrounding spaces included.",
)
class PublishRoomUntrimmed(MessageSerializer):
    def validated(self, body: RequestBody) -> dict[str, Any]:
        data = super().validated(body)
        sent = body.data().get("room")
        if isinstance(sent, str):
            data["room"] = sent
        return data


# MSG
@declare(
    "ignore-acl-author-is-admin",
    "MSG-005",
    "An ignore_acl key acts for the instance's owner, so its messages get the admin as "
    "author instead of the key.",
)
class IgnoreAclAuthorIsAdmin(MessageSerializer):
    def author(self, inst: Instance, who: Principal) -> dict[str, Any]:
        if who.ignores_acl and who.user is None:
            return {"admin": inst.owner_id}
        return super().author(inst, who)


# ROOM
@declare(
    "rooms-case-sensitive",
    "ROOM-003",
    "Rooms are stored and looked up exactly as sent, so Room1 and ROOM1 are different rooms.",
)
class RoomsCaseSensitive(MessageSerializer):
    def index_room(self, channel: Channel, room: str | None) -> str | None:
        return room if super().index_room(channel, room) is not None else None


@declare(
    "default-channel-keeps-room",
    "ROOM-008",
    "A default-type channel stores and looks messages up by room like a separate_rooms channel.",
)
class DefaultChannelKeepsRoom(MessageSerializer):
    def index_room(self, channel: Channel, room: str | None) -> str | None:
        if not channel.separate_rooms and room:
            return room.lower()
        return super().index_room(channel, room)
