"""Hand-broken variants of valid documents are rejected, each for the reason it was broken.

Each test checks the variant against the top-level schema (rejected) and against the branch it
belongs to, where the error must point at the broken key.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import ValidationError

import spec

MESSAGE = {
    "id": 12,
    "created_at": "2024-03-01T09:30:00.000001Z",
    "action": "custom",
    "author": {"api_key": 3, "user": 7},
    "metadata": {"type": "message"},
    "payload": {"text": "hi"},
    "links": {"self": "/v1.1/instances/inst/channels/chat/history/12/"},
}
CHANNEL = {
    "name": "chat",
    "description": "",
    "type": "default",
    "group": None,
    "group_permissions": "none",
    "other_permissions": "none",
    "created_at": "2024-01-01T10:00:00.123456Z",
    "updated_at": "2024-01-01T10:00:00.123456Z",
    "custom_publish": False,
    "links": {
        "self": "/v1.1/instances/inst/channels/chat/",
        "poll": "/v1.1/instances/inst/channels/chat/poll/",
        "publish": "/v1.1/instances/inst/channels/chat/publish/",
        "history": "/v1.1/instances/inst/channels/chat/history/",
    },
}


def broken(document: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of a document with keys replaced (a value of ... deletes the key)."""
    result = copy.deepcopy(document)
    for key, value in changes.items():
        if value is ...:
            del result[key]
        else:
            result[key] = value
    return result


def errors(name: str, instance: Any) -> list[ValidationError]:
    return list(spec.validator(name).iter_errors(instance))


def blames(found: list[ValidationError], key: str) -> bool:
    """Whether some error is located at ``key`` or names it (as a missing or unexpected key)."""
    return any(
        (list(error.absolute_path)[:1] == [key]) or repr(key) in error.message for error in found
    )


@pytest.fixture(autouse=True)
def originals_are_valid() -> None:
    """Guard: the unbroken documents pass, so a rejection below is due to the breakage."""
    assert not errors("message.json", MESSAGE)
    assert not errors("channel.json", CHANNEL)


def test_message_without_metadata_is_rejected() -> None:
    variant = broken(MESSAGE, metadata=...)
    assert errors("message.json", variant)
    assert blames(errors("message-custom.json", variant), "metadata")


def test_message_with_string_id_is_rejected() -> None:
    variant = broken(MESSAGE, id="12")
    assert errors("message.json", variant)
    assert blames(errors("message-custom.json", variant), "id")


def test_created_at_without_z_is_rejected() -> None:
    variant = broken(MESSAGE, created_at="2024-03-01T09:30:00.000001")
    assert errors("message.json", variant)
    assert blames(errors("message-custom.json", variant), "created_at")


def test_created_at_without_microseconds_is_rejected() -> None:
    variant = broken(MESSAGE, created_at="2024-03-01T09:30:00Z")
    assert errors("message.json", variant)
    assert blames(errors("message-custom.json", variant), "created_at")


def test_unknown_action_is_rejected() -> None:
    variant = broken(MESSAGE, action="publish")
    assert errors("message.json", variant)
    assert blames(errors("message-custom.json", variant), "action")
    assert blames(errors("message-object.json", variant), "action")


def test_author_with_unknown_key_is_rejected() -> None:
    variant = broken(MESSAGE, author={"api_key": 3, "user": 7, "admin": 1})
    assert errors("message.json", variant)
    assert blames(errors("message-custom.json", variant), "author")
    assert errors("author.json", variant["author"])


def test_channel_with_type_rooms_is_rejected() -> None:
    variant = broken(CHANNEL, type="rooms")
    assert blames(errors("channel.json", variant), "type")


def test_message_with_room_key_is_rejected() -> None:
    variant = broken(MESSAGE, room=None)
    assert errors("message.json", variant)
    assert blames(errors("message-custom.json", variant), "room")


def test_poll_message_with_links_is_rejected() -> None:
    assert errors("message.json#/$defs/poll-message", MESSAGE)
    assert not errors("message.json#/$defs/poll-message", broken(MESSAGE, links=...))


def test_object_message_with_custom_metadata_is_rejected() -> None:
    variant = broken(MESSAGE, action="create", payload={"id": 3})
    assert errors("message.json", variant)
    assert blames(errors("message-object.json", variant), "metadata")
