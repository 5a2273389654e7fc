"""The API: one blueprint per resource."""

from __future__ import annotations

from flask import Blueprint


def blueprints() -> list[Blueprint]:
    """Every blueprint of the mock, in registration order."""
    from mock_server.api import channels, data, messages, mock, setup

    return [channels.blueprint, messages.blueprint, setup.blueprint, data.blueprint, mock.blueprint]
