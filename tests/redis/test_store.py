"""The store interface, one set of tests for both implementations: the in-process
``MemoryStore`` and the ``RedisStore`` (on a real redis-server). Then what only a shared store
can do: two stores on one namespace wake each other's subscriptions, and reset clears only its
own namespace."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from mock_server.models import CUSTOM, Instance
from mock_server.redis_store import RedisStore
from mock_server.store import Conflict, MemoryStore, Retention, Store
from tests.redis.server import RedisServer

HISTORY_LIMIT = 5
AUTHOR = {"admin": 1}
WAIT = 2.0


def retention(ttl: float = 3600.0) -> Retention:
    return Retention(ttl, lambda name: HISTORY_LIMIT)


@pytest.fixture(params=["memory", "redis"])
def make_store(request: pytest.FixtureRequest, namespace: str) -> Iterator[Any]:
    """Build stores of the parametrized kind (Redis ones on the test's namespace)."""
    made: list[Store] = []

    def make(ttl: float = 3600.0) -> Store:
        if request.param == "memory":
            store: Store = MemoryStore(retention(ttl))
        else:
            server: RedisServer = request.getfixturevalue("redis_server")
            store = RedisStore(server.url, namespace, retention(ttl))
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


@pytest.fixture
def store(make_store: Any) -> Store:
    return make_store()


@pytest.fixture
def inst(store: Store) -> Instance:
    admin = store.create_admin("a@example.com", None)
    return store.create_instance(admin.id, "inst-one", "", {})


def publish(store: Store, inst: Instance, channel_name: str, room: str | None = None, n: int = 1):
    channel = store.channel(inst, channel_name)
    assert channel is not None
    return [
        store.publish(inst, channel, room, room, CUSTOM, AUTHOR, {"type": "message"}, {"n": i})
        for i in range(n)
    ]


def test_instances_come_with_builtin_channels_and_unique_names(store: Store) -> None:
    admin = store.create_admin("a@example.com", None, key="ab" * 19 + "a0")
    assert store.admin_by_key("AB" * 19 + "A0") == admin
    inst = store.create_instance(admin.id, "inst-one", "about", {"k": 1})
    with pytest.raises(Conflict):
        store.create_instance(admin.id, "inst-one", "", {})
    assert store.instance("INST-ONE") == inst
    assert [i.name for i in store.instances_of(admin.id)] == ["inst-one"]
    builtins = store.channels(inst)
    assert [(c.pk, c.name, c.type, c.custom_publish) for c in builtins] == [
        (1, "default", "separate_rooms", True),
        (2, "eventlog", "separate_rooms", False),
    ]
    assert [c.name for c in store.data_classes(inst)] == ["user_profile"]
    assert store.delete_instance("inst-one")
    assert store.instance("inst-one") is None
    assert not store.delete_instance("inst-one")


def test_api_keys_users_groups_and_memberships(store: Store, inst: Instance) -> None:
    api_key = store.create_api_key(inst, description="d", ignore_acl=True)
    assert store.api_key_by_key(inst, api_key.key.upper()) == api_key
    old_key = api_key.key
    renewed = store.reset_api_key(inst, api_key.id)
    assert renewed is not None and renewed.key != old_key
    assert store.api_key_by_key(inst, old_key) is None
    assert store.api_key_by_key(inst, renewed.key) == renewed
    assert [k.id for k in store.api_keys(inst)] == [api_key.id]
    assert store.delete_api_key(inst, api_key.id) and store.api_keys(inst) == []

    ann = store.create_user(inst, "ann", "pw")
    bob = store.create_user(inst, "bob", "pw")
    with pytest.raises(Conflict):
        store.create_user(inst, "ann", "other")
    assert store.user_by_username(inst, "ann") == ann
    assert store.user_by_key(inst, bob.key) == bob
    profile = store.data_object(inst, "user_profile", ann.profile_id)
    assert profile is not None and profile.owner == ann.id
    old_key = ann.key
    ann = store.reset_user_key(inst, ann.id) or ann
    assert store.user_by_key(inst, old_key) is None and store.user_by_key(inst, ann.key) == ann

    group = store.create_group(inst, "team", "Team", "")
    with pytest.raises(Conflict):
        store.create_group(inst, "team", "", "")
    store.add_member(inst, group.id, ann.id)
    store.add_member(inst, group.id, bob.id)
    with pytest.raises(Conflict):
        store.add_member(inst, group.id, ann.id)
    assert store.is_member(inst, group.id, ann.id)
    assert store.groups_of(inst, bob.id) == [group]
    assert [u.username for u in store.members_of(inst, group.id)] == ["ann", "bob"]
    assert store.remove_member(inst, group.id, bob.id)
    assert not store.is_member(inst, group.id, bob.id)

    assert store.delete_user(inst, ann.id)
    assert store.members_of(inst, group.id) == []
    assert store.data_object(inst, "user_profile", ann.profile_id) is None
    assert [u.username for u in store.users(inst)] == ["bob"]

    store.create_channel(inst, "grouped", group=group.id, group_permissions="publish")
    assert store.delete_group(inst, group.id)
    grouped = store.channel(inst, "grouped")
    assert grouped is not None and grouped.group is None
    assert store.groups(inst) == []


def test_channels_are_listed_in_creation_order_and_updated(store: Store, inst: Instance) -> None:
    for name in ("zeta", "alpha", "alps"):
        store.create_channel(inst, name, description=name)
    with pytest.raises(Conflict):
        store.create_channel(inst, "alpha")
    assert [c.name for c in store.channels(inst)][2:] == ["zeta", "alpha", "alps"]
    assert [c.name for c in store.channels(inst, "alp")] == ["alpha", "alps"]
    before = store.channel(inst, "zeta")
    assert before is not None
    created_at, updated_at = before.created_at, before.updated_at
    time.sleep(0.01)
    after = store.update_channel(inst, "zeta", {"description": "new", "custom_publish": True})
    assert after.updated_at > updated_at and after.created_at == created_at
    stored = store.channel(inst, "zeta")
    assert stored is not None and (stored.description, stored.custom_publish) == ("new", True)
    assert store.delete_channel(inst, "zeta") and store.channel(inst, "zeta") is None


def test_message_ids_count_per_instance(store: Store, inst: Instance) -> None:
    other = store.create_instance(inst.owner_id, "inst-two", "", {})
    store.create_channel(inst, "a", type="default")
    store.create_channel(inst, "b", type="default")
    store.create_channel(other, "a", type="default")
    ids = [m.id for m in publish(store, inst, "a", n=2) + publish(store, inst, "b")]
    assert ids == [1, 2, 3]
    assert [m.id for m in publish(store, other, "a")] == [1]


def test_history_is_capped_ranged_and_found_by_id(store: Store, inst: Instance) -> None:
    channel = store.create_channel(inst, "capped", type="default")
    published = publish(store, inst, "capped", n=HISTORY_LIMIT + 2)
    kept = [m.id for m in published[2:]]
    newest_first = store.messages(
        inst, channel, None, min_id=None, max_id=None, ascending=False, limit=100
    )
    assert [m.id for m in newest_first] == kept[::-1]
    window = store.messages(inst, channel, None, min_id=4, max_id=6, ascending=True, limit=2)
    assert [m.id for m in window] == [4, 5]
    assert store.message(inst, 1) is None
    found = store.message(inst, kept[0])
    assert found is not None and found.payload == {"n": 2} and found.channel_pk == channel.pk
    nxt = store.next_message(inst, channel, None, 0)
    assert nxt is not None and nxt.id == kept[0]
    assert store.next_message(inst, channel, None, kept[-1]) is None
    assert store.delete_channel(inst, "capped")
    again = store.create_channel(inst, "capped", type="default")
    assert (
        store.messages(inst, again, None, min_id=None, max_id=None, ascending=True, limit=9) == []
    )


def test_messages_expire_after_the_ttl(make_store: Any) -> None:
    store = make_store(ttl=0.2)
    admin = store.create_admin("a@example.com", None)
    inst = store.create_instance(admin.id, "inst-ttl", "", {})
    channel = store.create_channel(inst, "short", type="default")
    (message,) = publish(store, inst, "short")
    assert store.message(inst, message.id) is not None
    time.sleep(0.4)
    assert store.message(inst, message.id) is None
    assert store.next_message(inst, channel, None, 0) is None


def test_a_subscription_gets_stored_then_live_messages_once(store: Store, inst: Instance) -> None:
    channel = store.create_channel(inst, "live", type="default")
    publish(store, inst, "live", n=3)
    subscription = store.subscribe(inst, channel, None, 1, capacity=10)
    assert store.subscription_count() == 1
    publish(store, inst, "live", n=2)
    taken = [subscription.take(WAIT) for _ in range(4)]
    assert [m.id for m in taken if m is not None] == [2, 3, 4, 5]
    assert subscription.take(0.2) is None
    store.unsubscribe(subscription)
    assert store.subscription_count() == 0


def test_a_message_wakes_its_room_only(store: Store, inst: Instance) -> None:
    channel = store.create_channel(inst, "rooms", type="separate_rooms")
    waiting = store.subscribe(inst, channel, "a", None, capacity=1)
    publish(store, inst, "rooms", room="b")
    assert waiting.take(0.3) is None
    publish(store, inst, "rooms", room="a")
    woken = waiting.take(WAIT)
    assert woken is not None and woken.room == "a"
    store.unsubscribe(waiting)


def test_data_objects_count_revisions(store: Store, inst: Instance) -> None:
    store.create_class(inst, "books", [{"name": "title", "type": "string"}])
    with pytest.raises(Conflict):
        store.create_class(inst, "books", [])
    book = store.create_object(inst, "books", {"title": "a"}, channel="ch")
    assert store.update_object(inst, book, {"title": "a"}) == []
    assert store.update_object(inst, book, {"title": "b"}) == ["title"]
    stored = store.data_object(inst, "books", book.id)
    assert stored is not None and (stored.values, stored.revision) == ({"title": "b"}, 2)
    assert [o.id for o in store.data_objects(inst, "books")] == [book.id]
    store.delete_object(inst, book)
    assert store.data_object(inst, "books", book.id) is None


def test_reset_forgets_everything(store: Store, inst: Instance) -> None:
    store.reset()
    assert store.instance(inst.name) is None
    assert store.admin_by_key(store.create_admin("b@example.com", None).key) is not None


# what only a shared store does
@pytest.fixture
def redis_pair(redis_server: RedisServer, namespace: str) -> Iterator[tuple[RedisStore, ...]]:
    pair = tuple(RedisStore(redis_server.url, namespace, retention()) for _ in range(2))
    yield pair
    for store in pair:
        store.close()


def test_a_publish_on_one_store_wakes_a_subscription_on_another(
    redis_pair: tuple[RedisStore, RedisStore],
) -> None:
    here, there = redis_pair
    inst = here.create_instance(here.create_admin("a@example.com", None).id, "shared", "", {})
    channel = here.create_channel(inst, "news", type="default")
    waiting = here.subscribe(inst, channel, None, 0, capacity=10)
    started = time.monotonic()
    threading.Timer(0.1, publish, (there, inst, "news")).start()
    woken = waiting.take(WAIT)
    assert woken is not None and woken.id == 1 and time.monotonic() - started < 1.0
    here.unsubscribe(waiting)


def test_the_account_key_names_one_admin_across_processes(
    redis_pair: tuple[RedisStore, RedisStore],
) -> None:
    here, there = redis_pair
    key = "cd" * 19 + "a0"
    assert here.create_admin("x@example.com", None, key=key) == there.create_admin(
        "x@example.com", None, key=key
    )


def test_reset_clears_its_namespace_only(redis_server: RedisServer, namespace: str) -> None:
    with redis_server.client() as client:
        client.set("unrelated", "kept")
        client.set(namespace[:-1] + "-sibling:key", "kept")
        store = RedisStore(redis_server.url, namespace, retention())
        try:
            store.create_instance(store.create_admin("a@example.com", None).id, "gone", "", {})
            assert client.keys(namespace + "*")
            store.reset()
            assert not [k for k in client.keys(namespace + "*") if not k.endswith("parked")]
        finally:
            store.close()
        assert client.get("unrelated") == "kept"
        assert client.get(namespace[:-1] + "-sibling:key") == "kept"
