"""The fault catalogue with the Redis store: every fault that does not override the memory
store works on it (all together in one app, and one of them end to end), and every store
fault is refused, since it overrides ``MemoryStore``'s internals."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from mock_server.app import create_app
from mock_server.config import MockConfig
from mock_server.faults import OVERRIDES
from mock_server.store import MemoryStore
from tests.redis.server import RedisServer

KEY = "c0ffee" * 6 + "0000"
STORE_FAULTS = sorted(
    name for name, o in OVERRIDES.items() if isinstance(o, type) and issubclass(o, MemoryStore)
)
OTHER_FAULTS = sorted(set(OVERRIDES) - set(STORE_FAULTS))
MakeApp = Callable[..., Flask]


@pytest.fixture
def redis_app(redis_server: RedisServer, namespace: str) -> Iterator[MakeApp]:
    apps: list[Flask] = []

    def make(*faults: str) -> Flask:
        config = MockConfig(
            account_key=KEY,
            store=redis_server.url,
            redis_prefix=namespace,
            faults=frozenset(faults),
        )
        app = create_app(config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["channels_mock"].store.close()


def test_the_catalogue_splits_into_store_faults_and_the_others() -> None:
    assert "poll-wakes-one-poller" in STORE_FAULTS and "history-oldest-first" in OTHER_FAULTS
    assert len(STORE_FAULTS) == 15


def test_every_other_fault_builds_on_the_redis_store(redis_app: MakeApp) -> None:
    redis_app(*OTHER_FAULTS)


@pytest.mark.parametrize("fault", STORE_FAULTS)
def test_store_faults_are_refused_on_the_redis_store(redis_app: MakeApp, fault: str) -> None:
    with pytest.raises(ValueError, match="memory store only"):
        redis_app(fault)


@pytest.mark.parametrize(("faults", "ids"), [((), [2, 1]), (("history-oldest-first",), [1, 2])])
def test_a_history_fault_changes_redis_history(
    redis_app: MakeApp, faults: tuple[str, ...], ids: list[int]
) -> None:
    client = redis_app(*faults).test_client()
    headers = {"X-API-KEY": KEY}
    assert client.post("/v1.1/instances/", json={"name": "faulty"}, headers=headers).status_code
    channel = {"name": "c", "custom_publish": True}
    assert client.post("/v1.1/instances/faulty/channels/", json=channel, headers=headers)
    for n in range(2):
        published = client.post(
            "/v1.1/instances/faulty/channels/c/publish/",
            json={"payload": {"n": n}},
            headers=headers,
        )
        assert published.status_code == 201, published.get_json()
    history = client.get("/v1.1/instances/faulty/channels/c/history/", headers=headers)
    assert [m["id"] for m in history.get_json()["objects"]] == ids
