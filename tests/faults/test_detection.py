"""The conformance suite proved on the fault catalogue (issue 6): for every fault of
``mock_server/faults.py`` a run of the suite against ``channels-mock serve --fault NAME`` fails,
on a check marked with the requirement the fault breaks; without faults the suite passes.

What a fault run executes: the checks of the fault's requirement (``--requirement ID``), stopped
at the first failure (``-x``). That proves the requirement's own checks catch the fault, at a
few seconds per fault. With ``CHANNELS_FAULTS_WHOLE_SUITE=1`` each fault run is the whole suite
in its usual order instead, still stopped at its first failure, which must then be a check of
the fault's requirement: the slower proof that nothing else breaks first. The runs without
faults are always whole-suite runs (core and platform profiles; the throttling checks alone,
with the mock throttled). Runs are subprocesses, spread over the xdist workers; the detection
score and the wall time are printed at the end of the session (``tests/faults/score.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mock_server.faults import CATALOGUE, Fault
from tests.faults.runner import Setup, clean_setups, run_suite, setup_for

WHOLE_SUITE = os.environ.get("CHANNELS_FAULTS_WHOLE_SUITE") == "1"


@pytest.mark.parametrize("fault", list(CATALOGUE.values()), ids=lambda f: f.name)
def test_suite_catches_fault(fault: Fault, tmp_path: Path) -> None:
    run = run_suite([fault.name], setup_for(fault.requirement, WHOLE_SUITE), tmp_path)
    assert run.exit_code == 1, f"the suite did not fail with fault {fault.name}: {run.explain()}"
    assert run.caught_on(fault.requirement), (
        f"fault {fault.name} breaks {fault.requirement}, but no failed check is marked with it: "
        f"{run.explain()}"
    )


@pytest.mark.parametrize(
    "setup", clean_setups(f.requirement for f in CATALOGUE.values()), ids=lambda s: s.name
)
def test_suite_passes_without_faults(setup: Setup, tmp_path: Path) -> None:
    run = run_suite([], setup, tmp_path)
    assert run.exit_code == 0 and not run.failed, run.explain()
    assert run.passed > 0, f"no check ran: {run.explain()}"
