"""All state of the mock behind one interface.

``Store`` is the interface the API layer talks to; ``MemoryStore``, the reference store, keeps
everything in this process. A shared backend (e.g. Redis) can implement ``Store`` later without
touching the API; the store faults (``mock_server/faults/store.py``) subclass ``MemoryStore``.

Messages follow the platform's storage model (apps/redis_storage/models.py): one id counter per
instance (ID-003, ID-004), message records keyed by (instance, id), and one ordered index per
(channel, lowercased room) capped at the retention limit (HIST-021). Publishing allocates the
id, stores and indexes the message and wakes the subscriptions of that (channel, room) inside
one critical section, so ids become visible in increasing order and a ``last_id`` walk sees
every message once (ID-002, POLL-003).
"""

from __future__ import annotations

import bisect
import itertools
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from mock_server import keys
from mock_server.models import (
    BUILTIN_CHANNELS,
    Admin,
    ApiKey,
    Channel,
    DataClass,
    DataObject,
    Group,
    Instance,
    Message,
    User,
    utcnow,
)

USER_PROFILE_CLASS = "user_profile"


class Conflict(Exception):
    """A record with the same unique name already exists."""


class StoreUnavailable(Exception):
    """A shared store cannot be reached right now; the request is answered 503, not 500."""


class Subscription:
    """A parked poller or WebSocket session: messages of one (channel, room) after ``last_id``.

    ``capacity`` bounds the pending queue (1 for a long poll, 100 for a WebSocket session);
    once it is full, later messages are dropped, as the platform drops a slow WebSocket client.
    Messages are offered by one publisher at a time (under the store lock) and taken by one
    consumer.
    """

    # No instance dict: thousands of subscriptions may be parked at once.
    __slots__ = ("_queue", "_ready", "cancelled", "capacity", "key", "last_id")

    def __init__(self, key: tuple[int, int, str | None], last_id: int | None, capacity: int):
        self.key = key
        self.last_id = last_id
        self.capacity = capacity
        self.cancelled = False
        self._queue: list[Message] = []  # a deque's first block alone is 600 bytes
        self._ready = threading.Event()

    def offer(self, message: Message) -> None:
        """Queue a message for this subscriber if it is newer than its ``last_id``."""
        if self.last_id is not None and message.id <= self.last_id:
            return
        if len(self._queue) >= self.capacity:
            return
        self._queue.append(message)
        self._ready.set()

    def cancel(self) -> None:
        """End the subscription: a waiting ``take`` returns None at once."""
        self.cancelled = True
        self._ready.set()

    def take(self, timeout: float) -> Message | None:
        """The next queued message, waiting up to ``timeout`` seconds; None on timeout or once
        cancelled."""
        deadline = time.monotonic() + timeout
        while not self.cancelled:
            if self._queue:
                return self._queue.pop(0)
            self._ready.clear()
            if self._queue:
                return self._queue.pop(0)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._ready.wait(remaining):
                return self._queue.pop(0) if self._queue else None
        return None


@dataclass
class Retention:
    """How long messages live and how many each (channel, room) index keeps."""

    ttl: float
    limit_for: Callable[[str], int]


