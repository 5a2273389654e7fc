"""pytest plugin: conformance reports and CI gating.

Every run that collected conformance checks writes report.json, junit.xml and report.html,
applies an expected-failures baseline and a capability profile, sets the exit code a CI gate
reads, and ends with a terminal summary. Only the xdist controller (or a plain run) reports;
workers only skip the checks of capabilities the target does not offer.
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from conformance.plugin import LONG_RUN_WARNING_S, requirement_ids, target_info, transport_info
from conformance.report import contract
from conformance.report.baseline import read_baseline, write_baseline
from conformance.report.capabilities import areas_not_offered, read_capabilities_file
from conformance.report.document import Document, RequirementEntry, RunFacts, Transport
from conformance.report.html import report_html
from conformance.report.junit import junit_xml
from conformance.report.outcomes import TestOutcome, merge_report
from conformance.report.terminal import summary_lines
from conformance.report.verdict import (
    EXPECTED_FAILURE,
    FAILED,
    area_id,
    build_document,
    gate_failures,
    gate_warnings,
)
from conformance.requirements import requirement_set

DISTRIBUTION = "syncano-channels-conformance"
REPORT_FILES = ("report.json", "junit.xml", "report.html")
BASELINE_REASON_LIMIT = 160


@dataclass
class Settings:
    """The report options of this run, checked once at start-up."""

    report_dir: Path
    baseline_file: Path | None = None
    baseline: dict[str, str] = field(default_factory=dict)
    write_baseline_file: Path | None = None
    not_offered: dict[str, str] = field(default_factory=dict)
    min_score: float | None = None


SETTINGS = pytest.StashKey[Settings]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("channels-report", "Channels conformance reports and CI gating")
    group.addoption(
        "--report-dir",
        default="reports",
        metavar="DIR",
        help="where report.json, junit.xml and report.html go (default: reports)",
    )
    group.addoption(
        "--expected-failures",
        metavar="FILE",
        help="YAML baseline: requirement id or test id -> reason; listed failures "
        "do not fail the run, listed checks that now pass do",
    )
    group.addoption(
        "--write-baseline",
        metavar="FILE",
        help="write this run's failing requirements as a starting baseline",
    )
    group.addoption(
        "--capabilities",
        metavar="FILE",
        help="YAML: capability -> true/false; requirements of capabilities set to "
        "false are not applicable (rooms, history, websocket, throttling, "
        "data-objects, or an area id)",
    )
    group.addoption(
        "--without",
        action="append",
        default=[],
        metavar="AREA,...",
        help="capabilities the target does not offer (same names as --capabilities)",
    )
    group.addoption(
        "--min-score",
        metavar="PCT",
        help="fail the run when the core MUST score is below PCT percent",
    )
    group.addoption(
        "--strict-should",
        action="store_true",
        help="fail the run on failed SHOULD and MAY requirements too "
        "(by default they are warnings; MUST failures always fail it)",
    )


def _path(config: pytest.Config, value: str) -> Path:
    return config.invocation_params.dir / value


def _settings(config: pytest.Config) -> Settings:
    """Read and check the report options; raises ValueError subclasses on bad input."""
    option = config.getoption
    settings = Settings(report_dir=_path(config, option("report_dir")))
    if option("expected_failures"):
        settings.baseline_file = _path(config, option("expected_failures"))
        settings.baseline = read_baseline(settings.baseline_file)
    if option("write_baseline"):
        settings.write_baseline_file = _path(config, option("write_baseline"))
    names = [name for value in option("without") for name in value.split(",")]
    if option("capabilities"):
        names += read_capabilities_file(_path(config, option("capabilities")))
    if names:
        areas = requirement_set(config).areas
        settings.not_offered = areas_not_offered(names, areas)
    if option("min_score") is not None:
        settings.min_score = _percentage(option("min_score"))
    return settings


def _percentage(text: str) -> float:
    """A --min-score value: a number from 0 to 100."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 100.0:
        raise ValueError(f"--min-score must be a percentage from 0 to 100, not {text!r}")
    return value


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Runs before the suite plugin finds its target, so a run that stops there still has a
    reporter to write why."""
    try:
        config.stash[SETTINGS] = _settings(config)
    except ValueError as exc:  # BaselineError and CapabilityError included
        pytest.exit(f"channels conformance: {exc}", returncode=2)
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(Reporter(config), "channels_conformance_reporter")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip, before they run, the checks of capabilities the target does not offer."""
    not_offered = config.stash[SETTINGS].not_offered
    if not not_offered:
        return
    for item in items:
        names = sorted(
            {not_offered[a] for a in map(area_id, requirement_ids(item)) if a in not_offered}
        )
        if names:
            reason = f"the target does not offer {', '.join(names)}"
            contract.skip(item, contract.NOT_APPLICABLE, reason)


