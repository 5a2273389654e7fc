"""The gate as RFC 2119 reads: MUST failures fail the run; SHOULD and MAY failures are warnings
unless --strict-should; requirements outside the run's profile are not applicable, whatever
their checks did."""

from __future__ import annotations

from pathlib import Path

import pytest
import xmlschema

XSD = Path(__file__).with_name("junit.xsd")
SHOULD_FAILS = {
    "test_alpha_one": (("AAA-001",), "pass"),
    "test_alpha_three": (("AAA-003",), "fail"),
}

# Run facts as the suite plugin gives them: its options, without its target.
RUN_FACTS_PLUGIN = """
def pytest_addoption(parser):
    parser.addoption("--target-url")
    parser.addoption("--profile", default="core")
    parser.addoption("--poll-timeout")
"""


def _junit_totals(run) -> dict[str, str]:
    element = run.junit.find("testsuite")
    return {k: element.get(k) for k in ("failures", "errors", "skipped")}


def test_a_should_failure_is_a_warning_and_passes_the_gate(suite):
    suite.write_checks(SHOULD_FAILS)
    run = suite.run()
    assert run.ret == 0
    assert run.status("AAA-003") == "failed"
    warning = "1 SHOULD requirement failed (fails the run only with --strict-should): AAA-003"
    assert run.document["gate_failures"] == []
    assert run.document["gate_warnings"] == [warning]
    assert f"warning: {warning}" in run.result.stdout.str()
    assert f"Warning: {warning}" in run.html_path.read_text()
    xmlschema.XMLSchema(XSD).validate(run.report_dir / "junit.xml")
    assert _junit_totals(run) == {"failures": "0", "errors": "0", "skipped": "1"}
    case = next(c for c in run.junit.iter("testcase") if c.get("name") == "test_alpha_three")
    skipped = case.find("skipped")
    assert skipped is not None and skipped.get("type") == "warning"


def test_strict_should_fails_the_run_on_a_should_failure(suite):
    suite.write_checks(SHOULD_FAILS)
    run = suite.run("--strict-should")
    assert run.ret == 1
    assert run.document["gate_failures"] == ["1 requirement failed"]
    assert run.document["gate_warnings"] == []
    assert _junit_totals(run) == {"failures": "1", "errors": "0", "skipped": "0"}


@pytest.mark.parametrize("strict", [False, True])
def test_a_must_failure_fails_the_run(suite, strict):
    suite.write_checks({**SHOULD_FAILS, "test_alpha_two": (("AAA-002",), "fail")})
    run = suite.run(*(["--strict-should"] if strict else []))
    assert run.ret == 1
    assert run.document["gate_failures"] == [f"{1 + strict} requirement{'s' * strict} failed"]


def test_a_check_that_broke_only_its_should_requirement_passes_the_gate(suite):
    """Marked with a MUST and a SHOULD, it found the SHOULD one broken: no test failure
    reason either."""
    suite.write_checks({"test_shared": (("AAA-003", "AAA-001"), "break first")})
    run = suite.run()
    assert run.ret == 0
    assert run.status("AAA-003") == "failed"
    assert run.status("AAA-001") == "not run"
    assert run.document["gate_failures"] == []


@pytest.mark.parametrize(
    ("profile", "status", "code"), [("core", "not applicable", 0), ("platform", "failed", 1)]
)
def test_a_platform_requirement_is_not_applicable_in_a_core_run(suite, profile, status, code):
    """AAA-004 is of the platform profile; core-marked checks name it too."""
    suite.write("run_facts.py", RUN_FACTS_PLUGIN)
    suite.pytester.syspathinsert()
    suite.write_checks(
        {
            "test_alpha_one_and_four": (("AAA-001", "AAA-004"), "pass"),
            "test_alpha_four_broken": (("AAA-004", "AAA-002"), "break first"),
        }
    )
    run = suite.run("-p", "run_facts", "--profile", profile)
    assert run.document["profile"] == profile
    assert run.status("AAA-004") == status
    assert run.status("AAA-001") == "passed"
    assert run.ret == code
    assert run.document["counts"]["failed"] == code
