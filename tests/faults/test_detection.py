"""The conformance suite proved on the fault catalogue (issue 6): for every fault of
``mock_server/faults.py`` a run of the suite against the mock with that fault fails, and its
first failure is a check of the requirement the fault breaks; with no fault the suite passes.

Each run is the whole suite, in its usual order, stopped at its first failure (``-x``), so a
fault that broke another requirement first would be reported as caught on the wrong one. The
runs are independent subprocesses, spread over the xdist workers; the detection score and the
wall time are printed at the end of the session (``tests/faults/score.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server.faults import CATALOGUE, Fault
from tests.faults.runner import Setup, run_suite, setup_for

CLEAN_SETUPS = sorted({setup_for(f.requirement) for f in CATALOGUE.values()}, key=lambda s: s.name)


@pytest.mark.parametrize("fault", list(CATALOGUE.values()), ids=lambda f: f.name)
def test_suite_catches_fault(fault: Fault, tmp_path: Path) -> None:
    run = run_suite([fault.name], setup_for(fault.requirement), tmp_path)
    assert run.exit_code == 1, f"the suite did not fail with fault {fault.name}: {run.explain()}"
    assert run.caught_on(fault.requirement), (
        f"fault {fault.name} breaks {fault.requirement}, but the first failure is not one of "
        f"its checks: {run.explain()}"
    )


@pytest.mark.parametrize("setup", CLEAN_SETUPS, ids=lambda s: s.name)
def test_suite_passes_without_faults(setup: Setup, tmp_path: Path) -> None:
    run = run_suite([], setup, tmp_path)
    assert run.exit_code == 0 and not run.failed, run.explain()
    assert run.passed > 0, f"no check ran: {run.explain()}"
