"""``RedisStore``: the state in Redis, so several mock processes (``--workers``, or mocks on
several machines) serve one API, as the platform's workers share its Redis (apps/channels,
apps/redis_storage).

Layout, every key under the namespace prefix ``P`` (``--redis-prefix``):

- ``P admins``, ``P admin-keys``, ``P instances`` (JSON) and their counters ``P ids:KIND``;
- ``P i:UID:ids``: the instance's id counters (HINCRBY), one field per kind, ``message`` among
  them (ID-003, ID-004); ``UID`` is never reused, so a deleted instance's keys cannot leak into
  a new one of the same name;
- ``P i:UID:<records>``: hashes of channels, API keys, users, groups, classes and objects
  (JSON), with index hashes for the lookups by key and by name, and a set of memberships;
- ``P i:UID:m:ID``: one message, expiring after the message TTL; ``P i:UID:x:PK:ROOM``: the
  ids of one (channel, room), a list capped at the history limit (HIST-021) that expires with
  its newest message; ``P i:UID:rooms:PK``: the lists of a channel, for its deletion;
- ``P wake``: the pub/sub channel that carries every published message to every process.

A publish is one Lua script: it allocates the id, stores and indexes the message, trims the
list and publishes the wake-up, so ids become visible in increasing order across processes
(ID-002, POLL-003). Each process listens on ``P wake`` in one thread and offers the messages to
its own parked subscriptions; a subscription reads storage after registering and holds back
the live messages that arrive meanwhile, so none is missed or repeated.

A Redis that cannot be reached raises ``StoreUnavailable`` (the app answers 503); the
listener reconnects on its own and then re-reads storage for the subscriptions parked
meanwhile.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import os
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

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
from mock_server.store import (
    USER_PROFILE_CLASS,
    Conflict,
    Retention,
    Store,
    StoreUnavailable,
    Subscription,
)

logger = logging.getLogger("channels_mock")
Record = TypeVar("Record")
Key = tuple[int, int, str | None]

SOCKET_TIMEOUT = 3.0
CONNECT_TIMEOUT = 2.0
POOL_SIZE = 128
POOL_WAIT = 30.0
LISTEN_TICK = 0.5
RECONNECT_DELAY = 0.2
PARKED_REPORT_SECONDS = 1.0
PARKED_STALE_SECONDS = 5.0
SCAN_BATCH = 500
UNREACHABLE = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError)

# Claims a unique name (HSETNX on KEYS[1]) and, only if it was free, writes the other hash
# fields: KEYS[2..n] each take one (field, value) pair of ARGV after the first two.
CLAIM = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
for i = 2, #KEYS do redis.call('HSET', KEYS[i], ARGV[2 * i - 1], ARGV[2 * i]) end
return 1
"""

# KEYS: counters, index list, rooms set, wake channel. ARGV: the record's JSON without id and
# time, the history limit, the TTL in ms, the message key prefix, the wake-up's routing line.
PUBLISH = """
local id = redis.call('HINCRBY', KEYS[1], 'message', 1)
local now = redis.call('TIME')
local micros = now[1] .. string.rep('0', 6 - #now[2]) .. now[2]
local record = '{"id":' .. id .. ',"t":' .. micros .. ',' .. string.sub(ARGV[1], 2)
local ttl = tonumber(ARGV[3])
redis.call('SET', ARGV[4] .. id, record, 'PX', ttl)
local excess = redis.call('RPUSH', KEYS[2], id) - tonumber(ARGV[2])
if excess > 0 then
  for _, old in ipairs(redis.call('LRANGE', KEYS[2], 0, excess - 1)) do
    redis.call('DEL', ARGV[4] .. old)
  end
  redis.call('LTRIM', KEYS[2], excess, -1)
end
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('SADD', KEYS[3], KEYS[2])
redis.call('PEXPIRE', KEYS[3], ttl)
redis.call('PUBLISH', KEYS[4], ARGV[5] .. record)
return record
"""
# KEYS: index list. ARGV: min id, max id (-1: none), ascending (1/0), limit, message key
# prefix. The list is sorted (ids are appended in order), so its bounds are binary searches;
# expired records are skipped.
RANGE = """
local ids = redis.call('LRANGE', KEYS[1], 0, -1)
local function first_above(bound)
  local low, high = 1, #ids + 1
  while low < high do
    local middle = math.floor((low + high) / 2)
    if tonumber(ids[middle]) <= bound then low = middle + 1 else high = middle end
  end
  return low
end
local min_id, max_id = tonumber(ARGV[1]), tonumber(ARGV[2])
local low = min_id < 0 and 1 or first_above(min_id - 1)
local high = max_id < 0 and #ids or first_above(max_id) - 1
local from, to, step = low, high, 1
if ARGV[3] == '0' then from, to, step = high, low, -1 end
local found, limit = {}, tonumber(ARGV[4])
for i = from, to, step do
  if #found >= limit then break end
  local record = redis.call('GET', ARGV[5] .. ids[i])
  if record then found[#found + 1] = record end
end
return found
"""
WAKE, RESET = "w", "r"


