"""The verdict of a conformance run, keyed by requirement id: each requirement's status, the
scores per area and level, and the reasons (if any) the run fails a CI gate.

Everything here is plain data in, one ``Document`` out, so the JSON, JUnit, HTML and terminal
views all show the same figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from conformance.report.baseline import entry_matches_test
from conformance.report.contract import NOT_APPLICABLE, NOT_RUN
from conformance.report.document import (
    AreaEntry,
    BaselineUse,
    CheckedBy,
    Document,
    RequirementEntry,
    RunFacts,
    Score,
    Tally,
    TestEntry,
)
from conformance.report.exchange import present_exchange
from conformance.report.outcomes import TestOutcome
from conformance.requirements import CORE_PROFILE, RequirementSet, asserted

PASSED = "passed"
FAILED = "failed"
EXPECTED_FAILURE = "expected failure"
UNEXPECTEDLY_PASSING = "unexpectedly passing"
STATUSES = (FAILED, UNEXPECTEDLY_PASSING, EXPECTED_FAILURE, PASSED, NOT_RUN, NOT_APPLICABLE)
CHECKED = frozenset({PASSED, FAILED, EXPECTED_FAILURE, UNEXPECTEDLY_PASSING})
PASSING = frozenset({PASSED, UNEXPECTEDLY_PASSING})
LEVEL_ORDER = ("MUST", "SHOULD", "MAY")
# Levels whose failures are warnings: they fail the run only with --strict-should.
WARNING_LEVELS = frozenset({"SHOULD", "MAY"})

SCORING_NOTE = (
    "A score is the share of checked requirements that passed. Requirements that are not "
    "applicable (outside the profile, or a capability the target does not offer) are left out. "
    "Requirements that were not run (opt-in checks, deselected tests, or no test) are left out "
    "too and never count as passed; their number is shown beside each score. Expected failures "
    "count as failed and unexpectedly passing requirements as passed."
)


def area_id(requirement_id: str) -> str:
    """The area of a requirement id: ``PUB-004`` -> ``PUB``."""
    return requirement_id.rsplit("-", 1)[0]


def test_status(test: TestOutcome) -> str:
    """A test's status on its own, before the baseline is applied."""
    if test.outcome in {"failed", "error"}:
        return FAILED
    if test.outcome == "passed":
        return PASSED
    if test.outcome == "xfailed":
        return EXPECTED_FAILURE
    if test.outcome == "skipped" and test.skipped_as == NOT_APPLICABLE:
        return NOT_APPLICABLE
    return NOT_RUN


def failing_ids(test: TestOutcome) -> tuple[str, ...]:
    """The requirement ids a failed (or xfailed) test fails: those its assertion found broken.

    A failure that named none of the test's ids (a crash, a timeout, a fixture error) fails all
    of them: a target must not pass a requirement by crashing the check of it. A check the
    target could not serve at all (unusable) fails none: the run fails for that reason."""
    if test_status(test) not in (FAILED, EXPECTED_FAILURE) or test.unusable:
        return ()
    named = tuple(i for i in test.broken if i in test.requirements)
    return named or test.requirements


@dataclass(frozen=True)
class Judgement:
    """Statuses of requirements and tests, with the baseline and capabilities applied, and the
    ids each failed test fails."""

    requirement_status: dict[str, str]
    test_status: dict[str, str]
    failing: dict[str, tuple[str, ...]]
    stale_entries: list[str]
    unmatched_entries: list[str]


