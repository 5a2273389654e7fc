"""Shape checks for the two resources: messages and channels, validated against spec/schemas
plus the exact key sets, datetime format and relative links of reference §4.1 and §6.1."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import spec
from conformance import expect
from conformance.client import Paths, Reply

MESSAGE_KEYS = frozenset({"id", "created_at", "action", "author", "metadata", "payload"})
TOLERATED_MESSAGE_KEYS = frozenset({"room"})
CHANNEL_KEYS = frozenset(
    {
        "name",
        "description",
        "type",
        "group",
        "group_permissions",
        "other_permissions",
        "created_at",
        "updated_at",
        "custom_publish",
        "links",
    }
)
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")

Req = str | Iterable[str] | None


def schema_errors(name: str, instance: Any) -> list[str]:
    """Messages of every violation of spec/schemas/<name>.json."""
    validator = spec.validator(f"{name}.json")
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in validator.iter_errors(instance)
    ]


def check_schema(name: str, instance: Any, reply: Reply, req: Req = None) -> None:
    errors = schema_errors(name, instance)
    expect.check(
        not errors, f"a body valid against {name}.json; violations: {errors[:5]}", reply, req
    )


def check_datetime(value: Any, what: str, reply: Reply, req: Req = None) -> None:
    expect.check(
        isinstance(value, str) and DATETIME.match(value),
        f"{what} formatted YYYY-MM-DDTHH:MM:SS.ffffffZ, got {value!r}",
        reply,
        req,
    )


def check_message(
    message: Any,
    reply: Reply,
    *,
    links_to: tuple[Paths, str] | None,
    req: Req = None,
) -> dict[str, Any]:
    """A message as publish and history show it (``links_to`` = (paths, channel)), or as poll
    shows it (``links_to`` None: no links key)."""
    expect.check(isinstance(message, dict), "a message object", reply, req)
    check_schema("message", message, reply, req)
    wanted = MESSAGE_KEYS | ({"links"} if links_to else set())
    keys = set(message) - TOLERATED_MESSAGE_KEYS
    expect.check(
        keys == wanted,
        f"exactly the keys {sorted(wanted)}; missing {sorted(wanted - keys)}, "
        f"extra {sorted(keys - wanted)}",
        reply,
        req,
    )
    check_datetime(message["created_at"], "created_at", reply, req)
    expect.check(
        isinstance(message["id"], int)
        and not isinstance(message["id"], bool)
        and message["id"] > 0,
        f"a positive integer id, got {message['id']!r}",
        reply,
        req,
    )
    if links_to:
        paths, channel = links_to
        self_link = paths.history_item(channel.lower(), message["id"])
        expect.check(
            message["links"] == {"self": self_link},
            f'links {{"self": "{self_link}"}}, got {message["links"]!r}',
            reply,
            req,
        )
    return message


def custom_message(
    message: dict[str, Any], reply: Reply, author: dict[str, Any], payload: Any, req: Req = None
) -> None:
    """The fields a custom (published) message must carry."""
    expected = {
        "action": "custom",
        "author": author,
        "metadata": {"type": "message"},
        "payload": payload,
    }
    got = {key: message.get(key) for key in expected}
    expect.check(got == expected, f"a custom message with {expected}, got {got}", reply, req)


def channel_links(paths: Paths, name: str, group: int | None) -> dict[str, str]:
    """The links of a channel representation (reference §4.1)."""
    links = {
        "self": paths.channel(name),
        "poll": paths.poll(name),
        "publish": paths.publish(name),
        "history": paths.history(name),
    }
    if group is not None:
        links["group"] = f"{paths.instance_root}groups/{group}/"
    return links


def check_channel(channel: Any, reply: Reply, paths: Paths, req: Req = None) -> dict[str, Any]:
    """A full channel representation: schema, key set, datetimes and links."""
    expect.check(isinstance(channel, dict), "a channel object", reply, req)
    check_schema("channel", channel, reply, req)
    keys = set(channel)
    expect.check(
        keys == CHANNEL_KEYS,
        f"exactly the keys {sorted(CHANNEL_KEYS)}; missing {sorted(CHANNEL_KEYS - keys)}, "
        f"extra {sorted(keys - CHANNEL_KEYS)}",
        reply,
        req,
    )
    for name in ("created_at", "updated_at"):
        check_datetime(channel[name], name, reply, req)
    links = channel_links(paths, channel["name"], channel["group"])
    expect.check(channel["links"] == links, f"links {links}", reply, req)
    return channel
