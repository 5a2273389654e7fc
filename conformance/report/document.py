"""The report document of a run as typed data: built once by ``verdict.build_document``, read
by the JSON, JUnit, HTML and terminal views, and written as report.json by ``to_json`` (run
facts first, then the verdict, in this field order)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Tally:
    """Passed out of checked requirements, with the not-run and not-applicable counts."""

    passed: int
    checked: int
    percent: float | None
    not_run: int
    not_applicable: int
    total: int


@dataclass
class Score:
    """The core MUST tally (what --min-score gates on) and one tally per level."""

    core_must: Tally
    levels: dict[str, Tally]


@dataclass
class Transport:
    """How the target was talked to (conformance.client.TransportStats and the plugin's
    figures), with sentences on what the client did besides sending each request once."""

    requests: int
    dropped: int
    resent: int
    throttled: int
    throttled_wait_s: float
    fresh_connections: bool
    latency_ms: float | None
    estimated_s: float | None
    max_duration_s: float
    aborted: str | None
    summary: list[str] = field(default_factory=list)


@dataclass
class RunFacts:
    """What the report says about the run itself."""

    target_url: str | None
    date: str
    suite_version: str
    profile: str | None
    poll_timeout: float | None
    embedded: bool | None
    duration_s: float
    expected_failures_file: str | None
    transport: Transport | None  # None: the suite plugin is not active (a report of other tests)


@dataclass
class CheckedBy:
    """One test of a requirement, as the requirement lists it."""

    nodeid: str
    status: str
    found_broken: bool
    message: str


@dataclass
class RequirementEntry:
    """One requirement: what it says, its status, and the tests behind it."""

    id: str
    area: str
    level: str
    profile: str
    statement: str
    section: str | None
    source: Any
    status: str
    baseline_reason: str | None
    tests: list[CheckedBy]


@dataclass
class AreaEntry:
    """One area's scores per level and its requirements per status."""

    id: str
    name: str
    not_offered: bool
    scores: dict[str, Tally]
    counts: dict[str, int]


@dataclass
class TestEntry:
    """One test with its evidence: message, traceback, exchanges (curl included), figures."""

    __test__ = False  # a data class, not a pytest test class

    nodeid: str
    status: str
    outcome: str
    requirements: list[str]
    broken: list[str]
    duration_s: float
    message: str
    details: str
    exchanges: list[dict[str, Any]]
    measurements: dict[str, float]
    baseline_reason: str | None


@dataclass
class BaselineUse:
    """The expected-failures entries of the run, the stale ones, and those matching nothing."""

    entries: dict[str, str]
    stale: list[str]
    unmatched: list[str]


@dataclass
class Document:
    """The whole report: run facts, scores, requirements with their tests, tests' evidence, and
    the gate's outcome (filled in when the run ends)."""

    run: RunFacts
    not_offered: dict[str, str]
    scoring: str
    score: Score
    counts: dict[str, int]
    baseline: BaselineUse
    areas: list[AreaEntry]
    requirements: list[RequirementEntry]
    tests: list[TestEntry]
    strict_should: bool = False
    gate_warnings: list[str] = field(default_factory=list)
    exit_status: int | None = None
    gate_failures: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The content of report.json: the run facts at the top level, then the verdict."""
        data = asdict(self)
        run = data.pop("run")
        run["transport"] = run["transport"] or {}
        return {**run, **data}

    def requirement(self, requirement_id: str) -> RequirementEntry | None:
        return next((r for r in self.requirements if r.id == requirement_id), None)
