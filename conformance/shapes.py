"""Shape checks for the two resources: messages and channels, validated against spec/schemas
plus the exact key sets, datetime format and relative links (MSG-001, MSG-007, MSG-008,
CHAN-001, CHAN-002, CHAN-004).

Different parts of one representation answer to different requirements (a channel's links to
CHAN-002, its datetimes to CHAN-004), so a check names, in ``parts``, the requirement each
top-level key answers to; the other keys and the representation as a whole answer to ``req``.
One representation is judged in one go: every requirement it breaks is named, no other.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import spec
from conformance import expect
from conformance.client import Paths, Reply
from spec.protocol import DATETIME

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
CHANNEL_DATES = ("created_at", "updated_at")

Req = expect.Req
Parts = Mapping[str, Req]  # top-level key -> the requirement(s) it answers to
NO_PARTS: Parts = MappingProxyType({})
Condition = tuple[Req, Any, str]  # (requirement, condition, expected), as expect.each takes


def schema_conditions(
    name: str, instance: Any, req: Req = None, parts: Parts = NO_PARTS
) -> list[Condition]:
    """One failed condition per part that violates spec/schemas/<name>.json: a violation inside
    a key named in ``parts`` answers to that key's requirement, any other to ``req``."""
    grouped: dict[str, list[str]] = {}
    for error in spec.validator(f"{name}.json").iter_errors(instance):
        path = [str(p) for p in error.absolute_path]
        part = path[0] if path and path[0] in parts else ""
        grouped.setdefault(part, []).append(f"{'/'.join(path) or '(root)'}: {error.message}")
    return [
        (parts.get(part, req), False, f"a body valid against {name}.json; violations: {found[:5]}")
        for part, found in grouped.items()
    ]


def check_schema(
    name: str, instance: Any, reply: Reply, req: Req = None, parts: Parts = NO_PARTS
) -> None:
    expect.each(reply, schema_conditions(name, instance, req, parts))


def _datetime(value: Any, what: str, req: Req) -> Condition:
    return (
        req,
        isinstance(value, str) and DATETIME.fullmatch(value),
        f"{what} formatted YYYY-MM-DDTHH:MM:SS.ffffffZ, got {value!r}",
    )


def message_links(paths: Paths, channel: str, message_id: Any) -> dict[str, str]:
    """The links of a message in publish answers and history (MSG-007, HIST-006)."""
    return {"self": paths.history_item(channel.lower(), message_id)}


def check_message(
    message: Any,
    reply: Reply,
    *,
    links_to: tuple[Paths, str] | None,
    kind: str = "custom",
    req: Req = None,
    parts: Parts = NO_PARTS,
) -> dict[str, Any]:
    """A message as publish and history show it (``links_to`` = (paths, channel)), or as poll
    shows it (``links_to`` None: no links key); ``kind`` custom (published) or object (added by
    a data object)."""
    expect.check(isinstance(message, dict), "a message object", reply, req)
    wanted = MESSAGE_KEYS | ({"links"} if links_to else set())
    keys = set(message) - TOLERATED_MESSAGE_KEYS
    message_id = message.get("id")
    conditions = [
        *schema_conditions(f"message-{kind}", message, req, parts),
        (
            req,
            keys == wanted,
            f"exactly the keys {sorted(wanted)}; missing {sorted(wanted - keys)}, "
            f"extra {sorted(keys - wanted)}",
        ),
        _datetime(message.get("created_at"), "created_at", parts.get("created_at", req)),
        (
            parts.get("id", req),
            isinstance(message_id, int) and not isinstance(message_id, bool) and message_id > 0,
            f"a positive integer id, got {message_id!r}",
        ),
    ]
    if links_to:
        links = message_links(*links_to, message_id)
        conditions.append(
            (
                parts.get("links", req),
                message.get("links") == links,
                f"links {links}, got {message.get('links')!r}",
            )
        )
    expect.each(reply, conditions)
    return message


def custom_message(
    message: dict[str, Any],
    reply: Reply,
    author: dict[str, Any],
    payload: Any,
    req: Req = None,
    parts: Parts = NO_PARTS,
) -> None:
    """The fields a custom (published) message must carry."""
    expected = {
        "action": "custom",
        "author": author,
        "metadata": {"type": "message"},
        "payload": payload,
    }
    expect.each(
        reply,
        [
            (
                parts.get(key, req),
                message.get(key) == value,
                f"{key} {value}, got {message.get(key)}",
            )
            for key, value in expected.items()
        ],
    )


def channel_links(paths: Paths, name: str, group: int | None) -> dict[str, str]:
    """The links of a channel representation (CHAN-002)."""
    links = {
        "self": paths.channel(name),
        "poll": paths.poll(name),
        "publish": paths.publish(name),
        "history": paths.history(name),
    }
    if group is not None:
        links["group"] = f"{paths.instance_root}groups/{group}/"
    return links


def check_channel(
    channel: Any, reply: Reply, paths: Paths, req: Req = None, parts: Parts = NO_PARTS
) -> dict[str, Any]:
    """A full channel representation: schema, key set, datetimes and links."""
    expect.check(isinstance(channel, dict), "a channel object", reply, req)
    keys = set(channel)
    links = channel_links(paths, str(channel.get("name")), channel.get("group"))
    expect.each(
        reply,
        [
            *schema_conditions("channel", channel, req, parts),
            (
                req,
                keys == CHANNEL_KEYS,
                f"exactly the keys {sorted(CHANNEL_KEYS)}; missing {sorted(CHANNEL_KEYS - keys)}, "
                f"extra {sorted(keys - CHANNEL_KEYS)}",
            ),
            *(_datetime(channel.get(name), name, parts.get(name, req)) for name in CHANNEL_DATES),
            (parts.get("links", req), channel.get("links") == links, f"links {links}"),
        ],
    )
    return channel
