"""Hooks for the whole of tests/: loaded by the xdist controller too, which collects nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance import launch
from conformance.provision import random_key
from tests.faults.score import FaultScore


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(FaultScore(), "channels-fault-score")


@pytest.fixture(scope="module")
def mock() -> Iterator[launch.EmbeddedMock]:
    """A separately started `channels-mock serve` (core compat), as a user would run one."""
    server = launch.start(random_key("account"), "core")
    yield server
    server.stop()
