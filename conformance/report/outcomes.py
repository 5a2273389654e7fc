"""What happened to each test of a run, merged from pytest's setup/call/teardown reports.

The records are plain data, built on the xdist controller from the reports that workers send,
so everything the reports need travels in ``report.user_properties`` (conformance.report.contract
names it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.report.contract import (
    BROKEN,
    EXCHANGES,
    LATE,
    MEASUREMENTS,
    REQUIREMENTS,
    UNUSABLE,
    skip_status,
)


@dataclass
class TestOutcome:
    """One test: its requirement ids, outcome and the evidence a report shows for it."""

    __test__ = False  # a data class, not a pytest test class

    nodeid: str
    requirements: tuple[str, ...] = ()
    broken: tuple[str, ...] = ()  # of a failure: the ids its assertion named (none: unknown)
    unusable: bool = False  # failed because the target could not serve it at all (no verdict)
    outcome: str = ""  # passed | failed | error | skipped | xfailed ("" while nothing ran)
    message: str = ""  # one line: the assertion message or the skip reason
    skipped_as: str = ""  # of a skip: its status (not applicable, not run), "" when none given
    late: bool = False  # skipped because the run reached --max-duration
    details: str = ""  # the full failure text (traceback and assertion output)
    duration_s: float = 0.0
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    measurements: dict[str, float] = field(default_factory=dict)

    @property
    def ran(self) -> bool:
        """Whether the check ran to a verdict (pass or fail), as opposed to being skipped."""
        return self.outcome in {"passed", "failed", "error", "xfailed"}


def ids_from_properties(
    properties: list[tuple[str, Any]], key: str = REQUIREMENTS
) -> tuple[str, ...]:
    """The requirement ids named by ``(key, "ID ID")`` user properties, in order: the ids a test
    is marked with (``requirements``) or those its failed assertion found broken (``broken``)."""
    ids: dict[str, None] = {}
    for name, value in properties:
        if name == key:
            ids.update(dict.fromkeys(str(value).split()))
    return tuple(ids)


def _one_line(report: pytest.TestReport) -> str:
    """The crash message of a failure, or the reason of a skip, on one line."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # a skip: (path, line, "Skipped: reason")
        reason = str(longrepr[2])
        return reason.removeprefix("Skipped: ")
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message).strip()
    text = report.longreprtext.strip()
    return text.splitlines()[-1] if text else ""


def merge_report(outcomes: dict[str, TestOutcome], report: pytest.TestReport) -> TestOutcome:
    """Fold one phase report into the outcome of its test and return that outcome."""
    test = outcomes.setdefault(report.nodeid, TestOutcome(report.nodeid))
    properties = list(report.user_properties)
    test.requirements = tuple(dict.fromkeys([*test.requirements, *ids_from_properties(properties)]))
    test.duration_s += report.duration
    for name, value in properties:
        if name == EXCHANGES and value and not test.exchanges:
            test.exchanges = list(value)
        elif name == MEASUREMENTS and value:
            test.measurements.update(value)
    if test.outcome in {"failed", "error"}:
        return test  # the first failure is the one to show
    if report.failed:
        test.outcome = "failed" if report.when == "call" else "error"
        test.message = _one_line(report)
        if report.when != "call":
            test.message = f"error in {report.when}: {test.message}"
        test.details = report.longreprtext
        test.broken = ids_from_properties(properties, BROKEN)
        test.unusable = any(name == UNUSABLE for name, _ in properties)
    elif hasattr(report, "wasxfail") and report.skipped:
        test.outcome = "xfailed"
        test.message = str(report.wasxfail)
    elif report.skipped:
        test.outcome = "skipped"
        test.message = _one_line(report)
        test.skipped_as = skip_status(properties) or ""
        test.late = any(name == LATE for name, _ in properties)
    elif report.when == "call":
        test.outcome = "passed"
    return test
