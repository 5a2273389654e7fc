"""How one generated exchange is judged, requirement by requirement (the GEN area).

Each GEN requirement is backed by schemathesis checks (plus one of our own for GEN-002), so a
finding fails exactly the requirement it breaks. Four allowances keep the checks honest rather
than noisy:

- A request whose *path* parameters break their patterns does not reach a route; the platform
  answers those with Django's HTML 404, like a path without its trailing slash (GEN-002's
  exception; the Conventions of spec/openapi.yaml). Such a 404 is exempt from the JSON and
  response-schema checks (never from GEN-001 and GEN-003).
- schemathesis cannot check the spec's own formats, so a case it generated as invalid may be
  valid after all; a refusal is expected only when the spec's validators reject what was sent
  (``conformance.fuzz.spec_input``).
- Input that satisfies the request schema may still be refused by the stored state: a taken
  name, an unknown id, an existing membership, a room that a separate_rooms channel requires,
  transport=websocket without a handshake. A 400 whose every message is one of those
  (``STATE_CONFLICTS``) is not a rejection of valid input.

- HTTP itself only asks servers to take request targets up to 8000 octets (RFC 9110, section 4.1); a
  414 to a longer one comes from the HTTP layer, not the API, and only GEN-001 applies to it.

``fields`` / ``excluded_fields`` make the server return a subset of the strict schema, so those
responses skip the response-schema check.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import schemathesis.checks
from requests.structures import CaseInsensitiveDict
from schemathesis import Case, Response
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.parameters import ParameterLocation

from conformance.client import Reply
from conformance.fuzz.spec_input import spec_accepts

NO_SERVER_ERROR = "GEN-001"
JSON_BODY = "GEN-002"
DOCUMENTED_STATUS = "GEN-003"
RESPONSE_SCHEMA = "GEN-005"
INPUT_VALIDATION = "GEN-006"
REQUIREMENTS = (NO_SERVER_ERROR, JSON_BODY, DOCUMENTED_STATUS, RESPONSE_SCHEMA, INPUT_VALIDATION)

SUBSET_PARAMETERS = ("fields", "excluded_fields")
URI_LIMIT = 8000
JSON_TYPE = re.compile(r"^application/json\s*(;\s*charset=utf-8\s*)?$", re.IGNORECASE)
STATE_CONFLICTS = tuple(
    re.compile(pattern, re.DOTALL)
    for pattern in (
        r"This field must be unique\.",
        r'Invalid pk ".*" - object does not exist\.',
        r"Object with name=.* does not exist\.",
        r"User is already a part of that group\.",
        r"User's group count exceeded \(\d+\)\.",
        r"Instance count exceeded \(\d+\)\.",
        r"This field is required for channels with separate rooms\.",
        r"Channel room field is required for channels with separate rooms\.",
        r"Expected WebSocket connection\.",
    )
)
CHECK_NAMES = {
    NO_SERVER_ERROR: ("not_a_server_error",),
    JSON_BODY: ("content_type_conformance",),
    DOCUMENTED_STATUS: ("status_code_conformance",),
    RESPONSE_SCHEMA: ("response_schema_conformance",),
    INPUT_VALIDATION: ("negative_data_rejection", "positive_data_acceptance"),
}
KEPT_PER_REQUIREMENT = 3
EXCERPT = 300


@dataclass(frozen=True)
class Finding:
    """One exchange that breaks one requirement."""

    requirement: str
    problem: str
    reply: Reply
    curl: str

    def describe(self) -> str:
        body = self.reply.text
        body = body if len(body) <= EXCERPT else body[:EXCERPT] + "..."
        return (
            f"- {self.problem}\n  target did: {self.reply.method} {self.reply.path} "
            f"as {self.reply.caller} -> {self.reply.status}\n  body: {body or '(empty)'}\n"
            f"  reproduce: {self.curl}"
        )


@dataclass
class Findings:
    """What the generated requests found, per requirement: a few examples and a count."""

    cases: int = 0
    unanswered_polls: int = 0
    examples: dict[str, list[Finding]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, finding: Finding) -> None:
        rid = finding.requirement
        self.counts[rid] = self.counts.get(rid, 0) + 1
        kept = self.examples.setdefault(rid, [])
        if len(kept) < KEPT_PER_REQUIREMENT and all(f.problem != finding.problem for f in kept):
            kept.append(finding)

    def of(self, requirement: str) -> list[Finding]:
        return self.examples.get(requirement, [])


def reply_of(response: Response, caller: str) -> Reply:
    """The exchange in the suite's own record format, for failure messages and reports."""
    request = response.request
    body = request.body.encode("utf-8") if isinstance(request.body, str) else request.body
    return Reply(
        method=request.method or "",
        url=request.url or "",
        request_headers=dict(request.headers),
        request_body=body,
        status=response.status_code,
        headers=CaseInsensitiveDict({k: ", ".join(v) for k, v in response.headers.items()}),
        body=response.content,
        elapsed_ms=response.elapsed * 1000,
        caller=caller,
    )


