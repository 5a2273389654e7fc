"""Fixtures of the Redis-store tests: one private redis-server per test process (installed
from Debian first when missing), and mocks started on it as a user starts them."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator

import pytest

from conformance import launch
from conformance.provision import random_key
from tests.installs import debian_program
from tests.redis.server import RedisServer

_namespaces = itertools.count(1)
Start = Callable[..., launch.EmbeddedMock]


@pytest.fixture(scope="session")
def redis_program() -> str:
    return debian_program("redis-server", "redis-server")


@pytest.fixture(scope="session")
def redis_server(
    redis_program: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RedisServer]:
    server = RedisServer(redis_program, tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def namespace() -> str:
    """A key prefix of this test alone, so tests share one server without seeing each other."""
    return f"t{os.getpid()}-{next(_namespaces)}:"


@pytest.fixture
def start_mock(redis_server: RedisServer, namespace: str) -> Iterator[Start]:
    """Start `channels-mock serve` on the test's Redis namespace (more options as arguments);
    every mock started is stopped after the test. Mocks of one test share the account key."""
    started: list[launch.EmbeddedMock] = []
    key = random_key("account")

    def start(*options: str, url: str | None = None) -> launch.EmbeddedMock:
        store = ["--store", url or redis_server.url, "--redis-prefix", namespace]
        mock = launch.start(key, "core", [*store, *options])
        started.append(mock)
        return mock

    yield start
    for mock in started:
        mock.stop()
