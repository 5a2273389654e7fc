"""Faults of the store seam: subclasses of the reference store, ``MemoryStore``, each replacing
one of its steps (a lookup, a write, the id allocation, the subscribers a message wakes)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from mock_server.faults.declare import declare
from mock_server.models import ApiKey, Channel, Instance, Message, User
from mock_server.store import InstanceState, MemoryStore, Subscription

ID_ROUND_TRIP_SECONDS = 0.002
DESCRIPTION_COLUMN = 255


# AUTH
@declare(
    "api-key-of-any-instance",
    "AUTH-003",
    "API keys are looked up among the keys of every instance, so a key of one instance "
    "is accepted on the URL of another.",
)
class ApiKeyOfAnyInstance(MemoryStore):
    def api_key_by_key(self, inst: Instance, key: str) -> ApiKey | None:
        key = key.lower()
        with self._lock:
            every = (k for state in self._instances.values() for k in state.api_keys.values())
            return next((k for k in every if k.key == key), None)


@declare(
    "user-key-of-any-instance",
    "AUTH-011",
    "User keys are looked up among the users of every instance, so a user key of another "
    "instance acts as the user with the same id here.",
)
class UserKeyOfAnyInstance(MemoryStore):
    def user_by_key(self, inst: Instance, key: str) -> User | None:
        with self._lock:
            every = (u for state in self._instances.values() for u in state.users.values())
            return next((u for u in every if u.key == key), None)


# CHAN
@declare(
    "channel-description-truncated",
    "CHAN-018",
    "The description is stored in a 255-character column and silently cut.",
)
class ChannelDescriptionTruncated(MemoryStore):
    def create_channel(self, inst: Instance, name: str, **fields: Any) -> Channel:
        return super().create_channel(inst, name, **self.column(fields))

    def update_channel(self, inst: Instance, name: str, changes: dict[str, Any]) -> Channel:
        return super().update_channel(inst, name, self.column(changes))

    @staticmethod
    def column(fields: dict[str, Any]) -> dict[str, Any]:
        description = fields.get("description")
        if not isinstance(description, str):
            return fields
        return {**fields, "description": description[:DESCRIPTION_COLUMN]}


@declare(
    "updated-at-not-refreshed",
    "CHAN-025",
    "An update changes the fields but leaves updated_at at its old value.",
)
class UpdatedAtNotRefreshed(MemoryStore):
    def update_channel(self, inst: Instance, name: str, changes: dict[str, Any]) -> Channel:
        with self._lock:
            before = self._state(inst).channels[name].updated_at
            channel = super().update_channel(inst, name, changes)
            channel.updated_at = before
            return channel


@declare(
    "channel-prefix-filter-ignored",
    "CHAN-035",
    "The channel list ignores ?name__startswith= and lists every channel.",
)
class ChannelPrefixFilterIgnored(MemoryStore):
    def channels(self, inst: Instance, name_prefix: str | None = None) -> list[Channel]:
        return super().channels(inst)


# BUILTIN
@declare(
    "builtin-default-room-less",
    "BUILTIN-002",
    "A new instance's built-in channel default is created with type default (as its "
    "name suggests) instead of separate_rooms.",
)
class BuiltinDefaultRoomLess(MemoryStore):
    def create_instance(
        self, owner_id: int, name: str, description: str, metadata: dict[str, Any]
    ) -> Instance:
        with self._lock:
            record = super().create_instance(owner_id, name, description, metadata)
            self._state(record).channels["default"].type = "default"
            return record


# PUB
@declare(
    "payload-latin1-column",
    "PUB-016",
    "The payload goes through a latin-1 column, so characters outside latin-1 come back as '?'.",
)
class PayloadLatin1Column(MemoryStore):
    def publish(
        self,
        inst: Instance,
        channel: Channel,
        room: str | None,
        notify_room: str | None,
        action: str,
        author: dict[str, Any],
        metadata: dict[str, Any],
        payload: dict[str, Any],
    ) -> Message:
        column = json.dumps(payload, ensure_ascii=False).encode("latin-1", "replace")
        return super().publish(
            inst,
            channel,
            room,
            notify_room,
            action,
            author,
            metadata,
            json.loads(column.decode("latin-1")),
        )


# ID
@declare(
    "message-id-lost-update",
    "ID-002",
    "The instance's id counter is read and written back in two steps with a round trip "
    "between them, so concurrent publishes can get the same id.",
)
class MessageIdLostUpdate(MemoryStore):
    def _next_message_id(self, state: InstanceState, channel: Channel) -> int:
        current = state.last_message_id
        self._lock.release()  # a round trip to a remote counter, without the lock
        try:
            time.sleep(ID_ROUND_TRIP_SECONDS)
        finally:
            self._lock.acquire()
        state.last_message_id = current + 1
        return state.last_message_id


@declare(
    "message-ids-per-channel",
    "ID-003",
    "Message ids are counted per channel instead of per instance.",
)
class MessageIdsPerChannel(MemoryStore):
    def _next_message_id(self, state: InstanceState, channel: Channel) -> int:
        state.last_message_id = sum(
            len(index) for (pk, _), index in state.indexes.items() if pk == channel.pk
        )
        return super()._next_message_id(state, channel)


@declare(
    "message-ids-global",
    "ID-004",
    "Message ids come from one sequence shared by all instances, so a new instance's "
    "first message does not get id 1.",
)
class MessageIdsGlobal(MemoryStore):
    def _next_message_id(self, state: InstanceState, channel: Channel) -> int:
        state.last_message_id = max(s.last_message_id for s in self._instances.values())
        return super()._next_message_id(state, channel)


# POLL
@declare(
    "poll-last-id-inclusive",
    "POLL-001",
    "A poll with last_id returns the message whose id equals last_id (>= instead of >).",
)
class PollLastIdInclusive(MemoryStore):
    def next_message(
        self, inst: Instance, channel: Channel, room: str | None, last_id: int
    ) -> Message | None:
        return super().next_message(inst, channel, room, last_id - 1)


@declare(
    "poll-wakes-one-poller",
    "POLL-013",
    "Waiting polls are kept in a queue and a publish wakes only the first of them.",
)
class PollWakesOnePoller(MemoryStore):
    def _subscribers(
        self, inst: Instance, channel: Channel, room: str | None
    ) -> Iterable[Subscription]:
        return list(super()._subscribers(inst, channel, room))[:1]


@declare(
    "poll-woken-by-any-channel",
    "POLL-017",
    "Wake-ups are keyed by room alone, so a message on any channel of the instance wakes "
    "the polls waiting with the same room (or none).",
)
class PollWokenByAnyChannel(MemoryStore):
    def _subscribers(
        self, inst: Instance, channel: Channel, room: str | None
    ) -> Iterable[Subscription]:
        return [
            s
            for (uid, _, waiting_room), waiting in self._waiters.items()
            if uid == inst.uid and waiting_room == room
            for s in waiting
        ]


# ROOM
@declare(
    "room-wakes-whole-channel",
    "ROOM-002",
    "Wake-ups are keyed by channel alone, so a message in one room wakes the polls "
    "waiting in every room of the channel.",
)
class RoomWakesWholeChannel(MemoryStore):
    def _subscribers(
        self, inst: Instance, channel: Channel, room: str | None
    ) -> Iterable[Subscription]:
        return [
            s
            for (uid, pk, _), waiting in self._waiters.items()
            if (uid, pk) == (inst.uid, channel.pk)
            for s in waiting
        ]


# ERR
@declare(
    "instance-name-case-sensitive",
    "ERR-009",
    "The instance name in the URL is matched exactly, so MyInstance is not myinstance.",
)
class InstanceNameCaseSensitive(MemoryStore):
    def instance(self, name: str) -> Instance | None:
        return super().instance(name) if name == name.lower() else None
