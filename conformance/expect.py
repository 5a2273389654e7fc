"""Assertions that explain themselves: a failure names the requirement (id, level, statement) and
shows what the target did (method, path, caller, status, relevant headers, body excerpt)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, NoReturn

import spec
from conformance.client import Reply

SHOWN_HEADERS = (
    "Content-Type",
    "Content-Length",
    "X-Last-Id",
    "Allow",
    "Retry-After",
    "Location",
    "Cache-Control",
)
EXCERPT = 600

_current: list[str] = []


class RequirementBroken(AssertionError):
    """A failed assertion, carrying the ids of exactly the requirements it found broken, so the
    verdict fails those and no other requirement the check is marked with."""

    def __init__(self, message: str, requirements: Iterable[str]) -> None:
        super().__init__(message)
        self.requirements = tuple(requirements)


def set_current(ids: Iterable[str]) -> None:
    """The running check's requirement ids: the default for assertions that name none."""
    _current[:] = list(ids)


def statement(requirement_id: str) -> str:
    """One line per requirement: id, level, profile and statement (or just the id)."""
    try:
        item = spec.requirements().get(requirement_id)
    except (OSError, ValueError, KeyError, TypeError):
        item = None
    if not item:
        return requirement_id
    level = item.get("level", "")
    profile = item.get("profile", "")
    text = " ".join(str(item.get("statement", "")).split())
    return f"{requirement_id} ({level}, {profile}): {text}"


def describe(reply: Reply) -> str:
    """What the target did, in a few lines."""
    headers = "; ".join(
        f"{name}: {reply.headers[name]}" for name in SHOWN_HEADERS if name in reply.headers
    )
    body = reply.text
    if len(body) > EXCERPT:
        body = body[:EXCERPT] + f"... ({len(reply.body)} bytes)"
    return (
        f"target did: {reply.method} {reply.path} as {reply.caller} -> {reply.status} "
        f"({reply.elapsed_ms:.0f} ms)\n  headers: {headers or '-'}\n  body: {body or '(empty)'}"
    )


def fail(
    expected: str, reply: Reply | None = None, req: str | Iterable[str] | None = None
) -> NoReturn:
    """Fail the check with the requirement, the expectation and the evidence."""
    ids = [req] if isinstance(req, str) else list(req or _current)
    lines = [statement(i) for i in ids] or ["(no requirement id)"]
    lines.append(f"expected: {expected}")
    if reply is not None:
        lines.append(describe(reply))
    raise RequirementBroken("\n".join(lines), ids)


def check(
    condition: Any,
    expected: str,
    reply: Reply | None = None,
    req: str | Iterable[str] | None = None,
) -> None:
    """Fail with ``expected`` unless ``condition`` holds."""
    if not condition:
        fail(expected, reply, req)


def status(reply: Reply, expected: int, req: str | Iterable[str] | None = None) -> Reply:
    """The reply has exactly this status."""
    check(reply.status == expected, f"status {expected}", reply, req)
    return reply


def body_of(reply: Reply, req: str | Iterable[str] | None = None) -> Any:
    """The JSON body, or a failure saying it is not JSON."""
    try:
        return reply.json()
    except ValueError:
        fail("a JSON body", reply, req)


def json_reply(
    reply: Reply, expected_status: int, expected_body: Any, req: str | Iterable[str] | None = None
) -> Any:
    """Exact status and exact JSON body (string vs list shapes matter, reference §1.4)."""
    shown = json.dumps(expected_body, ensure_ascii=False)
    check(
        reply.status == expected_status and reply.json_or_none() == expected_body,
        f"{expected_status} with body {shown}",
        reply,
        req,
    )
    return expected_body


def detail(
    reply: Reply, expected_status: int, text: str, req: str | Iterable[str] | None = None
) -> None:
    """An error reply ``{"detail": text}`` with this status."""
    json_reply(reply, expected_status, {"detail": text}, req)


PERMISSION_DENIED = "You do not have permission to perform this action."
NO_SUCH_KEY = "No such API Key."
CUSTOM_PUBLISH_DENIED = "Custom publish not allowed on this channel."
NOT_FOUND = "Not found."
CHANNEL_NOT_FOUND = "Channel was not found."
INSTANCE_NOT_FOUND = "Instance was not found."
ROOM_REQUIRED = {"room": "This field is required for channels with separate rooms."}


def denied(reply: Reply, req: str | Iterable[str] | None = None) -> None:
    """The generic 403 of a failed permission check."""
    detail(reply, 403, PERMISSION_DENIED, req)
