"""Expected-failure baselines: listed failures pass the gate, listed checks that now pass fail
it (stale entries must not rot), and --write-baseline starts one from a run."""

from __future__ import annotations

import pytest
import yaml

from conformance.report.baseline import entry_matches_test

CHECK = "conformance/checks/test_history.py::test_history_page_size[2]"


def test_listed_failures_are_expected_and_pass_the_gate(suite):
    suite.write("base.yaml", "AAA-002: order bug, issue 12\nBBB-001: not implemented yet\n")
    run = suite.run("--expected-failures", "base.yaml")
    assert run.ret == 0
    assert run.status("AAA-002") == "expected failure"
    assert run.status("BBB-001") == "expected failure"
    assert run.document["counts"]["failed"] == 0
    assert run.document["counts"]["expected failure"] == 2
    # Expected failures still count against the score.
    assert run.document["score"]["core_must"]["percent"] == 50.0
    requirement = next(r for r in run.document["requirements"] if r["id"] == "AAA-002")
    assert requirement["baseline_reason"] == "order bug, issue 12"
    case = next(c for c in run.junit.iter("testcase") if c.get("name") == "test_alpha_two")
    skipped = case.find("skipped")
    assert skipped is not None
    assert skipped.get("message").startswith("expected failure (order bug, issue 12): ")


def test_an_unlisted_failure_still_fails(suite):
    suite.write("base.yaml", "AAA-002: order bug\n")
    run = suite.run("--expected-failures", "base.yaml")
    assert run.ret == 1
    assert run.status("AAA-002") == "expected failure"
    assert run.status("BBB-001") == "failed"


def test_a_stale_entry_fails_the_run(suite):
    suite.write("base.yaml", "AAA-002: known\nBBB-001: known\nAAA-001: fixed long ago\n")
    run = suite.run("--expected-failures", "base.yaml")
    assert run.ret == 1
    assert run.status("AAA-001") == "unexpectedly passing"
    assert run.document["baseline"]["stale"] == ["AAA-001"]
    assert run.document["gate_failures"] == [
        "1 expected-failure entry now passes (remove from the baseline): AAA-001"
    ]
    # unexpectedly passing counts as passed in the score
    assert run.document["score"]["core_must"]["passed"] == 2
    case = next(c for c in run.junit.iter("testcase") if c.get("name") == "test_alpha_one")
    failure = case.find("failure")
    assert failure is not None and "fixed long ago" in failure.get("message")


def test_test_id_entries_full_and_short(suite):
    suite.write(
        "base.yaml", "test_checks.py::test_alpha_two: flaky\ntest_beta_one: by function name\n"
    )
    run = suite.run("--expected-failures", "base.yaml")
    assert run.ret == 0
    assert run.status("AAA-002") == "expected failure"
    assert run.status("BBB-001") == "expected failure"


def test_a_stale_test_id_entry_fails_the_run(suite):
    suite.write("base.yaml", "AAA-002: known\nBBB-001: known\ntest_rooms: rooms were broken\n")
    run = suite.run("--expected-failures", "base.yaml")
    assert run.ret == 1
    assert run.document["baseline"]["stale"] == ["test_rooms"]
    assert run.status("ROOM-001") == "unexpectedly passing"


def test_entries_for_checks_that_did_not_run_are_neither_stale_nor_expected(suite):
    suite.write(
        "base.yaml", "AAA-002: known\nBBB-001: known\nBBB-003: opt-in check fails\nZZZ-404: typo\n"
    )
    run = suite.run("--expected-failures", "base.yaml")
    assert run.ret == 0
    assert run.status("BBB-003") == "not run"
    assert run.document["baseline"]["stale"] == []
    assert run.document["baseline"]["unmatched"] == ["ZZZ-404"]
    assert "ZZZ-404" in run.html_path.read_text()


def test_write_baseline_then_use_it(suite):
    first = suite.run("--write-baseline", "written.yaml")
    assert first.ret == 1  # writing a baseline does not hide this run's failures
    written = (suite.pytester.path / "written.yaml").read_text()
    assert written.startswith("# Expected failures of ")
    entries = yaml.safe_load(written)
    assert entries == {
        "AAA-002": "AssertionError: wrong status 500 for test_alpha_two",
        "BBB-001": "AssertionError: wrong status 500 for test_beta_one",
    }
    second = suite.run("--expected-failures", "written.yaml", "--write-baseline", "again.yaml")
    assert second.ret == 0
    assert yaml.safe_load((suite.pytester.path / "again.yaml").read_text()) == entries


def test_a_baseline_that_is_not_a_mapping_is_a_usage_error(suite):
    suite.write("base.yaml", "- AAA-002\n- BBB-001\n")
    run = suite.run("--expected-failures", "base.yaml", subprocess=True)
    assert run.ret == 2
    assert "must map requirement or test ids to reasons" in run.result.stderr.str()


def test_a_shared_test_is_only_expected_for_the_listed_requirement(suite):
    suite.write_checks({"test_shared": (("AAA-001", "AAA-002"), "fail")})
    suite.write("base.yaml", "AAA-002: known\n")
    run = suite.run("--expected-failures", "base.yaml")
    assert run.ret == 1
    assert run.status("AAA-002") == "expected failure"
    assert run.status("AAA-001") == "failed"
    case = next(run.junit.iter("testcase"))
    assert case.find("failure") is not None  # the test still fails AAA-001


@pytest.mark.parametrize(
    "entry",
    [CHECK, "test_history.py::test_history_page_size[2]", "test_history_page_size[2]"],
)
def test_a_test_entry_is_the_node_id_or_its_tail(entry):
    assert entry_matches_test(entry, CHECK)


@pytest.mark.parametrize(
    "entry",
    [
        "conformance/test_history.py::test_history_page_size[2]",  # before conformance/checks/
        "history.py::test_history_page_size[2]",
        "page_size[2]",
    ],
)
def test_a_test_entry_matches_no_other_node_id(entry):
    assert not entry_matches_test(entry, CHECK)
