"""The summary printed at the end of every run: scores per area, failing requirements with
their statements, and where the reports went."""

from __future__ import annotations


def _summary(run) -> str:
    text = run.result.stdout.str()
    start = text.index("= Channels conformance =")
    return text[start:]


def test_summary_shows_area_scores_failures_and_paths(suite):
    summary = _summary(suite.run())
    lines = summary.splitlines()
    alpha = next(line for line in lines if line.startswith("AAA     Alpha things"))
    assert alpha.split()[3:6] == ["2/3", "66.7%", "1/1"]
    beta = next(line for line in lines if line.startswith("BBB     Beta things"))
    assert beta.split()[3:6] == ["0/1", "0%", "-"]
    assert "core MUST score: 2/4 50% of checked requirements (1 not run, not counted)" in summary
    assert "AAA-002  MUST   Alpha two keeps <order> & case." in summary
    assert "BBB-001  MUST   Beta one rejects bad payloads." in summary
    assert "gate: 2 requirements failed" in summary
    for name in ("report.json", "junit.xml", "report.html"):
        assert f"written: out/{name}" in summary


def test_summary_names_expected_and_stale_entries(suite):
    suite.write("base.yaml", "AAA-002: known\nBBB-001: known\nROOM-001: stale\n")
    summary = _summary(
        suite.run("--expected-failures", "base.yaml", "--write-baseline", "new.yaml")
    )
    assert "expected failure (2):" in summary
    assert "unexpectedly passing (1):" in summary
    assert "ROOM-001 MUST   Rooms filter messages." in summary
    assert "now passes (remove from the baseline): ROOM-001" in summary
    assert "written: new.yaml" in summary