class Store(ABC):
    """Everything the API layer may ask of the state. Instance-scoped calls take the instance."""

    # accounts
    @abstractmethod
    def create_admin(self, email: str, password: str | None, key: str | None = None) -> Admin:
        """A new admin; ``key`` defaults to a fresh account key."""

    @abstractmethod
    def admin_by_key(self, key: str) -> Admin | None:
        """The admin owning an account key."""

    @abstractmethod
    def admin(self, admin_id: int) -> Admin | None:
        """An admin by id."""

    # instances
    @abstractmethod
    def create_instance(
        self, owner_id: int, name: str, description: str, metadata: dict[str, Any]
    ) -> Instance:
        """A new instance with its built-in channels; Conflict if the name is taken."""

    @abstractmethod
    def instance(self, name: str) -> Instance | None:
        """An instance by name, matched case-insensitively (ERR-009)."""

    @abstractmethod
    def instances_of(self, owner_id: int) -> list[Instance]:
        """The instances an admin owns, oldest first."""

    @abstractmethod
    def delete_instance(self, name: str) -> bool:
        """Remove an instance and everything in it."""

    # API keys
    @abstractmethod
    def create_api_key(self, inst: Instance, **fields: Any) -> ApiKey:
        """A new API key with the given description and flags."""

    @abstractmethod
    def api_key(self, inst: Instance, key_id: int) -> ApiKey | None:
        """An API key by id."""

    @abstractmethod
    def api_key_by_key(self, inst: Instance, key: str) -> ApiKey | None:
        """An API key of this instance by its key string (case-insensitive)."""

    @abstractmethod
    def api_keys(self, inst: Instance) -> list[ApiKey]:
        """All API keys, oldest first."""

    @abstractmethod
    def delete_api_key(self, inst: Instance, key_id: int) -> bool:
        """Revoke an API key."""

    @abstractmethod
    def reset_api_key(self, inst: Instance, key_id: int) -> ApiKey | None:
        """Give an API key a fresh key string."""

    # users, groups, memberships
    @abstractmethod
    def create_user(self, inst: Instance, username: str, password: str) -> User:
        """A new user with its profile object; Conflict if the username is taken."""

    @abstractmethod
    def user(self, inst: Instance, user_id: int) -> User | None:
        """A user by id."""

    @abstractmethod
    def user_by_key(self, inst: Instance, key: str) -> User | None:
        """A user by user key."""

    @abstractmethod
    def user_by_username(self, inst: Instance, username: str) -> User | None:
        """A user by username."""

    @abstractmethod
    def users(self, inst: Instance) -> list[User]:
        """All users, oldest first."""

    @abstractmethod
    def delete_user(self, inst: Instance, user_id: int) -> bool:
        """Remove a user and its memberships."""

    @abstractmethod
    def reset_user_key(self, inst: Instance, user_id: int) -> User | None:
        """Give a user a fresh user key."""

    @abstractmethod
    def create_group(self, inst: Instance, name: str | None, label: str, description: str) -> Group:
        """A new group; Conflict if its name is taken."""

    @abstractmethod
    def group(self, inst: Instance, group_id: int) -> Group | None:
        """A group by id."""

    @abstractmethod
    def groups(self, inst: Instance) -> list[Group]:
        """All groups, oldest first."""

    @abstractmethod
    def delete_group(self, inst: Instance, group_id: int) -> bool:
        """Remove a group and its memberships."""

    @abstractmethod
    def add_member(self, inst: Instance, group_id: int, user_id: int) -> None:
        """Put a user in a group; Conflict if it already is."""

    @abstractmethod
    def remove_member(self, inst: Instance, group_id: int, user_id: int) -> bool:
        """Take a user out of a group."""

    @abstractmethod
    def is_member(self, inst: Instance, group_id: int, user_id: int) -> bool:
        """Whether a user belongs to a group right now."""

    @abstractmethod
    def groups_of(self, inst: Instance, user_id: int) -> list[Group]:
        """The groups of a user."""

    @abstractmethod
    def members_of(self, inst: Instance, group_id: int) -> list[User]:
        """The users of a group."""

    # channels
    @abstractmethod
    def create_channel(self, inst: Instance, name: str, **fields: Any) -> Channel:
        """A new channel; Conflict if a live channel has that name."""

    @abstractmethod
    def channel(self, inst: Instance, name: str) -> Channel | None:
        """A live channel by (lowercase) name."""

    @abstractmethod
    def channels(self, inst: Instance, name_prefix: str | None = None) -> list[Channel]:
        """The live channels in creation order, only those whose name starts with
        ``name_prefix`` when one is given (CHAN-035)."""

    @abstractmethod
    def update_channel(self, inst: Instance, name: str, changes: dict[str, Any]) -> Channel:
        """Apply field changes and refresh ``updated_at``."""

    @abstractmethod
    def delete_channel(self, inst: Instance, name: str) -> bool:
        """Delete a channel; its history goes with it."""

    # messages
    @abstractmethod
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
        """Store a message under the next instance id and wake the subscribers of
        (channel, ``notify_room``)."""

    @abstractmethod
    def next_message(
        self, inst: Instance, channel: Channel, room: str | None, last_id: int
    ) -> Message | None:
        """The oldest retained message of (channel, room) with an id above ``last_id``."""

    @abstractmethod
    def messages(
        self,
        inst: Instance,
        channel: Channel,
        room: str | None,
        *,
        min_id: int | None,
        max_id: int | None,
        ascending: bool,
        limit: int,
    ) -> list[Message]:
        """Retained messages of (channel, room) with ids in [min_id, max_id]."""

    @abstractmethod
    def message(self, inst: Instance, message_id: int) -> Message | None:
        """A retained message of the instance by id."""

    @abstractmethod
    def subscribe(
        self, inst: Instance, channel: Channel, room: str | None, last_id: int | None, capacity: int
    ) -> Subscription:
        """Register a subscriber; when ``last_id`` is given, retained messages above it are
        queued first, atomically with the registration, so none is missed."""

    @abstractmethod
    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop delivering to a subscriber."""

    @abstractmethod
    def subscription_count(self) -> int:
        """How many subscribers are parked right now (for tests and benchmarks)."""

    # data classes and objects
    @abstractmethod
    def create_class(
        self, inst: Instance, name: str, schema: list[dict[str, Any]], **fields: Any
    ) -> DataClass:
        """A new data class; Conflict if the name is taken."""

    @abstractmethod
    def data_class(self, inst: Instance, name: str) -> DataClass | None:
        """A data class by name."""

    @abstractmethod
    def data_classes(self, inst: Instance) -> list[DataClass]:
        """All data classes."""

    @abstractmethod
    def create_object(
        self, inst: Instance, class_name: str, values: dict[str, Any], **fields: Any
    ) -> DataObject:
        """A new data object under the next object id of the instance."""

    @abstractmethod
    def data_object(self, inst: Instance, class_name: str, object_id: int) -> DataObject | None:
        """A data object of a class by id."""

    @abstractmethod
    def data_objects(self, inst: Instance, class_name: str) -> list[DataObject]:
        """The objects of a class, oldest first."""

    @abstractmethod
    def update_object(self, inst: Instance, obj: DataObject, values: dict[str, Any]) -> list[str]:
        """Apply new field values; returns the names of the fields that changed (a change
        bumps ``revision`` and ``updated_at``)."""

    @abstractmethod
    def delete_object(self, inst: Instance, obj: DataObject) -> None:
        """Remove a data object."""

    @abstractmethod
    def reset(self) -> None:
        """Forget everything."""

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release in memory
        """Release connections and background threads (a shared store has some)."""


@dataclass
class InstanceState:
    """Everything that lives inside one instance."""

    record: Instance
    last_message_id: int = 0
    channel_pks: itertools.count = field(default_factory=lambda: itertools.count(1))
    api_key_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    user_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    group_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    object_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    channels: dict[str, Channel] = field(default_factory=dict)
    api_keys: dict[int, ApiKey] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    groups: dict[int, Group] = field(default_factory=dict)
    memberships: set[tuple[int, int]] = field(default_factory=set)
    messages: dict[int, Message] = field(default_factory=dict)
    indexes: dict[tuple[int, str | None], list[int]] = field(default_factory=dict)
    classes: dict[str, DataClass] = field(default_factory=dict)
    objects: dict[int, DataObject] = field(default_factory=dict)


class MemoryStore(Store):
    """The in-process store. One lock guards all state; no call blocks while holding it."""

    def __init__(self, retention: Retention) -> None:
        self._retention = retention
        self._lock = threading.RLock()
        self._clear()

    def _clear(self) -> None:
        self._admins: dict[int, Admin] = {}
        self._admin_ids = itertools.count(1)
        self._instance_uids = itertools.count(1)
        self._instances: dict[str, InstanceState] = {}
        self._waiters: dict[tuple[int, int, str | None], set[Subscription]] = {}

    def _state(self, inst: Instance) -> InstanceState:
        state = self._instances.get(inst.name)
        if state is None or state.record.uid != inst.uid:
            raise LookupError(f"instance {inst.name!r} is gone")
        return state

    # accounts
    def create_admin(self, email: str, password: str | None, key: str | None = None) -> Admin:
        with self._lock:
            admin = Admin(next(self._admin_ids), key or keys.new_account_key(), email, password)
            self._admins[admin.id] = admin
            return admin

    def admin_by_key(self, key: str) -> Admin | None:
        key = key.lower()
        with self._lock:
            return next((a for a in self._admins.values() if a.key.lower() == key), None)

    def admin(self, admin_id: int) -> Admin | None:
        with self._lock:
            return self._admins.get(admin_id)

    # instances
    def create_instance(
        self, owner_id: int, name: str, description: str, metadata: dict[str, Any]
    ) -> Instance:
        with self._lock:
            if name in self._instances:
                raise Conflict(name)
            record = Instance(next(self._instance_uids), name, owner_id, description, metadata)
            state = InstanceState(record)
            self._instances[name] = state
            for builtin in BUILTIN_CHANNELS:  # BUILTIN-002, BUILTIN-003
                self.create_channel(
                    record, builtin, type="separate_rooms", custom_publish=builtin == "default"
                )
            state.classes[USER_PROFILE_CLASS] = DataClass(
                USER_PROFILE_CLASS, [], group_permissions="none", other_permissions="none"
            )
            return record

    def instance(self, name: str) -> Instance | None:
        with self._lock:
            state = self._instances.get(name.lower())
            return state.record if state else None

    def instances_of(self, owner_id: int) -> list[Instance]:
        with self._lock:
            return [s.record for s in self._instances.values() if s.record.owner_id == owner_id]

    def delete_instance(self, name: str) -> bool:
        with self._lock:
            state = self._instances.pop(name, None)
            if state is None:
                return False
            for key in [k for k in self._waiters if k[0] == state.record.uid]:
                del self._waiters[key]
            return True

    # API keys
    def create_api_key(self, inst: Instance, **fields: Any) -> ApiKey:
        with self._lock:
            state = self._state(inst)
            api_key = ApiKey(next(state.api_key_ids), keys.new_api_key(), **fields)
            state.api_keys[api_key.id] = api_key
            return api_key

    def api_key(self, inst: Instance, key_id: int) -> ApiKey | None:
        with self._lock:
            return self._state(inst).api_keys.get(key_id)

    def api_key_by_key(self, inst: Instance, key: str) -> ApiKey | None:
        key = key.lower()
        with self._lock:
            found = self._state(inst).api_keys.values()
            return next((k for k in found if k.key == key), None)

    def api_keys(self, inst: Instance) -> list[ApiKey]:
        with self._lock:
            return list(self._state(inst).api_keys.values())

    def delete_api_key(self, inst: Instance, key_id: int) -> bool:
        with self._lock:
            return self._state(inst).api_keys.pop(key_id, None) is not None

    def reset_api_key(self, inst: Instance, key_id: int) -> ApiKey | None:
        with self._lock:
            api_key = self._state(inst).api_keys.get(key_id)
            if api_key is not None:
                api_key.key = keys.new_api_key()
            return api_key

    # users, groups, memberships
    def create_user(self, inst: Instance, username: str, password: str) -> User:
        with self._lock:
            state = self._state(inst)
            if any(u.username == username for u in state.users.values()):
                raise Conflict(username)
            user_id = next(state.user_ids)
            profile = self.create_object(inst, USER_PROFILE_CLASS, {}, owner=user_id)
            user = User(user_id, username, password, keys.new_user_key(), profile.id)
            state.users[user.id] = user
            return user

    def user(self, inst: Instance, user_id: int) -> User | None:
        with self._lock:
            return self._state(inst).users.get(user_id)

    def user_by_key(self, inst: Instance, key: str) -> User | None:
        with self._lock:
            found = self._state(inst).users.values()
            return next((u for u in found if u.key == key), None)

    def user_by_username(self, inst: Instance, username: str) -> User | None:
        with self._lock:
            found = self._state(inst).users.values()
            return next((u for u in found if u.username == username), None)

    def users(self, inst: Instance) -> list[User]:
        with self._lock:
            return list(self._state(inst).users.values())

    def delete_user(self, inst: Instance, user_id: int) -> bool:
        with self._lock:
            state = self._state(inst)
            user = state.users.pop(user_id, None)
            if user is None:
                return False
            state.memberships = {m for m in state.memberships if m[1] != user_id}
            state.objects.pop(user.profile_id, None)
            return True

    def reset_user_key(self, inst: Instance, user_id: int) -> User | None:
        with self._lock:
            user = self._state(inst).users.get(user_id)
            if user is not None:
                user.key = keys.new_user_key()
            return user

    def create_group(self, inst: Instance, name: str | None, label: str, description: str) -> Group:
        with self._lock:
            state = self._state(inst)
            if name is not None and any(g.name == name for g in state.groups.values()):
                raise Conflict(name)
            group = Group(next(state.group_ids), name, label, description)
            state.groups[group.id] = group
            return group

    def group(self, inst: Instance, group_id: int) -> Group | None:
        with self._lock:
            return self._state(inst).groups.get(group_id)

    def groups(self, inst: Instance) -> list[Group]:
        with self._lock:
            return list(self._state(inst).groups.values())

    def delete_group(self, inst: Instance, group_id: int) -> bool:
        with self._lock:
            state = self._state(inst)
            if state.groups.pop(group_id, None) is None:
                return False
            state.memberships = {m for m in state.memberships if m[0] != group_id}
            for channel in state.channels.values():
                if channel.group == group_id:
                    channel.group = None
            return True

    def add_member(self, inst: Instance, group_id: int, user_id: int) -> None:
        with self._lock:
            state = self._state(inst)
            if (group_id, user_id) in state.memberships:
                raise Conflict(f"{user_id} in {group_id}")
            state.memberships.add((group_id, user_id))

    def remove_member(self, inst: Instance, group_id: int, user_id: int) -> bool:
        with self._lock:
            state = self._state(inst)
            if (group_id, user_id) not in state.memberships:
                return False
            state.memberships.discard((group_id, user_id))
            return True

    def is_member(self, inst: Instance, group_id: int, user_id: int) -> bool:
        with self._lock:
            return (group_id, user_id) in self._state(inst).memberships

    def groups_of(self, inst: Instance, user_id: int) -> list[Group]:
        with self._lock:
            state = self._state(inst)
            return [g for g in state.groups.values() if (g.id, user_id) in state.memberships]

    def members_of(self, inst: Instance, group_id: int) -> list[User]:
        with self._lock:
            state = self._state(inst)
            return [u for u in state.users.values() if (group_id, u.id) in state.memberships]

    # channels
    def create_channel(self, inst: Instance, name: str, **fields: Any) -> Channel:
        with self._lock:
            state = self._state(inst)
            if name in state.channels:
                raise Conflict(name)
            channel = Channel(next(state.channel_pks), name, **fields)
            state.channels[name] = channel
            return channel

    def channel(self, inst: Instance, name: str) -> Channel | None:
        with self._lock:
            return self._state(inst).channels.get(name)

    def channels(self, inst: Instance, name_prefix: str | None = None) -> list[Channel]:
        with self._lock:
            found = self._state(inst).channels.values()
            return [c for c in found if name_prefix is None or c.name.startswith(name_prefix)]

    def update_channel(self, inst: Instance, name: str, changes: dict[str, Any]) -> Channel:
        with self._lock:
            channel = self._state(inst).channels[name]
            for attribute, value in changes.items():
                setattr(channel, attribute, value)
            channel.updated_at = utcnow()
            return channel

    def delete_channel(self, inst: Instance, name: str) -> bool:
        with self._lock:
            state = self._state(inst)
            channel = state.channels.pop(name, None)
            if channel is None:
                return False
            for index_key in [k for k in state.indexes if k[0] == channel.pk]:
                del state.indexes[index_key]
            return True

    # messages
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
        with self._lock:
            state = self._state(inst)
            self._expire(state)
            message = Message(
                self._next_message_id(state, channel),
                utcnow(),
                action,
                author,
                metadata,
                payload,
                channel.pk,
                room,
                time.time() + self._retention.ttl,
            )
            state.messages[message.id] = message
            index = state.indexes.setdefault((channel.pk, room), [])
            index.append(message.id)
            excess = len(index) - self._retention.limit_for(channel.name)
            if excess > 0:
                for trimmed in index[:excess]:
                    state.messages.pop(trimmed, None)
                del index[:excess]
            for subscription in self._subscribers(inst, channel, notify_room):
                subscription.offer(message)
            return message

    def _next_message_id(self, state: InstanceState, channel: Channel) -> int:
        """The next id of the instance's one message sequence (ID-002..004); called under the
        lock."""
        state.last_message_id += 1
        return state.last_message_id

    def _subscribers(
        self, inst: Instance, channel: Channel, room: str | None
    ) -> Iterable[Subscription]:
        """The subscriptions a message of (channel, room) wakes: all of them and no other
        (POLL-013, POLL-017, ROOM-002); called under the lock."""
        return self._waiters.get((inst.uid, channel.pk, room), ())

    def _expire(self, state: InstanceState) -> None:
        """Drop expired records; ids grow with time, so the oldest come first."""
        now = time.time()
        while state.messages:
            oldest = next(iter(state.messages.values()))
            if oldest.expires_at > now:
                return
            del state.messages[oldest.id]

    def _live(self, state: InstanceState, ids: list[int]) -> list[Message]:
        now = time.time()
        found = (state.messages.get(message_id) for message_id in ids)
        return [m for m in found if m is not None and m.expires_at > now]

    def next_message(
        self, inst: Instance, channel: Channel, room: str | None, last_id: int
    ) -> Message | None:
        with self._lock:
            state = self._state(inst)
            index = state.indexes.get((channel.pk, room), [])
            start = bisect.bisect_right(index, last_id)
            for message_id in index[start:]:
                found = self._live(state, [message_id])
                if found:
                    return found[0]
            return None

    def messages(
        self,
        inst: Instance,
        channel: Channel,
        room: str | None,
        *,
        min_id: int | None,
        max_id: int | None,
        ascending: bool,
        limit: int,
    ) -> list[Message]:
        with self._lock:
            state = self._state(inst)
            index = state.indexes.get((channel.pk, room), [])
            low = 0 if min_id is None else bisect.bisect_left(index, min_id)
            high = len(index) if max_id is None else bisect.bisect_right(index, max_id)
            selected = index[low:high] if ascending else index[low:high][::-1]
            return self._live(state, selected)[:limit]

    def message(self, inst: Instance, message_id: int) -> Message | None:
        with self._lock:
            state = self._state(inst)
            found = self._live(state, [message_id])
            return found[0] if found else None

    def subscribe(
        self, inst: Instance, channel: Channel, room: str | None, last_id: int | None, capacity: int
    ) -> Subscription:
        with self._lock:
            subscription = Subscription((inst.uid, channel.pk, room), last_id, capacity)
            if last_id is not None and last_id >= 0:
                stored = self.messages(
                    inst,
                    channel,
                    room,
                    min_id=last_id + 1,
                    max_id=None,
                    ascending=True,
                    limit=capacity,
                )
                for message in stored:
                    subscription.offer(message)
            self._waiters.setdefault(subscription.key, set()).add(subscription)
            return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            waiting = self._waiters.get(subscription.key)
            if waiting is not None:
                waiting.discard(subscription)
                if not waiting:
                    del self._waiters[subscription.key]

    def subscription_count(self) -> int:
        with self._lock:
            return sum(len(waiting) for waiting in self._waiters.values())

    # data classes and objects
    def create_class(
        self, inst: Instance, name: str, schema: list[dict[str, Any]], **fields: Any
    ) -> DataClass:
        with self._lock:
            state = self._state(inst)
            if name in state.classes:
                raise Conflict(name)
            data_class = DataClass(name, schema, **fields)
            state.classes[name] = data_class
            return data_class

    def data_class(self, inst: Instance, name: str) -> DataClass | None:
        with self._lock:
            return self._state(inst).classes.get(name)

    def data_classes(self, inst: Instance) -> list[DataClass]:
        with self._lock:
            return list(self._state(inst).classes.values())

    def create_object(
        self, inst: Instance, class_name: str, values: dict[str, Any], **fields: Any
    ) -> DataObject:
        with self._lock:
            state = self._state(inst)
            obj = DataObject(next(state.object_ids), class_name, dict(values), **fields)
            state.objects[obj.id] = obj
            return obj

    def data_object(self, inst: Instance, class_name: str, object_id: int) -> DataObject | None:
        with self._lock:
            obj = self._state(inst).objects.get(object_id)
            return obj if obj is not None and obj.class_name == class_name else None

    def data_objects(self, inst: Instance, class_name: str) -> list[DataObject]:
        with self._lock:
            objects = self._state(inst).objects.values()
            return [o for o in objects if o.class_name == class_name]

    def update_object(self, inst: Instance, obj: DataObject, values: dict[str, Any]) -> list[str]:
        with self._lock:
            changed = [name for name, value in values.items() if obj.values.get(name) != value]
            if changed:
                obj.values.update(values)
                obj.revision += 1
                obj.updated_at = utcnow()
            return changed

    def delete_object(self, inst: Instance, obj: DataObject) -> None:
        with self._lock:
            self._state(inst).objects.pop(obj.id, None)

    def reset(self) -> None:
        with self._lock:
            self._clear()