def _suite_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def _target_facts(config: pytest.Config) -> dict[str, Any]:
    """Target URL, profile and the like, from the suite plugin when it is active."""
    try:
        return dict(target_info(config))
    except ValueError:  # the suite plugin is not loaded (-p no:channels_conformance)
        return {"target_url": None, "profile": None, "poll_timeout": None, "embedded": None}


class Reporter:
    """Collects the test reports of a run (on the controller) and writes the verdict."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.settings = config.stash[SETTINGS]
        self.started = time.monotonic()
        self.date = datetime.now(UTC).isoformat(timespec="seconds")
        self.outcomes: dict[str, TestOutcome] = {}
        self.failed_reports: Counter[str] = Counter()
        self.document: Document | None = None
        self.written: list[Path] = []
        self.error: str | None = None
        self.stopped_at_maxfail = False
        self._remove_old_reports()

    def _remove_old_reports(self) -> None:
        """No report of an earlier run survives this one, whatever this run comes to."""
        for name in REPORT_FILES:
            with contextlib.suppress(OSError):  # an unusable folder is reported when writing
                (self.settings.report_dir / name).unlink(missing_ok=True)

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """xdist ends a run that reached -x/--maxfail with an interrupt; that run failed (1),
        it was not interrupted (2)."""
        self.stopped_at_maxfail = str(excinfo.value).startswith("stopping after")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        merge_report(self.outcomes, report)
        if report.failed and not hasattr(report, "wasxfail"):
            self.failed_reports[report.nodeid] += 1

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        tests = [t for t in self.outcomes.values() if t.requirements]
        if not tests:
            return
        if self.stopped_at_maxfail and session.exitstatus == pytest.ExitCode.INTERRUPTED:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        document = self._document(tests)
        strict = document.strict_should
        document.gate_warnings = gate_warnings(document, strict)
        reasons = gate_failures(document, self.settings.min_score, strict)
        checks = {t.nodeid for t in tests}
        other = session.testsfailed - sum(
            n for nodeid, n in self.failed_reports.items() if nodeid in checks
        )
        if other > 0:
            reasons.append(
                f"{other} failure{'s' * (other != 1)} outside the conformance "
                "checks (other tests or collection errors)"
            )
        reasons += self._run_problems(tests)
        if self._abort_reason():
            reasons.append(self._abort_reason())
        if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            if reasons:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
            elif not any(t.ran for t in self.outcomes.values()):
                session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED
            else:
                session.exitstatus = pytest.ExitCode.OK
        if not self._finish(document, int(session.exitstatus), reasons):
            session.exitstatus = pytest.ExitCode.INTERRUPTED

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """A run stopped before its checks (the target cannot be reached or refuses the key)
        still writes its reports: every requirement not run, and the reason."""
        reason = self._abort_reason()
        if self.document is not None or not reason:
            return
        self._finish(self._document([]), int(pytest.ExitCode.INTERRUPTED), [reason])

    def _abort_reason(self) -> str | None:
        return transport_info(self.config).get("aborted")

    def _finish(self, document: Document, exit_status: int, reasons: list[str]) -> bool:
        """Record the exit status and gate reasons, and write the reports (False: cannot)."""
        document.exit_status = exit_status
        document.gate_failures = reasons
        self.document = document
        try:
            self._write(document)
        except OSError as exc:
            self.error = f"cannot write the reports to {self.settings.report_dir}: {exc}"
            return False
        return True

    def _run_problems(self, tests: list[TestOutcome]) -> list[str]:
        """Gate reasons about the run rather than a requirement: checks the target could not
        serve at all, and checks not reached before --max-duration."""
        reasons = []
        unusable = [t.message for t in tests if t.unusable]
        if unusable:
            reasons.append(f"{len(unusable)} checks could not use the target: {unusable[0]}")
        late = sum(t.late for t in tests)
        if late:
            reasons.append(f"{late} checks {contract.NOT_RUN}: {contract.MAX_DURATION_REACHED}")
        return reasons

    def _run(self) -> RunFacts:
        facts = _target_facts(self.config)
        figures = transport_info(self.config)
        transport = Transport(**figures) if figures else None
        if transport is not None:
            transport.summary = transport_summary(transport)
        baseline_file = self.settings.baseline_file
        return RunFacts(
            target_url=facts.get("target_url"),
            date=self.date,
            suite_version=_suite_version(),
            profile=facts.get("profile"),
            poll_timeout=facts.get("poll_timeout"),
            embedded=facts.get("embedded"),
            duration_s=round(time.monotonic() - self.started, 3),
            expected_failures_file=str(baseline_file) if baseline_file else None,
            transport=transport,
        )

    def _document(self, tests: list[TestOutcome]) -> Document:
        document = build_document(
            self._run(),
            requirement_set(self.config),
            tests,
            self.settings.baseline,
            self.settings.not_offered,
            self.config.getoption("account_key", None),
        )
        document.strict_should = bool(self.config.getoption("strict_should"))
        return document

    def _write(self, document: Document) -> None:
        folder = self.settings.report_dir
        folder.mkdir(parents=True, exist_ok=True)
        contents = {
            "report.json": json.dumps(document.to_json(), indent=2, ensure_ascii=False).encode(),
            "junit.xml": junit_xml(document),
            "report.html": report_html(document).encode(),
        }
        for name in REPORT_FILES:
            (folder / name).write_bytes(contents[name])
            self.written.append(folder / name)
        if self.settings.write_baseline_file:
            failing = {
                r.id: r.baseline_reason or _first_message(r)
                for r in document.requirements
                if r.status in (FAILED, EXPECTED_FAILURE)
            }
            target = document.run.target_url or "the target"
            write_baseline(self.settings.write_baseline_file, failing, target)
            self.written.append(self.settings.write_baseline_file)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.error:
            terminalreporter.write_sep("=", "Channels conformance", red=True)
            terminalreporter.write_line(f"channels conformance: {self.error}", red=True)
        elif self.document is not None:
            for line, markup in summary_lines(
                self.document,
                self.written,
                terminalreporter.config.invocation_params.dir,
                shutil.get_terminal_size().columns,
            ):
                if line.startswith("="):
                    terminalreporter.write_sep("=", line.strip("= "), **markup)
                else:
                    terminalreporter.write_line(line, **markup)
            transport = self.document.run.transport
            for line in transport.summary if transport else []:
                terminalreporter.write_line(f"transport: {line}", yellow=True)


def transport_summary(transport: Transport) -> list[str]:
    """Sentences on what the client did besides sending each request once, and why."""
    lines = []
    if transport.dropped or transport.fresh_connections:
        lines.append(
            f"the target closed {transport.dropped} kept-alive connection(s) under a request "
            f"without answering; {transport.resent} idempotent request(s) were sent again on "
            "a fresh connection"
            + ("; the run opened one connection per request" * transport.fresh_connections)
        )
    if transport.throttled:
        lines.append(
            f"{transport.throttled} answer(s) 429 were waited out "
            f"({transport.throttled_wait_s:g} s in all, as Retry-After asked) and sent again"
        )
    estimate = transport.estimated_s
    if estimate and estimate > LONG_RUN_WARNING_S:
        lines.append(
            f"a slow target ({transport.latency_ms:g} ms per answer): a whole run takes about "
            f"{estimate / 60:.0f} min; --max-duration is {transport.max_duration_s:g} s"
        )
    return lines


def _first_message(requirement: RequirementEntry) -> str:
    """The first line of the requirement's first failure, as a baseline reason to edit."""
    messages = [
        t.message
        for t in requirement.tests
        if t.message and t.status in (FAILED, EXPECTED_FAILURE) and t.found_broken
    ]
    text = messages[0].splitlines()[0] if messages else "fails"
    return text[:BASELINE_REASON_LIMIT]
