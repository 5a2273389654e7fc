"""The fault self-test's summary: the detection score (faults caught / faults run) and the wall
time of the fault runs, printed at the end of the session.

The plugin runs where the test reports arrive, which under xdist is the controller; it is
registered by ``tests/conftest.py`` because the controller loads that conftest (it does not
collect ``tests/faults`` itself).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

MODULE = "tests/faults/test_detection.py::"
FAULT_TEST = MODULE + "test_suite_catches_fault["
CLEAN_TEST = MODULE + "test_suite_passes_without_faults["


@dataclass
class Tally:
    """Outcomes of the self-test's runs, by test id, and when they started and ended."""

    outcomes: dict[str, bool] = field(default_factory=dict)
    start: float | None = None
    stop: float | None = None

    def record(self, report: pytest.TestReport) -> None:
        ok = self.outcomes.get(report.nodeid, True) and not report.failed
        self.outcomes[report.nodeid] = ok and (report.when != "call" or report.passed)
        self.start = min(report.start, self.start or report.start)
        self.stop = max(report.stop, self.stop or report.stop)

    def of(self, prefix: str) -> dict[str, bool]:
        """Outcomes of the tests whose id starts with ``prefix``, keyed by parameter id."""
        return {
            nodeid[len(prefix) : -1]: ok
            for nodeid, ok in self.outcomes.items()
            if nodeid.startswith(prefix)
        }


class FaultScore:
    """A pytest plugin: tallies the self-test's reports and prints the summary."""

    def __init__(self) -> None:
        self.tally = Tally()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.nodeid.startswith(MODULE) and not report.skipped:
            self.tally.record(report)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        tally = self.tally
        faults, clean = tally.of(FAULT_TEST), tally.of(CLEAN_TEST)
        if not faults and not clean:
            return
        write = terminalreporter.write_line
        terminalreporter.section("fault self-test")
        if faults:
            caught = sum(faults.values())
            write(
                f"detection score: {caught}/{len(faults)} faults caught on their requirement "
                f"({100 * caught / len(faults):.0f} %)"
            )
            missed = sorted(name for name, ok in faults.items() if not ok)
            if missed:
                write(f"missed: {', '.join(missed)}")
        if clean:
            passed = sorted(name for name, ok in clean.items() if ok)
            failed = sorted(name for name, ok in clean.items() if not ok)
            write(
                f"runs without faults: {len(passed)} passed ({', '.join(passed) or '-'}), "
                f"{len(failed)} failed ({', '.join(failed) or '-'})"
            )
        if tally.start is not None and tally.stop is not None:
            write(
                f"self-test wall time: {tally.stop - tally.start:.0f} s "
                "(first run started to last run ended)"
            )
