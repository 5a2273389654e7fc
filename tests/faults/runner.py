"""One conformance run against a mock started with faults, as a user would do it:
``channels-mock serve --fault NAME`` in one process, ``pytest --target-url`` in another, and the
verdict read back from the run's report.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spec
from conformance import launch
from conformance.plugin import CHECKS_DIR
from conformance.provision import random_key

ROOT = Path(__file__).resolve().parents[2]
SUITE = CHECKS_DIR
POLL_TIMEOUT = launch.EMBEDDED_POLL_TIMEOUT
RATE_LIMIT = 20
RUN_TIMEOUT = 300.0
FAILED = ("failed", "error")
OUTPUT_TAIL = 3000


@dataclass(frozen=True)
class Setup:
    """How a requirement is checked: the suite profile, the mock's extra options, the suite's
    extra options, and whether the run keeps only that requirement's checks."""

    profile: str = "core"
    mock_options: tuple[str, ...] = ()
    suite_options: tuple[str, ...] = ()
    only: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """A short label for test ids and messages."""
        label = self.profile
        if self.only:
            label += "-only-" + "-".join(self.only)
        return label


def setup_for(requirement_id: str, whole_suite: bool = False) -> Setup:
    """The setup of a run that checks ``requirement_id``: only that requirement's checks, or
    with ``whole_suite`` every check. Platform requirements need the platform profile (and the
    mock's platform mode); throttling needs a rate limit on both sides, which would throttle
    the other checks too, so a throttling run keeps the throttling checks only."""
    profile = spec.requirements()[requirement_id]["profile"]
    if requirement_id.startswith("THR-"):
        limit = str(RATE_LIMIT)
        return Setup(profile, ("--throttle", limit), ("--rate-limit", limit), (requirement_id,))
    return Setup(profile, only=() if whole_suite else (requirement_id,))


def clean_setups(requirement_ids: Iterable[str]) -> list[Setup]:
    """The setups a run without faults must pass in, so that a fault run failing in one of
    them is the fault's doing: the whole suite in each profile, throttled runs as they are."""
    setups = {setup_for(i, whole_suite=True) for i in requirement_ids}
    return sorted(setups, key=lambda setup: setup.name)


@dataclass(frozen=True)
class FailedTest:
    """A test that failed (or errored) in a run, with the requirement ids it is marked with."""

    nodeid: str
    requirements: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class SuiteRun:
    """The outcome of one conformance run."""

    exit_code: int
    failed: tuple[FailedTest, ...]
    passed: int
    seconds: float
    output: str
    failed_requirements: tuple[str, ...]  # the report's verdict, not the failed tests' markers

    def caught_on(self, requirement_id: str) -> list[FailedTest]:
        """The failed tests marked with ``requirement_id``."""
        return [test for test in self.failed if requirement_id in test.requirements]

    def explain(self) -> str:
        """What the run did, for an assertion message."""
        failures = "\n".join(
            f"  {t.nodeid} {list(t.requirements)}: {t.message}" for t in self.failed
        )
        return (
            f"exit code {self.exit_code}, {self.passed} passed, {len(self.failed)} failed in "
            f"{self.seconds:.1f} s\n{failures or '  (no failed test)'}\n"
            f"--- output (tail) ---\n{self.output[-OUTPUT_TAIL:]}"
        )


def _clean_environment() -> dict[str, str]:
    """This process's environment without what the outer pytest (and xdist) set for itself,
    and with bytecode writing allowed: pytest then caches its assertion-rewritten modules
    instead of rewriting them in every one of the many runs (about a second each)."""
    dropped = ("PYTEST_XDIST", "PYTEST_CURRENT_TEST", "CHANNELS_", "PYTHONDONTWRITEBYTECODE")
    return {name: value for name, value in os.environ.items() if not name.startswith(dropped)}


def _failed_tests(report: dict[str, Any]) -> tuple[FailedTest, ...]:
    return tuple(
        FailedTest(test["nodeid"], tuple(test.get("requirements", ())), test.get("message", ""))
        for test in report.get("tests", [])
        if test.get("outcome") in FAILED
    )


def _failed_requirements(report: dict[str, Any]) -> tuple[str, ...]:
    return tuple(r["id"] for r in report.get("requirements", []) if r.get("status") == "failed")


def run_suite(
    faults: Sequence[str], setup: Setup, report_dir: Path, stop_at_first: bool = True
) -> SuiteRun:
    """Start the mock with ``faults``, run the suite against it (stopping at its first failure
    unless told otherwise) and read the verdict from report.json. SHOULD and MAY failures fail
    the run too (--strict-should): many faults break one of those."""
    options = [*setup.mock_options]
    for name in faults:
        options += ["--fault", name]
    started = time.monotonic()
    mock = launch.start(random_key("account"), setup.profile, options)
    command = [
        sys.executable, "-m", "pytest", str(SUITE), "-q", "-p", "no:xdist",
        "--target-url", mock.url, "--account-key", mock.account_key,
        "--poll-timeout", f"{POLL_TIMEOUT:g}", "--profile", setup.profile,
        "--report-dir", str(report_dir), "--strict-should", *setup.suite_options,
    ]  # fmt: skip
    if setup.only:
        command += ["--requirement", ",".join(setup.only)]
    if stop_at_first:
        command.append("-x")
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=_clean_environment(), capture_output=True, text=True,
            timeout=RUN_TIMEOUT, check=False,
        )  # fmt: skip
    finally:
        mock.stop()
    report_file = report_dir / "report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {}
    passed = sum(1 for test in report.get("tests", []) if test.get("outcome") == "passed")
    return SuiteRun(
        done.returncode,
        _failed_tests(report),
        passed,
        time.monotonic() - started,
        done.stdout + done.stderr,
        _failed_requirements(report),
    )