def encode(record: Any) -> str:
    """A model record as JSON; datetimes as ISO strings."""
    return json.dumps(dataclasses.asdict(record), default=datetime.isoformat)


@functools.cache
def _datetime_fields(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls) if f.type == "datetime")


def decode(cls: type[Record], text: str | None) -> Record | None:
    """The record ``encode`` wrote, or None for a missing one."""
    if text is None:
        return None
    data = json.loads(text)
    for name in _datetime_fields(cls):
        data[name] = datetime.fromisoformat(data[name])
    return cls(**data)


def glob_escape(text: str) -> str:
    """``text`` matched literally in a SCAN pattern."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def unreachable_as_unavailable(cls: type[Store]) -> type[Store]:
    """Make every store method raise ``StoreUnavailable`` when Redis cannot be reached, so a
    request gets a 503 rather than a traceback."""

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except UNREACHABLE as exc:
                raise StoreUnavailable(f"Redis cannot be reached: {exc}") from exc

        return guarded

    for name in Store.__abstractmethods__:
        setattr(cls, name, wrap(getattr(cls, name)))
    return cls


def connect(url: str) -> redis.Redis:
    """A client of ``url`` whose commands fail within seconds when Redis is down or hangs,
    sharing a bounded pool: thousands of polls subscribing at once queue for its connections
    instead of opening thousands, first come first served (redis-py's default LIFO queue
    would starve the oldest requests of a burst)."""
    pool = redis.BlockingConnectionPool.from_url(
        url,
        max_connections=POOL_SIZE,
        timeout=POOL_WAIT,
        queue_class=queue.Queue,
        socket_timeout=SOCKET_TIMEOUT,
        socket_connect_timeout=CONNECT_TIMEOUT,
        decode_responses=True,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
    )
    return redis.Redis(connection_pool=pool)


def check_reachable(url: str) -> str | None:
    """Why Redis at ``url`` cannot serve the mock, or None when it answers."""
    client = None
    try:
        client = connect(url)
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        return f"cannot reach Redis at {url}: {exc}"
    finally:
        if client is not None:
            client.close()
    return None


@dataclass
class Parked:
    """What the store knows of one parked subscription: the highest id offered to it (None
    before the first, without ``last_id``), and the live messages held back while storage is
    being read (None when not reading)."""

    seen: int | None
    held: list[Message] | None = None

    def offer(self, subscription: Subscription, message: Message) -> None:
        """Offer a message the subscription has not been offered yet."""
        if self.seen is None or message.id > self.seen:
            subscription.offer(message)
            self.seen = message.id

    def take_live(self, subscription: Subscription, message: Message) -> None:
        """A live message: held back while storage is read, offered otherwise."""
        if self.held is None:
            self.offer(subscription, message)
        else:
            self.held.append(message)

    def hold(self) -> bool:
        """Start holding live messages for a re-read of storage; False when there is no id to
        resume from or a read is already under way."""
        if self.seen is None or self.held is not None:
            return False
        self.held = []
        return True


class WakeListener(redis.client.PubSub):
    """The pub/sub connection of the wake-ups. redis-py reconnects it on its own (and
    re-subscribes); each reconnection is counted on the store, which then re-reads storage."""

    def __init__(self, store: RedisStore) -> None:
        super().__init__(store._redis.connection_pool, ignore_subscribe_messages=True)
        self.store = store

    def on_connect(self, connection: Any) -> None:
        super().on_connect(connection)
        self.store._connections += 1


@unreachable_as_unavailable
class RedisStore(Store):
    """The store in Redis; only parked subscriptions live in the process."""

    def __init__(self, url: str, prefix: str, retention: Retention) -> None:
        self._retention = retention
        self._prefix = prefix
        self._redis = connect(url)
        self._claim = self._redis.register_script(CLAIM)
        self._publish = self._redis.register_script(PUBLISH)
        self._range_script = self._redis.register_script(RANGE)
        self._wake_channel = prefix + "wake"
        self._token = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._lock = threading.Lock()
        self._waiters: dict[Key, set[Subscription]] = {}
        self._parked: dict[Subscription, Parked] = {}
        self._connections = 0
        self._synced = 0
        self._closed = threading.Event()
        self._listening = threading.Event()
        self._listener = threading.Thread(target=self._listen, name="redis-wake", daemon=True)
        self._listener.start()
        self._listening.wait(CONNECT_TIMEOUT + SOCKET_TIMEOUT)

    # keys
    def _key(self, *parts: object) -> str:
        return self._prefix + ":".join(str(p) for p in parts)

    def _in(self, uid: int, *parts: object) -> str:
        return self._key("i", uid, *parts)

    def _index(self, uid: int, pk: int, room: str | None) -> str:
        return self._in(uid, "x", pk, "-" if room is None else "r" + room)

    def _sorted(self, cls: type[Record], hash_key: str, order: str) -> list[Record]:
        found = [decode(cls, text) for text in self._redis.hvals(hash_key)]
        return sorted(found, key=lambda r: getattr(r, order))  # type: ignore[return-value]

    def _new_id(self, uid: int, kind: str) -> int:
        return int(self._redis.hincrby(self._in(uid, "ids"), kind, 1))

    def _claimed(self, unique: tuple[str, str, str], *writes: tuple[str, str, str]) -> bool:
        """Take a unique name (``hash, field, value``) and write the other fields, atomically;
        False when the name was taken. Ids allocated for a refused record stay unused, as a
        database sequence's do."""
        hashes = [unique[0], *(w[0] for w in writes)]
        values = [unique[1], unique[2], *(v for w in writes for v in w[1:])]
        return bool(self._claim(keys=hashes, args=values))

    # accounts
    def create_admin(self, email: str, password: str | None, key: str | None = None) -> Admin:
        """An account key names one admin per namespace: every process seeds the CLI's admin,
        and all but the first find it there."""
        key = key or keys.new_account_key()
        known = self.admin_by_key(key)
        if known is not None:
            return known
        admin = Admin(int(self._redis.incr(self._key("ids", "admin"))), key, email, password)
        written = (self._key("admins"), str(admin.id), encode(admin))
        if not self._claimed((self._key("admin-keys"), key.lower(), str(admin.id)), written):
            found = self.admin_by_key(key)
            assert found is not None
            return found
        return admin

    def admin_by_key(self, key: str) -> Admin | None:
        admin_id = self._redis.hget(self._key("admin-keys"), key.lower())
        return None if admin_id is None else self.admin(int(admin_id))

    def admin(self, admin_id: int) -> Admin | None:
        return decode(Admin, self._redis.hget(self._key("admins"), str(admin_id)))

    # instances
    def create_instance(
        self, owner_id: int, name: str, description: str, metadata: dict[str, Any]
    ) -> Instance:
        record = Instance(
            int(self._redis.incr(self._key("ids", "instance"))),
            name,
            owner_id,
            description,
            metadata,
        )
        uid = record.uid
        builtins = [  # BUILTIN-002, BUILTIN-003
            Channel(pk, name, type="separate_rooms", custom_publish=name == "default")
            for pk, name in enumerate(BUILTIN_CHANNELS, 1)
        ]
        profile_class = DataClass(
            USER_PROFILE_CLASS, [], group_permissions="none", other_permissions="none"
        )
        writes = [(self._in(uid, "channels"), c.name, encode(c)) for c in builtins]
        writes.append((self._in(uid, "ids"), "channel", str(len(builtins))))
        writes.append((self._in(uid, "classes"), USER_PROFILE_CLASS, encode(profile_class)))
        if not self._claimed((self._key("instances"), name, encode(record)), *writes):
            raise Conflict(name)
        return record

    def instance(self, name: str) -> Instance | None:
        return decode(Instance, self._redis.hget(self._key("instances"), name.lower()))

    def instances_of(self, owner_id: int) -> list[Instance]:
        every = self._sorted(Instance, self._key("instances"), "uid")
        return [i for i in every if i.owner_id == owner_id]

    def delete_instance(self, name: str) -> bool:
        record = self.instance(name)
        if record is None or not self._redis.hdel(self._key("instances"), record.name):
            return False
        self._unlink_matching(glob_escape(self._in(record.uid, "")) + "*")
        return True

    def _unlink_matching(self, pattern: str) -> None:
        batch: list[str] = []
        for key in self._redis.scan_iter(match=pattern, count=SCAN_BATCH):
            batch.append(key)
            if len(batch) >= SCAN_BATCH:
                self._redis.unlink(*batch)
                batch.clear()
        if batch:
            self._redis.unlink(*batch)

    # API keys
    def create_api_key(self, inst: Instance, **fields: Any) -> ApiKey:
        api_key = ApiKey(self._new_id(inst.uid, "api_key"), keys.new_api_key(), **fields)
        self._write_api_key(inst, api_key, None)
        return api_key

    def _write_api_key(self, inst: Instance, api_key: ApiKey, old_key: str | None) -> None:
        with self._redis.pipeline() as pipe:
            if old_key is not None:
                pipe.hdel(self._in(inst.uid, "api-key-index"), old_key)
            pipe.hset(self._in(inst.uid, "api-key-index"), api_key.key, api_key.id)
            pipe.hset(self._in(inst.uid, "api-keys"), str(api_key.id), encode(api_key))
            pipe.execute()

    def api_key(self, inst: Instance, key_id: int) -> ApiKey | None:
        return decode(ApiKey, self._redis.hget(self._in(inst.uid, "api-keys"), str(key_id)))

    def api_key_by_key(self, inst: Instance, key: str) -> ApiKey | None:
        key_id = self._redis.hget(self._in(inst.uid, "api-key-index"), key.lower())
        return None if key_id is None else self.api_key(inst, int(key_id))

    def api_keys(self, inst: Instance) -> list[ApiKey]:
        return self._sorted(ApiKey, self._in(inst.uid, "api-keys"), "id")

    def delete_api_key(self, inst: Instance, key_id: int) -> bool:
        api_key = self.api_key(inst, key_id)
        if api_key is None:
            return False
        with self._redis.pipeline() as pipe:
            pipe.hdel(self._in(inst.uid, "api-key-index"), api_key.key)
            pipe.hdel(self._in(inst.uid, "api-keys"), str(key_id))
            return bool(pipe.execute()[1])

    def reset_api_key(self, inst: Instance, key_id: int) -> ApiKey | None:
        api_key = self.api_key(inst, key_id)
        if api_key is not None:
            old_key, api_key.key = api_key.key, keys.new_api_key()
            self._write_api_key(inst, api_key, old_key)
        return api_key

    # users, groups, memberships
    def create_user(self, inst: Instance, username: str, password: str) -> User:
        uid = inst.uid
        profile = DataObject(self._new_id(uid, "object"), USER_PROFILE_CLASS, {})
        user = User(self._new_id(uid, "user"), username, password, keys.new_user_key(), profile.id)
        profile.owner = user.id
        if not self._claimed(
            (self._in(uid, "usernames"), username, str(user.id)),
            (self._in(uid, "users"), str(user.id), encode(user)),
            (self._in(uid, "user-keys"), user.key, str(user.id)),
            (self._in(uid, "objects"), str(profile.id), encode(profile)),
        ):
            raise Conflict(username)
        return user

    def user(self, inst: Instance, user_id: int) -> User | None:
        return decode(User, self._redis.hget(self._in(inst.uid, "users"), str(user_id)))

    def _user_by(self, inst: Instance, index: str, value: str) -> User | None:
        user_id = self._redis.hget(self._in(inst.uid, index), value)
        return None if user_id is None else self.user(inst, int(user_id))

    def user_by_key(self, inst: Instance, key: str) -> User | None:
        return self._user_by(inst, "user-keys", key)

    def user_by_username(self, inst: Instance, username: str) -> User | None:
        return self._user_by(inst, "usernames", username)

    def users(self, inst: Instance) -> list[User]:
        return self._sorted(User, self._in(inst.uid, "users"), "id")

    def delete_user(self, inst: Instance, user_id: int) -> bool:
        user = self.user(inst, user_id)
        if user is None:
            return False
        uid = inst.uid
        gone = [m for m in self._memberships(inst) if m[1] == user_id]
        with self._redis.pipeline() as pipe:
            pipe.hdel(self._in(uid, "users"), str(user_id))
            pipe.hdel(self._in(uid, "usernames"), user.username)
            pipe.hdel(self._in(uid, "user-keys"), user.key)
            pipe.hdel(self._in(uid, "objects"), str(user.profile_id))
            if gone:
                pipe.srem(self._in(uid, "members"), *(f"{g}:{u}" for g, u in gone))
            return bool(pipe.execute()[0])

    def reset_user_key(self, inst: Instance, user_id: int) -> User | None:
        user = self.user(inst, user_id)
        if user is None:
            return None
        old_key, user.key = user.key, keys.new_user_key()
        with self._redis.pipeline() as pipe:
            pipe.hdel(self._in(inst.uid, "user-keys"), old_key)
            pipe.hset(self._in(inst.uid, "user-keys"), user.key, user.id)
            pipe.hset(self._in(inst.uid, "users"), str(user.id), encode(user))
            pipe.execute()
        return user

    def create_group(self, inst: Instance, name: str | None, label: str, description: str) -> Group:
        group = Group(self._new_id(inst.uid, "group"), name, label, description)
        written = (self._in(inst.uid, "groups"), str(group.id), encode(group))
        if name is None:
            self._redis.hset(*written)
        elif not self._claimed((self._in(inst.uid, "group-names"), name, str(group.id)), written):
            raise Conflict(name)
        return group

    def group(self, inst: Instance, group_id: int) -> Group | None:
        return decode(Group, self._redis.hget(self._in(inst.uid, "groups"), str(group_id)))

    def groups(self, inst: Instance) -> list[Group]:
        return self._sorted(Group, self._in(inst.uid, "groups"), "id")

    def delete_group(self, inst: Instance, group_id: int) -> bool:
        group = self.group(inst, group_id)
        if group is None:
            return False
        uid = inst.uid
        gone = [m for m in self._memberships(inst) if m[0] == group_id]
        orphans = [c for c in self.channels(inst) if c.group == group_id]
        with self._redis.pipeline() as pipe:
            pipe.hdel(self._in(uid, "groups"), str(group_id))
            if group.name is not None:
                pipe.hdel(self._in(uid, "group-names"), group.name)
            if gone:
                pipe.srem(self._in(uid, "members"), *(f"{g}:{u}" for g, u in gone))
            for channel in orphans:
                channel.group = None
                pipe.hset(self._in(uid, "channels"), channel.name, encode(channel))
            return bool(pipe.execute()[0])

    def _memberships(self, inst: Instance) -> list[tuple[int, int]]:
        pairs = (m.split(":") for m in self._redis.smembers(self._in(inst.uid, "members")))
        return [(int(g), int(u)) for g, u in pairs]

    def add_member(self, inst: Instance, group_id: int, user_id: int) -> None:
        if not self._redis.sadd(self._in(inst.uid, "members"), f"{group_id}:{user_id}"):
            raise Conflict(f"{user_id} in {group_id}")

    def remove_member(self, inst: Instance, group_id: int, user_id: int) -> bool:
        return bool(self._redis.srem(self._in(inst.uid, "members"), f"{group_id}:{user_id}"))

    def is_member(self, inst: Instance, group_id: int, user_id: int) -> bool:
        return bool(self._redis.sismember(self._in(inst.uid, "members"), f"{group_id}:{user_id}"))

    def groups_of(self, inst: Instance, user_id: int) -> list[Group]:
        ids = {g for g, u in self._memberships(inst) if u == user_id}
        return [g for g in self.groups(inst) if g.id in ids]

    def members_of(self, inst: Instance, group_id: int) -> list[User]:
        ids = {u for g, u in self._memberships(inst) if g == group_id}
        return [u for u in self.users(inst) if u.id in ids]

    # channels
    def create_channel(self, inst: Instance, name: str, **fields: Any) -> Channel:
        channel = Channel(self._new_id(inst.uid, "channel"), name, **fields)
        if not self._redis.hsetnx(self._in(inst.uid, "channels"), name, encode(channel)):
            raise Conflict(name)
        return channel

    def channel(self, inst: Instance, name: str) -> Channel | None:
        return decode(Channel, self._redis.hget(self._in(inst.uid, "channels"), name))

    def channels(self, inst: Instance, name_prefix: str | None = None) -> list[Channel]:
        found = self._sorted(Channel, self._in(inst.uid, "channels"), "pk")
        return [c for c in found if name_prefix is None or c.name.startswith(name_prefix)]

    def update_channel(self, inst: Instance, name: str, changes: dict[str, Any]) -> Channel:
        channel = self.channel(inst, name)
        if channel is None:
            raise KeyError(name)
        for attribute, value in changes.items():
            setattr(channel, attribute, value)
        channel.updated_at = utcnow()
        self._redis.hset(self._in(inst.uid, "channels"), name, encode(channel))
        return channel

    def delete_channel(self, inst: Instance, name: str) -> bool:
        channel = self.channel(inst, name)
        if channel is None:
            return False
        rooms = self._in(inst.uid, "rooms", channel.pk)
        indexes = list(self._redis.smembers(rooms))
        with self._redis.pipeline() as pipe:
            pipe.hdel(self._in(inst.uid, "channels"), name)
            pipe.delete(rooms, *indexes)
            return bool(pipe.execute()[0])

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
        uid = inst.uid
        fields = {
            "action": action,
            "author": author,
            "metadata": metadata,
            "payload": payload,
            "channel_pk": channel.pk,
            "room": room,
        }
        routing = WAKE + json.dumps([uid, channel.pk, notify_room]) + "\n"
        record = self._publish(
            keys=[
                self._in(uid, "ids"),
                self._index(uid, channel.pk, room),
                self._in(uid, "rooms", channel.pk),
                self._wake_channel,
            ],
            args=[
                json.dumps(fields),
                self._retention.limit_for(channel.name),
                max(1, round(self._retention.ttl * 1000)),
                self._in(uid, "m", ""),
                routing,
            ],
        )
        return self._message(record)

    def _message(self, record: str) -> Message:
        data = json.loads(record)
        seconds = data.pop("t") / 1_000_000
        return Message(
            created_at=datetime.fromtimestamp(seconds, UTC),
            expires_at=seconds + self._retention.ttl,
            **data,
        )

    def _range(
        self, key: Key, min_id: int | None, max_id: int | None, ascending: bool, limit: int
    ) -> list[Message]:
        """Up to ``limit`` retained messages of one (channel, room) with ids in [min_id,
        max_id], found and read inside Redis in one round trip (``RANGE``)."""
        uid, pk, room = key
        records = self._range_script(
            keys=[self._index(uid, pk, room)],
            args=[
                -1 if min_id is None else min_id,
                -1 if max_id is None else max_id,
                1 if ascending else 0,
                limit,
                self._in(uid, "m", ""),
            ],
        )
        return [self._message(record) for record in records]

    def _after(self, key: Key, last_id: int, limit: int) -> list[Message]:
        return self._range(key, last_id + 1, None, True, limit)

    def next_message(
        self, inst: Instance, channel: Channel, room: str | None, last_id: int
    ) -> Message | None:
        found = self._after((inst.uid, channel.pk, room), last_id, 1)
        return found[0] if found else None

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
        return self._range((inst.uid, channel.pk, room), min_id, max_id, ascending, limit)

    def message(self, inst: Instance, message_id: int) -> Message | None:
        text = self._redis.get(self._in(inst.uid, "m", message_id))
        return None if text is None else self._message(text)

    def subscribe(
        self, inst: Instance, channel: Channel, room: str | None, last_id: int | None, capacity: int
    ) -> Subscription:
        """Register first, then read storage: live messages arriving meanwhile are held back
        and offered after the stored ones, without those storage already gave."""
        subscription = Subscription((inst.uid, channel.pk, room), last_id, capacity)
        reads_storage = last_id is not None and last_id >= 0
        with self._lock:
            self._waiters.setdefault(subscription.key, set()).add(subscription)
            self._parked[subscription] = Parked(last_id, []) if reads_storage else Parked(None)
        if reads_storage:
            try:
                self._catch_up(subscription)
            except BaseException:
                self.unsubscribe(subscription)
                raise
        return subscription

    def _catch_up(self, subscription: Subscription) -> None:
        """Offer the stored messages after the last one offered, then the live ones held
        back meanwhile."""
        with self._lock:
            state = self._parked.get(subscription)
            if state is None or state.seen is None:
                return
            after = state.seen
        stored = self._after(subscription.key, after, subscription.capacity)
        with self._lock:
            state = self._parked.get(subscription)
            if state is None:
                return
            held, state.held = state.held or [], None
            for message in stored + held:
                state.offer(subscription, message)

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._parked.pop(subscription, None)
            waiting = self._waiters.get(subscription.key)
            if waiting is not None:
                waiting.discard(subscription)
                if not waiting:
                    del self._waiters[subscription.key]

    def subscription_count(self) -> int:
        """Parked here, exactly, plus what the other processes reported within the last few
        seconds (each reports its own count about once a second)."""
        now = time.time()
        others = 0
        for token, report in self._redis.hgetall(self._key("parked")).items():
            count, _, when = report.partition(" ")
            if token != self._token and now - float(when) < PARKED_STALE_SECONDS:
                others += int(count)
        with self._lock:
            return len(self._parked) + others

    # the wake-up listener
    def _listen(self) -> None:
        """Deliver the wake-ups of every process to this one's subscriptions until closed,
        reconnecting when the connection is lost."""
        while not self._closed.is_set():
            pubsub = WakeListener(self)
            try:
                pubsub.subscribe(self._wake_channel)
                self._connections += 1
                self._listening.set()
                self._pump(pubsub)
            except (redis.RedisError, OSError) as exc:
                logger.warning("Redis wake-ups interrupted (%s); reconnecting", exc)
                self._closed.wait(RECONNECT_DELAY)
            finally:
                pubsub.close()

    def _pump(self, pubsub: redis.client.PubSub) -> None:
        reported_at = 0.0
        while not self._closed.is_set():
            item = pubsub.get_message(timeout=LISTEN_TICK)
            if item is not None and item["type"] == "message":
                self._dispatch(item["data"])
            if self._connections > self._synced:
                self._resync()
            if time.monotonic() - reported_at >= PARKED_REPORT_SECONDS:
                with self._lock:
                    report = f"{len(self._parked)} {time.time()}"
                self._redis.hset(self._key("parked"), self._token, report)
                reported_at = time.monotonic()

    def _dispatch(self, data: str) -> None:
        if data == RESET:
            with self._lock:
                self._waiters.clear()
                self._parked.clear()
            return
        routing, _, record = data[len(WAKE) :].partition("\n")
        uid, pk, room = json.loads(routing)
        with self._lock:
            waiting = self._waiters.get((uid, pk, room))
            if not waiting:
                return
            message = self._message(record)
            for subscription in waiting:
                self._parked[subscription].take_live(subscription, message)

    def _resync(self) -> None:
        """After a reconnection, catch the parked subscriptions up with storage: messages
        published while this process was not listening reached no one here. Subscriptions
        that have seen no id yet (no ``last_id``, nothing delivered) have no place to resume
        from and wait for the next live message."""
        connections = self._connections
        if self._synced:
            with self._lock:
                resumed = [s for s, p in self._parked.items() if p.hold()]
            for subscription in resumed:
                self._catch_up(subscription)
        self._synced = connections

    # data classes and objects
    def create_class(
        self, inst: Instance, name: str, schema: list[dict[str, Any]], **fields: Any
    ) -> DataClass:
        data_class = DataClass(name, schema, **fields)
        if not self._redis.hsetnx(self._in(inst.uid, "classes"), name, encode(data_class)):
            raise Conflict(name)
        return data_class

    def data_class(self, inst: Instance, name: str) -> DataClass | None:
        return decode(DataClass, self._redis.hget(self._in(inst.uid, "classes"), name))

    def data_classes(self, inst: Instance) -> list[DataClass]:
        every = (decode(DataClass, t) for t in self._redis.hvals(self._in(inst.uid, "classes")))
        return [c for c in every if c is not None]

    def create_object(
        self, inst: Instance, class_name: str, values: dict[str, Any], **fields: Any
    ) -> DataObject:
        obj = DataObject(self._new_id(inst.uid, "object"), class_name, dict(values), **fields)
        self._write_object(inst, obj)
        return obj

    def _write_object(self, inst: Instance, obj: DataObject) -> None:
        self._redis.hset(self._in(inst.uid, "objects"), str(obj.id), encode(obj))

    def data_object(self, inst: Instance, class_name: str, object_id: int) -> DataObject | None:
        obj = decode(DataObject, self._redis.hget(self._in(inst.uid, "objects"), str(object_id)))
        return obj if obj is not None and obj.class_name == class_name else None

    def data_objects(self, inst: Instance, class_name: str) -> list[DataObject]:
        every = self._sorted(DataObject, self._in(inst.uid, "objects"), "id")
        return [o for o in every if o.class_name == class_name]

    def update_object(self, inst: Instance, obj: DataObject, values: dict[str, Any]) -> list[str]:
        changed = [name for name, value in values.items() if obj.values.get(name) != value]
        if changed:
            obj.values.update(values)
            obj.revision += 1
            obj.updated_at = utcnow()
            self._write_object(inst, obj)
        return changed

    def delete_object(self, inst: Instance, obj: DataObject) -> None:
        self._redis.hdel(self._in(inst.uid, "objects"), str(obj.id))

    def reset(self) -> None:
        """Clear this namespace only, and tell every process to forget its parked
        subscriptions, as a memory store's reset does."""
        self._unlink_matching(glob_escape(self._prefix) + "*")
        self._redis.publish(self._wake_channel, RESET)

    def close(self) -> None:
        self._closed.set()
        self._listener.join(LISTEN_TICK + SOCKET_TIMEOUT)
        with contextlib.suppress(redis.RedisError):
            self._redis.hdel(self._key("parked"), self._token)
        self._redis.close()
        self._redis.connection_pool.disconnect()
