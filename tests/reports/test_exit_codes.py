"""Exit codes a CI gate reads: 0 all passed, 1 failures, 2 usage error, 5 nothing ran, and
--min-score on the core MUST score."""

from __future__ import annotations

import pytest

ALL_PASS = {
    "test_alpha_one": (("AAA-001",), "pass"),
    "test_beta_one": (("BBB-001",), "pass"),
}
BASELINE_FOR_DEFAULT = "AAA-002: known\nBBB-001: known\n"


def test_all_passed_is_0(suite):
    suite.write_checks(ALL_PASS)
    run = suite.run()
    assert run.ret == 0
    assert run.document["exit_status"] == 0
    assert run.document["counts"]["passed"] == 2


def test_a_failing_check_is_1(suite):
    suite.write_checks({**ALL_PASS, "test_alpha_two": (("AAA-002",), "fail")})
    assert suite.run().ret == 1


def test_an_error_in_setup_is_1(suite):
    suite.write_checks({**ALL_PASS, "test_alpha_two": (("AAA-002",), "error")})
    run = suite.run()
    assert run.ret == 1
    assert run.status("AAA-002") == "failed"
    test = next(t for t in run.document["tests"] if t["nodeid"].endswith("test_alpha_two"))
    assert test["message"].startswith("error in setup: RuntimeError")


def test_nothing_ran_is_5_and_still_reported(suite):
    suite.write_checks(
        {
            "test_beta_three": (("BBB-003",), "not run"),
            "test_beta_four": (("BBB-004",), "not applicable"),
        }
    )
    run = suite.run()
    assert run.ret == 5
    assert run.document["exit_status"] == 5
    assert run.status("BBB-003") == "not run"


def test_nothing_collected_is_5_without_reports(suite):
    suite.write_checks({})
    run = suite.run()
    assert run.ret == 5
    assert not run.report_dir.exists()


def test_other_failures_are_not_hidden_by_the_baseline(suite):
    """A failing test outside the conformance checks keeps the run failed."""
    suite.write("base.yaml", BASELINE_FOR_DEFAULT)
    suite.write_checks({"test_unit": ((), "fail")}, module="test_unit")
    run = suite.run("--expected-failures", "base.yaml")
    assert run.ret == 1
    assert run.document["counts"]["failed"] == 0
    assert run.document["gate_failures"] == [
        "1 failure outside the conformance checks (other tests or collection errors)"
    ]


@pytest.mark.parametrize(("min_score", "code"), [("50", 0), ("50.1", 1), ("0", 0)])
def test_min_score_gates_on_core_must(suite, min_score, code):
    """The default suite's core MUST score is 50% (2 of 4); its failures are baselined."""
    suite.write("base.yaml", BASELINE_FOR_DEFAULT)
    run = suite.run("--expected-failures", "base.yaml", "--min-score", min_score)
    assert run.document["score"]["core_must"]["percent"] == 50.0
    assert run.ret == code
    if code:
        assert run.document["gate_failures"] == [
            f"core MUST score 50% is below --min-score {min_score}%"
        ]


def test_min_score_fails_when_no_core_must_requirement_ran(suite):
    suite.write_checks({"test_alpha_three": (("AAA-003",), "pass")})
    run = suite.run("--min-score", "10")
    assert run.ret == 1
    assert run.document["gate_failures"] == [
        "no core MUST requirement was checked (--min-score 10)"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--min-score", "high"], "--min-score must be a percentage from 0 to 100, not 'high'"),
        (["--min-score", "101"], "--min-score must be a percentage from 0 to 100, not '101'"),
        (["--expected-failures", "missing.yaml"], "cannot read expected-failures file"),
        (["--without", "teleport"], "unknown capability 'teleport' (choose from: rooms,"),
        (["--capabilities", "missing.yaml"], "cannot read capabilities file"),
    ],
)
def test_bad_options_are_usage_errors_2(suite, args, message):
    run = suite.run(*args, subprocess=True)
    assert run.ret == 2
    errors = [line for line in run.result.stderr.lines if "channels conformance:" in line]
    assert len(errors) == 1 and message in errors[0]
    assert not run.report_dir.exists()


def test_xdist_controller_writes_the_reports(suite):
    """Under xdist the workers' reports reach the controller, which alone writes the files."""
    run = suite.run("-n", "2", subprocess=True)
    assert run.ret == 1
    assert run.document["counts"] == {
        "failed": 2,
        "unexpectedly passing": 0,
        "expected failure": 0,
        "passed": 4,
        "not run": 2,
        "not applicable": 1,
    }
    assert len(run.document["tests"]) == 8
    test = next(t for t in run.document["tests"] if t["nodeid"].endswith("test_alpha_two"))
    assert test["exchanges"][0]["status"] == 500
    assert run.result.stdout.str().count("= Channels conformance =") == 1


def test_a_report_dir_that_cannot_be_written_is_2(suite):
    blocker = suite.write("taken", "a file where the report folder should go\n")
    run = suite.run("--report-dir", str(blocker))
    assert run.ret == 2
    errors = [line for line in run.result.stdout.lines if "channels conformance:" in line]
    assert len(errors) == 1 and f"cannot write the reports to {blocker}" in errors[0]


def test_a_broken_requirements_file_is_a_usage_error_2(suite):
    """The requirement set is read once at start-up: a broken one stops the run there."""
    suite.write("broken.yaml", "requirements: [\n")
    run = suite.run("--requirements-file", "broken.yaml", subprocess=True)
    assert run.ret == 2
    errors = [line for line in run.result.stderr.lines if "channels conformance:" in line]
    assert len(errors) == 1 and "cannot read requirements file" in errors[0]
    assert not run.report_dir.exists()
