"""Generated requests from spec/openapi.yaml: every operation with positive and negative input,
and scenarios along the document's links, judged per GEN requirement (see conformance.fuzz).

`--fuzz-examples N` sets the cases per operation (and the number of scenarios); `--fuzz-seed S`
repeats a run exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from conformance import expect, plugin
from conformance.client import Client
from conformance.fuzz import explore
from conformance.fuzz.judging import REQUIREMENTS, Findings
from conformance.provision import Provisioner


@pytest.fixture(scope="session")
def fuzz_runs(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    client: Client,
    provisioner: Provisioner,
    target: plugin.Target,
) -> Iterator[explore.Runs]:
    """The fuzz's own instance and this process's runs (deleted with the instance at the end).
    Hypothesis keeps its caches in a temporary directory, not in the working tree."""
    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))
    settings = explore.Settings.from_config(request.config, target.instance, target.embedded)
    ground = explore.build_ground(provisioner)
    yield explore.Runs(ground, explore.Sender(client, provisioner, settings), settings)
    provisioner.delete_instance(ground.instance)
    set_hypothesis_home_dir(None)


def _assert_clean(
    findings: Findings,
    requirement: str,
    what: str,
    runs: explore.Runs,
    client: Client,
    measure: Callable[[str, float], None],
) -> None:
    measure("generated_requests", findings.cases)
    measure("unanswered_polls", findings.unanswered_polls)
    found = findings.of(requirement)
    for finding in found:
        client.log.add(finding.reply)
    expect.check(
        not found,
        f"no finding among {findings.cases} generated requests ({what}, --fuzz-seed "
        f"{runs.settings.seed}); found {findings.counts.get(requirement, 0)}, e.g.:\n"
        + "\n".join(f.describe() for f in found),
        req=requirement,
    )
    assert findings.cases, f"no request was generated for {what}"


@pytest.mark.parametrize(
    ("operation_id", "requirement"),
    [
        pytest.param(op, rid, id=f"{op}-{rid}", marks=pytest.mark.requirement(rid))
        for op in explore.operation_ids()
        for rid in REQUIREMENTS
    ],
)
def test_generated_requests(
    operation_id: str,
    requirement: str,
    fuzz_runs: explore.Runs,
    client: Client,
    measure: Callable[[str, float], None],
) -> None:
    """Positive and negative cases of one operation, judged for one requirement."""
    findings = fuzz_runs.operation(operation_id)
    _assert_clean(findings, requirement, operation_id, fuzz_runs, client, measure)


@pytest.mark.parametrize(
    "requirement",
    [pytest.param(rid, id=rid, marks=pytest.mark.requirement(rid)) for rid in REQUIREMENTS],
)
def test_linked_scenarios(
    requirement: str,
    fuzz_runs: explore.Runs,
    client: Client,
    measure: Callable[[str, float], None],
) -> None:
    """Create channel -> publish -> history -> poll (and the other links), data flowing."""
    findings = fuzz_runs.links()
    _assert_clean(findings, requirement, "linked scenarios", fuzz_runs, client, measure)
