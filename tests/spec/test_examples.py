"""Every example in openapi.yaml, and the seed's message, validates against its schema."""

from __future__ import annotations

from typing import Any

import pytest

import spec
from tests.spec.openapi_walk import examples, pointer, validator_at

EXAMPLES = list(examples())

# The custom message shown in the seed document (channel-sockets-custom-publish.md), verbatim.
SEED_MESSAGE = {
    "author": {"api_key": 2805, "user": 1},
    "created_at": "2015-05-19T15:53:19.281155Z",
    "id": 8,
    "action": "custom",
    "payload": {"content": "hello!"},
    "metadata": {"type": "message"},
}
# The seed's channel-creation and publish bodies.
SEED_CHANNEL_CREATE = {
    "name": "can_publish",
    "type": "default",
    "other_permissions": "publish",
    "custom_publish": "true",
}
SEED_PUBLISH = {"payload": {"content": "hello!"}}


def test_the_document_has_examples() -> None:
    assert len(EXAMPLES) >= 40


@pytest.mark.parametrize(
    ("schema_location", "example"),
    [(schema_location, value) for schema_location, _, value in EXAMPLES],
    ids=[pointer(example_location) for _, example_location, _ in EXAMPLES],
)
def test_openapi_example_validates(schema_location: tuple, example: Any) -> None:
    errors = [error.message for error in validator_at(schema_location).iter_errors(example)]
    assert not errors


@pytest.mark.parametrize(
    "name", ["message.json", "message-custom.json", "message.json#/$defs/poll-message"]
)
def test_seed_message_validates(name: str) -> None:
    errors = [error.message for error in spec.validator(name).iter_errors(SEED_MESSAGE)]
    assert not errors


def test_seed_message_is_not_a_publish_response() -> None:
    """The seed shows what a poller receives; a publish response adds links.self."""
    assert not spec.validator("message.json#/$defs/published").is_valid(SEED_MESSAGE)


def test_seed_requests_validate() -> None:
    assert spec.validator("channel-create.json").is_valid(SEED_CHANNEL_CREATE)
    assert spec.validator("publish-request.json").is_valid(SEED_PUBLISH)


def test_seed_examples_are_in_the_document() -> None:
    values = [value for _, _, value in EXAMPLES]
    for seed in (SEED_MESSAGE, SEED_CHANNEL_CREATE, SEED_PUBLISH):
        assert seed in values
