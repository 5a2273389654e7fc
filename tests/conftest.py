"""Hooks for the whole of tests/: loaded by the xdist controller too, which collects nothing."""

from __future__ import annotations

import pytest

from tests.faults.score import FaultScore


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(FaultScore(), "channels-fault-score")