def judge(
    requirement_set: RequirementSet,
    tests: list[TestOutcome],
    baseline: Mapping[str, str],
    not_offered: Mapping[str, str],
    profile: str | None = None,
) -> Judgement:
    """Decide every requirement's and test's status.

    A requirement fails when a test found it broken and neither the requirement nor that test is
    in the baseline; a baseline entry whose checks all pass makes it unexpectedly passing. A
    test that failed on other requirements did not conclude on this one: for it, that test did
    not run. A requirement outside the run's ``profile``, or of a capability the target does
    not offer, is not applicable whatever its tests did.
    """
    own = {t.nodeid: test_status(t) for t in tests}
    failing = {t.nodeid: failing_ids(t) for t in tests}
    listed = {t.nodeid for t in tests if any(entry_matches_test(e, t.nodeid) for e in baseline)}
    by_requirement: dict[str, list[TestOutcome]] = {rid: [] for rid in requirement_set.requirements}
    for test in tests:
        for rid in test.requirements:
            by_requirement.setdefault(rid, []).append(test)

    def status_on(test: TestOutcome, rid: str) -> str:
        status = own[test.nodeid]
        concluded = status not in (FAILED, EXPECTED_FAILURE) or rid in failing[test.nodeid]
        return status if concluded else NOT_RUN

    def applies(rid: str) -> bool:
        item = requirement_set.requirements.get(rid)
        return area_id(rid) not in not_offered and (
            profile is None or item is None or asserted(item, profile)
        )

    def requirement_verdict(rid: str, its_tests: list[TestOutcome]) -> str:
        if not applies(rid):
            return NOT_APPLICABLE
        statuses = {t.nodeid: status_on(t, rid) for t in its_tests}
        if rid not in baseline and any(
            status == FAILED and nodeid not in listed for nodeid, status in statuses.items()
        ):
            return FAILED
        if FAILED in statuses.values() or EXPECTED_FAILURE in statuses.values():
            return EXPECTED_FAILURE
        passed = [nodeid for nodeid, status in statuses.items() if status == PASSED]
        if passed:
            stale = rid in baseline or any(nodeid in listed for nodeid in passed)
            return UNEXPECTEDLY_PASSING if stale else PASSED
        if statuses and all(s == NOT_APPLICABLE for s in statuses.values()):
            return NOT_APPLICABLE
        return NOT_RUN

    requirement_status = {rid: requirement_verdict(rid, ts) for rid, ts in by_requirement.items()}

    def final_test_status(test: TestOutcome) -> str:
        status = own[test.nodeid]
        fails = failing[test.nodeid]
        all_listed = bool(fails) and all(r in baseline for r in fails)
        if status == FAILED and (test.nodeid in listed or all_listed):
            return EXPECTED_FAILURE
        if status == PASSED and (
            test.nodeid in listed
            or any(
                r in baseline and requirement_status[r] == UNEXPECTEDLY_PASSING
                for r in test.requirements
            )
        ):
            return UNEXPECTEDLY_PASSING
        return status

    stale: list[str] = []
    unmatched: list[str] = []
    for entry in baseline:
        if entry in requirement_status:
            if requirement_status[entry] == UNEXPECTEDLY_PASSING:
                stale.append(entry)
            continue
        matched = [own[t.nodeid] for t in tests if entry_matches_test(entry, t.nodeid)]
        ran = [s for s in matched if s in CHECKED]
        if not matched:
            unmatched.append(entry)
        elif ran and all(s == PASSED for s in ran):
            stale.append(entry)
    return Judgement(
        requirement_status,
        {t.nodeid: final_test_status(t) for t in tests},
        failing,
        stale,
        unmatched,
    )


def _levels(requirements: list[RequirementEntry]) -> list[str]:
    present = {r.level for r in requirements}
    return [lv for lv in LEVEL_ORDER if lv in present] + sorted(present - set(LEVEL_ORDER))


def tally(requirements: list[RequirementEntry]) -> Tally:
    """Passed out of checked, with the not-run and not-applicable counts beside it."""
    statuses = Counter(r.status for r in requirements)
    checked = sum(statuses[s] for s in CHECKED)
    passed = sum(statuses[s] for s in PASSING)
    return Tally(
        passed=passed,
        checked=checked,
        percent=round(100.0 * passed / checked, 1) if checked else None,
        not_run=statuses[NOT_RUN],
        not_applicable=statuses[NOT_APPLICABLE],
        total=len(requirements),
    )


def scores_by_level(requirements: list[RequirementEntry]) -> dict[str, Tally]:
    """One tally per level (MUST, SHOULD, ...), levels in order of strength."""
    return {
        level: tally([r for r in requirements if r.level == level])
        for level in _levels(requirements)
    }


def core_must(requirements: list[RequirementEntry]) -> Tally:
    """The tally of the core profile's MUST requirements: the figure --min-score gates on."""
    return tally([r for r in requirements if r.level == "MUST" and r.profile == CORE_PROFILE])


def counts(requirements: list[RequirementEntry]) -> dict[str, int]:
    """How many requirements have each status, every status listed."""
    return {s: sum(r.status == s for r in requirements) for s in STATUSES}


def _test_entry(
    test: TestOutcome, judgement: Judgement, baseline: Mapping[str, str], secret: str | None
) -> TestEntry:
    reasons = [
        reason
        for entry, reason in baseline.items()
        if entry in test.requirements or entry_matches_test(entry, test.nodeid)
    ]
    return TestEntry(
        nodeid=test.nodeid,
        status=judgement.test_status[test.nodeid],
        outcome=test.outcome or "not run",
        requirements=list(test.requirements),
        broken=list(judgement.failing[test.nodeid]),
        duration_s=round(test.duration_s, 3),
        message=test.message,
        details=test.details,
        exchanges=[present_exchange(x, secret) for x in test.exchanges],
        measurements=dict(test.measurements),
        baseline_reason="; ".join(reasons) if reasons else None,
    )


def _requirement_entry(
    rid: str,
    status: str,
    requirement_set: RequirementSet,
    tests: list[TestOutcome],
    judgement: Judgement,
    baseline: Mapping[str, str],
) -> RequirementEntry:
    item = requirement_set.requirements.get(rid, {})
    return RequirementEntry(
        id=rid,
        area=area_id(rid),
        level=item.get("level", "MUST"),
        profile=item.get("profile", CORE_PROFILE),
        statement=item.get("statement", "(not in the requirement set)"),
        section=item.get("section"),
        source=item.get("source"),
        status=status,
        baseline_reason=baseline.get(rid),
        tests=[
            CheckedBy(
                nodeid=t.nodeid,
                status=judgement.test_status[t.nodeid],
                found_broken=rid in judgement.failing[t.nodeid],
                message=t.message,
            )
            for t in tests
            if rid in t.requirements
        ],
    )


