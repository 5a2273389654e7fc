"""Request schemas reproduce the platform's 400 bodies, message for message.

Expected bodies are the requirements' own text (CHAN-006 to CHAN-017, PUB-006 to PUB-012,
POLL-007 to POLL-012, HIST-011, HIST-023) and the platform captures. The schemas' x-error
annotations are read by the project's one validation layer, mock_server.validation, so that is
what turns them into a body here.
"""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.validation import failure

REQUIRED = "This field is required."
NULL = "This field may not be null."
BLANK = "This field may not be blank."
NOT_STRING = "Not a valid string."
START = "Value has to start with a letter."
END = "Value has to end with a letter or a number."
CHARSET = "Enter a valid value consisting of letters, numbers, underscores, hyphens."
ROOM_LENGTH = "Ensure this field has no more than 128 characters."
NOT_JSON = "Not a valid JSON string."
NOT_OBJECT = "Payload passed in invalid format."
PAGE = {"detail": "Incorrect page parameter provided."}

REJECTED: list[tuple[str, Any, dict[str, Any]]] = [
    ("channel-create.json", {}, {"name": [REQUIRED]}),
    ("channel-create.json", {"name": None}, {"name": [NULL]}),
    ("channel-create.json", {"name": ""}, {"name": [BLANK]}),
    ("channel-create.json", {"name": "   "}, {"name": [BLANK]}),
    ("channel-create.json", {"name": True}, {"name": [NOT_STRING]}),
    ("channel-create.json", {"name": 5}, {"name": [START]}),
    ("channel-create.json", {"name": "1abc"}, {"name": [START]}),
    ("channel-create.json", {"name": "abc-"}, {"name": [END]}),
    ("channel-create.json", {"name": "a b"}, {"name": [CHARSET]}),
    ("channel-create.json", {"name": "1a b-"}, {"name": [START, END, CHARSET]}),
    (
        "channel-create.json",
        {"name": "a" * 65},
        {"name": ["Ensure this value has at most 64 characters (it has 65)."]},
    ),
    (
        "channel-create.json",
        {"name": "bad", "type": "nope"},
        {"type": ['"nope" is not a valid choice.']},
    ),
    (
        "channel-create.json",
        {"name": "x", "type": "Default"},
        {"type": ['"Default" is not a valid choice.']},
    ),
    (
        "channel-create.json",
        {"name": "x", "other_permissions": "x"},
        {"other_permissions": ['"x" is not a valid choice.']},
    ),
    (
        "channel-create.json",
        {"name": "x", "group_permissions": None},
        {"group_permissions": [NULL]},
    ),
    (
        "channel-create.json",
        {"name": "x", "custom_publish": "maybe"},
        {"custom_publish": ['"maybe" is not a valid boolean.']},
    ),
    (
        "channel-create.json",
        {"name": "x", "group": "abc"},
        {"group": ["Incorrect type. Expected pk value, received str."]},
    ),
    (
        "channel-create.json",
        {"name": "x", "group": 0},
        {"group": ['Invalid pk "0" - object does not exist.']},
    ),
    (
        "channel-create.json",
        [1],
        {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]},
    ),
    (
        "channel-update.json",
        {"other_permissions": "all"},
        {"other_permissions": ['"all" is not a valid choice.']},
    ),
    ("publish-request.json", {"payload": "abc"}, {"payload": [NOT_JSON]}),
    ("publish-request.json", {"payload": "[1]"}, {"payload": [NOT_OBJECT]}),
    ("publish-request.json", {"payload": [1]}, {"payload": [NOT_OBJECT]}),
    ("publish-request.json", {"payload": 5}, {"payload": [NOT_OBJECT]}),
    ("publish-request.json", {"payload": None}, {"payload": [NULL]}),
    ("publish-request.json", {"room": "r" * 129}, {"room": [ROOM_LENGTH]}),
    ("publish-request.json", {"room": "  "}, {"room": [BLANK]}),
    ("publish-request.json", {"room": None}, {"room": [NULL]}),
    ("publish-request.json", {"room": {}}, {"room": [NOT_STRING]}),
    ("publish-request.json", {"room": False}, {"room": [NOT_STRING]}),
    ("poll-query.json", {"last_id": "abc"}, {"last_id": ["A valid integer is required."]}),
    ("poll-query.json", {"last_id": "1" * 1001}, {"last_id": ["String value too large."]}),
    ("poll-query.json", {"room": "r" * 129}, {"room": [ROOM_LENGTH]}),
    ("poll-query.json", {"room": " "}, {"room": [BLANK]}),
    ("history-query.json", {"page_size": "-1"}, PAGE),
    ("history-query.json", {"page_size": "abc"}, PAGE),
    ("history-query.json", {"direction": "2"}, PAGE),
    ("history-query.json", {"last_pk": "x"}, PAGE),
    ("list-query.json", {"page_size": ""}, PAGE),
    ("list-query.json", {"direction": "-1"}, PAGE),
    ("membership-create.json#/$defs/user-form", {}, {"user": [REQUIRED]}),
    (
        "membership-create.json#/$defs/group-form",
        {"group": "x"},
        {"group": ["Incorrect type. Expected pk value, received str."]},
    ),
    ("user-create.json", {}, {"username": [REQUIRED], "password": [REQUIRED]}),
    ("user-auth.json", {"username": "alice"}, {"password": [REQUIRED]}),
    (
        "instance-create.json",
        {"name": "abc"},
        {"name": ["Ensure this field has at least 5 characters."]},
    ),
    (
        "instance-create.json",
        {"name": "Admin"},
        {"name": ["Unable to use that value. Please choose a different one."]},
    ),
    ("instance-create.json", {"name": "ab--cd"}, {"name": ["Double hyphens are reserved."]}),
    (
        "instance-create.json",
        {"name": "ab_cd"},
        {"name": ["Enter a valid value consisting of letters, numbers, hyphens."]},
    ),
    (
        "data-object-create.json",
        {"channel": "rooms", "channel_room": "r" * 65},
        {"channel_room": ["Ensure this field has no more than 64 characters."]},
    ),
]