def _unrouted(case: Case, response: Response) -> bool:
    """A path that breaks its parameter patterns, answered with a non-JSON 404."""
    meta = case.meta
    negative_path = meta is not None and meta.is_negative_at(ParameterLocation.PATH)
    content_type = ", ".join(response.headers.get("content-type", []))
    return negative_path and response.status_code == 404 and not JSON_TYPE.match(content_type)


def _failures(case: Case, response: Response, check_name: str) -> list[Failure]:
    check = getattr(schemathesis.checks, check_name)
    try:
        case.validate_response(response, checks=[check])
    except FailureGroup as group:
        return list(group.exceptions)
    except Failure as failure:
        return [failure]
    return []


def _error_messages(body: Any) -> Iterator[str]:
    """Every message of a DRF error body (strings, lists of strings, nested objects)."""
    if isinstance(body, str):
        yield body
    elif isinstance(body, list):
        for item in body:
            yield from _error_messages(item)
    elif isinstance(body, dict):
        for value in body.values():
            yield from _error_messages(value)


def state_conflict(response: Response) -> bool:
    """A 400 whose every message says the stored state, not the input, is in the way."""
    if response.status_code != 400:
        return False
    try:
        messages = list(_error_messages(json.loads(response.content)))
    except ValueError:
        return False
    return bool(messages) and all(any(p.fullmatch(m) for p in STATE_CONFLICTS) for m in messages)


def _json_body_problem(response: Response) -> str | None:
    """GEN-002 as stated: a body comes with an application/json Content-Type and parses."""
    if not response.content:
        return None
    content_type = ", ".join(response.headers.get("content-type", []))
    if not JSON_TYPE.match(content_type):
        return f"a body with Content-Type {content_type or '(none)'!r}, not application/json"
    try:
        json.loads(response.content)
    except ValueError:
        return "a body that does not parse as JSON"
    return None


def _beyond_uri_limit(response: Response) -> bool:
    """A 414 to a request target longer than HTTP asks servers to accept."""
    target = response.request.path_url or ""
    return response.status_code == 414 and len(target) > URI_LIMIT


def _exempt(requirement: str, case: Case, response: Response) -> bool:
    if requirement != NO_SERVER_ERROR and _beyond_uri_limit(response):
        return True
    if requirement in (JSON_BODY, RESPONSE_SCHEMA) and _unrouted(case, response):
        return True
    return requirement == RESPONSE_SCHEMA and any(p in case.query for p in SUBSET_PARAMETERS)


def _problems(requirement: str, case: Case, response: Response) -> Iterator[str]:
    if requirement == JSON_BODY:
        problem = _json_body_problem(response)
        if problem:
            yield problem
    for check_name in CHECK_NAMES[requirement]:
        if check_name == "positive_data_acceptance" and state_conflict(response):
            continue
        if check_name == "negative_data_rejection" and spec_accepts(case, response):
            continue
        for failure in _failures(case, response, check_name):
            yield _summary(failure)


def _summary(failure: Failure) -> str:
    """The failure's title, first line and the invalid component it names (if any)."""
    lines = [line.strip() for line in failure.message.strip().splitlines() if line.strip()]
    kept = lines[:1] + [line for line in lines[1:] if line.startswith("Invalid component")]
    return ": ".join([failure.title, *kept])


def judge(
    case: Case,
    response: Response,
    caller: str,
    requirements: tuple[str, ...] = REQUIREMENTS,
    extra: Callable[[Case, Response], Iterator[tuple[str, str]]] | None = None,
) -> Iterator[Finding]:
    """Every finding one exchange gives, for the requirements asked (``extra`` adds
    requirement-problem pairs from other checks, e.g. the stateful ones)."""
    reply: Reply | None = None
    pairs: list[tuple[str, str]] = [
        (rid, problem)
        for rid in requirements
        if not _exempt(rid, case, response)
        for problem in _problems(rid, case, response)
    ]
    if extra is not None:
        pairs.extend(extra(case, response))
    for rid, problem in pairs:
        reply = reply or reply_of(response, caller)
        yield Finding(rid, problem, reply, case.as_curl_command())