def build_document(
    run: RunFacts,
    requirement_set: RequirementSet,
    tests: list[TestOutcome],
    baseline: Mapping[str, str],
    not_offered: Mapping[str, str],
    secret: str | None = None,
) -> Document:
    """The full report: run facts, scores, requirements with their tests, and tests' evidence.

    ``secret`` (the account key) is masked in every exchange.
    """
    judgement = judge(requirement_set, tests, baseline, not_offered, run.profile)
    tests_by_id = {t.nodeid: t for t in tests}
    requirements = [
        _requirement_entry(rid, status, requirement_set, tests, judgement, baseline)
        for rid, status in judgement.requirement_status.items()
    ]
    area_ids = list(requirement_set.areas)
    area_ids += sorted({r.area for r in requirements} - set(area_ids))
    areas = []
    for aid in area_ids:
        members = [r for r in requirements if r.area == aid]
        areas.append(
            AreaEntry(
                id=aid,
                name=requirement_set.areas.get(aid, aid),
                not_offered=aid in not_offered,
                scores=scores_by_level(members),
                counts=counts(members),
            )
        )
    return Document(
        run=run,
        not_offered=dict(not_offered),
        scoring=SCORING_NOTE,
        score=Score(core_must=core_must(requirements), levels=scores_by_level(requirements)),
        counts=counts(requirements),
        baseline=BaselineUse(
            entries=dict(baseline),
            stale=judgement.stale_entries,
            unmatched=judgement.unmatched_entries,
        ),
        areas=areas,
        requirements=requirements,
        tests=[_test_entry(test, judgement, baseline, secret) for test in tests_by_id.values()],
    )


def _fails_gate(requirement: RequirementEntry, strict: bool) -> bool:
    """Whether a failure of this requirement fails the run, as RFC 2119 reads: a MUST always, a
    SHOULD or MAY only under --strict-should (otherwise it is a warning)."""
    return strict or requirement.level not in WARNING_LEVELS


def fails_run(test: TestEntry, document: Document, strict: bool) -> bool:
    """Whether a failed test entry fails the run: it broke a requirement that fails the gate,
    or it failed without a verdict on any (the target could not serve it).

    The requirements it broke that are settled otherwise (an expected failure, not applicable,
    or a SHOULD or MAY failure without --strict-should) leave it a warning."""
    if test.status != FAILED:
        return False
    if not test.broken:
        return True
    settled = (EXPECTED_FAILURE, NOT_APPLICABLE)
    for rid in test.broken:
        requirement = document.requirement(rid)
        if requirement is None or requirement.status not in (FAILED, *settled):
            return True  # broken, yet neither failed nor settled: fail safe
        if requirement.status == FAILED and _fails_gate(requirement, strict):
            return True
    return False


def gate_failures(document: Document, min_score: float | None, strict: bool = False) -> list[str]:
    """Why the run fails its CI gate: failed MUST requirements (every failed one under
    ``strict``), stale baseline entries, low score."""
    reasons = []
    failed = sum(r.status == FAILED and _fails_gate(r, strict) for r in document.requirements)
    if failed:
        reasons.append(f"{failed} requirement{'s' * (failed != 1)} failed")
    failed_tests = sum(fails_run(t, document, strict) for t in document.tests)
    if failed_tests and not failed:
        reasons.append(f"{failed_tests} test{'s' * (failed_tests != 1)} failed")
    stale = document.baseline.stale
    if stale:
        reasons.append(
            f"{len(stale)} expected-failure entr{'ies' if len(stale) != 1 else 'y'} now "
            f"pass{'es' * (len(stale) == 1)} (remove from the baseline): {', '.join(stale)}"
        )
    if min_score is not None:
        percent = document.score.core_must.percent
        if percent is None:
            reasons.append(f"no core MUST requirement was checked (--min-score {min_score:g})")
        elif percent < min_score:
            reasons.append(f"core MUST score {percent:g}% is below --min-score {min_score:g}%")
    return reasons


def gate_warnings(document: Document, strict: bool = False) -> list[str]:
    """The failures that do not fail the run: one line per level of the failed SHOULD and MAY
    requirements (none under ``strict``, where they are gate failures)."""
    warned: dict[str, list[str]] = {}
    for r in document.requirements:
        if r.status == FAILED and not _fails_gate(r, strict):
            warned.setdefault(r.level, []).append(r.id)
    return [
        f"{len(ids)} {level} requirement{'s' * (len(ids) != 1)} failed "
        f"(fails the run only with --strict-should): {', '.join(ids)}"
        for level, ids in warned.items()
    ]
