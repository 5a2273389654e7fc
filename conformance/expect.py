"""Assertions that explain themselves: a failure names the requirement (id, level, statement) and
shows what the target did (method, path, caller, status, relevant headers, body excerpt)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from conformance.client import Reply
from conformance.requirements import RequirementSet
from spec.protocol import PERMISSION_DENIED, ROOM_REQUIRED

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

Req = str | Iterable[str] | None  # the requirement id(s) an assertion is about


@dataclass
class RunningCheck:
    """The check being run: its requirement ids (the default for assertions that name none) and
    the run's requirement set, whose statements a failure quotes."""

    ids: list[str] = field(default_factory=list)
    requirements: RequirementSet | None = None


_running = RunningCheck()


class RequirementBroken(AssertionError):
    """A failed assertion, carrying the ids of exactly the requirements it found broken, so the
    verdict fails those and no other requirement the check is marked with."""

    def __init__(self, message: str, requirements: Iterable[str]) -> None:
        super().__init__(message)
        self.requirements = tuple(requirements)


def start_check(ids: Iterable[str], requirements: RequirementSet) -> None:
    """Called by the suite plugin before each check: its requirement ids and the run's set."""
    _running.ids = list(ids)
    _running.requirements = requirements


def statement(requirement_id: str) -> str:
    """One line per requirement: id, level, profile and statement from the run's requirement
    set (just the id outside a check of the suite)."""
    requirements = _running.requirements
    return requirements.statement(requirement_id) if requirements else requirement_id


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


def _ids(req: Req) -> list[str]:
    """The ids an assertion names: its ``req``, or the running check's ids when it names none."""
    return [req] if isinstance(req, str) else list(req or _running.ids)


def _broken(findings: list[tuple[list[str], str]], reply: Reply | None) -> NoReturn:
    """Raise one RequirementBroken for (requirement ids, expectation) findings on one answer:
    each requirement with what it expected, then what the target did."""
    ids: list[str] = []
    lines: list[str] = []
    for req_ids, expected in findings:
        lines += [statement(i) for i in req_ids] or ["(no requirement id)"]
        lines.append(f"expected: {expected}")
        ids += [i for i in req_ids if i not in ids]
    if reply is not None:
        lines.append(describe(reply))
    raise RequirementBroken("\n".join(lines), ids)


def fail(expected: str, reply: Reply | None = None, req: Req = None) -> NoReturn:
    """Fail the check with the requirement, the expectation and the evidence."""
    _broken([(_ids(req), expected)], reply)


def each(reply: Reply | None, conditions: Iterable[tuple[Req, Any, str]]) -> None:
    """Judge one answer against several requirements, each on its own (requirement, condition,
    expected) triple, and fail once naming every requirement whose condition does not hold.

    One answer may break several requirements at once (a 500 with an HTML page is neither a
    documented status nor JSON): each is named, and none that the answer satisfies."""
    findings = [(_ids(req), expected) for req, condition, expected in conditions if not condition]
    if findings:
        _broken(findings, reply)


def check(condition: Any, expected: str, reply: Reply | None = None, req: Req = None) -> None:
    """Fail with ``expected`` unless ``condition`` holds."""
    if not condition:
        fail(expected, reply, req)


def status(reply: Reply, expected: int, req: Req = None) -> Reply:
    """The reply has exactly this status."""
    check(reply.status == expected, f"status {expected}", reply, req)
    return reply


def body_of(reply: Reply, req: Req = None) -> Any:
    """The JSON body, or a failure saying it is not JSON."""
    try:
        return reply.json()
    except ValueError:
        fail("a JSON body", reply, req)


def json_reply(reply: Reply, expected_status: int, expected_body: Any, req: Req = None) -> Any:
    """Exact status and exact JSON body (string vs list shapes matter, ERR-001, PUB-012)."""
    shown = json.dumps(expected_body, ensure_ascii=False)
    check(
        reply.status == expected_status and reply.json_or_none() == expected_body,
        f"{expected_status} with body {shown}",
        reply,
        req,
    )
    return expected_body


def detail(reply: Reply, expected_status: int, text: str, req: Req = None) -> None:
    """An error reply ``{"detail": text}`` with this status."""
    json_reply(reply, expected_status, {"detail": text}, req)


ROOM_REQUIRED_BODY = {"room": ROOM_REQUIRED}


def denied(reply: Reply, req: Req = None) -> None:
    """The generic 403 of a failed permission check."""
    detail(reply, 403, PERMISSION_DENIED, req)


def timed_out(reply: Reply, elsewhere: dict[str, Any], woken_req: str, where: str) -> None:
    """A waiting poll that only traffic ``where`` (another channel or room) could have woken
    answers 204 with an empty body at its timeout (POLL-005). Answered with ``elsewhere``, the
    message published there, it was woken by it: that breaks ``woken_req`` (POLL-017, ROOM-002),
    not the timeout rule."""
    body = reply.json_or_none()
    woken = reply.status == 200 and isinstance(body, dict) and body.get("id") == elsewhere["id"]
    each(
        reply,
        [
            (woken_req, not woken, f"not woken by the message published to {where}"),
            (
                "POLL-005",
                woken or (reply.status == 204 and reply.body == b""),
                "204 with an empty body at the poll timeout",
            ),
        ],
    )