ACCEPTED: list[tuple[str, Any]] = [
    ("channel-create.json", {"name": "ChaNNel"}),
    ("channel-create.json", {"name": "  chat  "}),
    ("channel-create.json", {"name": "a"}),
    ("channel-create.json", {"name": "  " + "a" * 64 + "  "}),
    ("channel-create.json", {"name": "x", "type": 1, "group": "3", "other_permissions": 2}),
    ("channel-create.json", {"name": "x", "custom_publish": "true"}),
    ("channel-create.json", {"name": "x", "custom_publish": "yes", "unknown": [1]}),
    ("channel-update.json", {"name": "renamed", "type": "bogus"}),
    ("publish-request.json", {}),
    ("publish-request.json", {"payload": ""}),
    ("publish-request.json", {"payload": '{"a": 1}', "room": 5}),
    ("publish-request.json", {"payload": {"a": [1]}, "room": "  " + "ą" * 128 + " "}),
    ("poll-query.json", {"last_id": "1.0", "room": ""}),
    ("poll-query.json", {"last_id": "", "room": "Lobby", "transport": "websocket"}),
    ("poll-query.json", {"last_id": "-1"}),
    ("history-query.json", {"last_id": "abc", "ordering": "ASC", "page_size": "1000", "room": ""}),
    ("history-query.json", {"direction": "0", "last_pk": "15", "page_size": "0"}),
    (
        "list-query.json",
        {"direction": "1", "last_pk": "7", "name__startswith": "ch", "fields": "name"},
    ),
    ("membership-create.json#/$defs/user-form", {"user": 1}),
    ("instance-create.json", {"name": "  ChTest-1 "}),
    ("group-create.json", {}),
    ("group-create.json", {"name": None, "label": "members"}),
]


@pytest.mark.parametrize(
    ("name", "instance", "expected"),
    REJECTED,
    ids=[f"{name}:{instance!r:.40}" for name, instance, _ in REJECTED],
)
def test_platform_message_for_rejected_input(name: str, instance: Any, expected: dict) -> None:
    answer = failure(name, instance)
    assert answer is not None, "accepted"
    assert (answer.status, answer.body) == (400, expected)


@pytest.mark.parametrize(
    ("name", "instance"), ACCEPTED, ids=[f"{name}:{instance!r:.40}" for name, instance in ACCEPTED]
)
def test_platform_accepted_input_passes(name: str, instance: Any) -> None:
    answer = failure(name, instance)
    assert answer is None, answer.body
