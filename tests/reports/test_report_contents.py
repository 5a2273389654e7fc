"""Contents of report.json, junit.xml and report.html for a run against a target that breaks
known requirements (the synthetic suite fails AAA-002 and BBB-001 on purpose)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime
from importlib import metadata
from pathlib import Path

import xmlschema

from conformance.report.exchange import present_exchange
from tests.reports.conftest import ACCOUNT_KEY

XSD = Path(__file__).with_name("junit.xsd")

EXPECTED_STATUS = {
    "AAA-001": "passed",
    "AAA-002": "failed",
    "AAA-003": "passed",
    "AAA-004": "passed",
    "BBB-001": "failed",
    "BBB-002": "not run",  # no test at all
    "BBB-003": "not run",  # skipped as "not run:"
    "BBB-004": "not applicable",  # skipped as "not applicable:"
    "ROOM-001": "passed",
}


def test_every_requirement_gets_its_status_and_the_run_fails(suite):
    run = suite.run()
    assert run.ret == 1
    document = run.document
    assert {r["id"]: r["status"] for r in document["requirements"]} == EXPECTED_STATUS
    assert document["counts"] == {
        "failed": 2,
        "unexpectedly passing": 0,
        "expected failure": 0,
        "passed": 4,
        "not run": 2,
        "not applicable": 1,
    }
    assert document["gate_failures"] == ["2 requirements failed"]
    assert document["exit_status"] == 1


def test_scores_count_only_checked_requirements(suite):
    document = suite.run().document
    # core MUST: AAA-001, ROOM-001 passed; AAA-002, BBB-001 failed; BBB-002 not run; BBB-004 n/a
    assert document["score"]["core_must"] == {
        "passed": 2,
        "checked": 4,
        "percent": 50.0,
        "not_run": 1,
        "not_applicable": 1,
        "total": 6,
    }
    assert document["score"]["levels"]["MUST"]["percent"] == 60.0  # AAA-004 (platform) too
    assert document["score"]["levels"]["SHOULD"] == {
        "passed": 1,
        "checked": 1,
        "percent": 100.0,
        "not_run": 1,
        "not_applicable": 0,
        "total": 2,
    }
    areas = {a["id"]: a for a in document["areas"]}
    assert [a["id"] for a in document["areas"]] == ["AAA", "BBB", "ROOM"]
    assert areas["AAA"]["name"] == "Alpha things"
    assert areas["AAA"]["scores"]["MUST"]["percent"] == 66.7
    assert areas["BBB"]["scores"]["MUST"] == {
        "passed": 0,
        "checked": 1,
        "percent": 0.0,
        "not_run": 1,
        "not_applicable": 1,
        "total": 3,
    }
    assert "never count as passed" in document["scoring"]


def test_run_facts_tests_and_failure_messages(suite):
    document = suite.run().document
    assert datetime.fromisoformat(document["date"]).tzinfo is not None
    assert document["suite_version"] == metadata.version("syncano-channels-conformance")
    assert document["duration_s"] >= 0
    failing = next(r for r in document["requirements"] if r["id"] == "AAA-002")
    assert failing["statement"] == "Alpha two keeps <order> & case."
    assert failing["level"] == "MUST"
    assert failing["tests"] == [
        {
            "nodeid": "test_checks.py::test_alpha_two",
            "status": "failed",
            "found_broken": True,
            "message": "AssertionError: wrong status 500 for test_alpha_two\nassert False",
        }
    ]
    tests = {t["nodeid"].split("::")[1]: t for t in document["tests"]}
    assert len(tests) == 8
    assert tests["test_alpha_three"]["measurements"] == {"wake_ms": 12.5}
    assert tests["test_beta_three"]["message"] == "not run: needs --poll-timeout"
    assert "test_checks.py:" in tests["test_beta_one"]["details"]  # the traceback


def test_exchanges_mask_the_account_key_and_carry_a_working_curl(suite):
    document = suite.run().document
    test = next(t for t in document["tests"] if t["nodeid"].endswith("test_alpha_two"))
    [exchange] = test["exchanges"]
    assert ACCOUNT_KEY not in json.dumps(document)
    assert exchange["request_headers"]["X-API-KEY"] == "${CHANNELS_ACCOUNT_KEY}"
    assert exchange["status"] == 500
    assert exchange["response_body"] == "<html>Server Error</html>"
    # Run the command line through a real shell with curl swapped for an argv printer.
    printer = f"{sys.executable} -c 'import json,sys; print(json.dumps(sys.argv[1:]))'"
    command = exchange["curl"].replace("curl", printer, 1)
    out = subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        text=True,
        check=True,
        env={"CHANNELS_ACCOUNT_KEY": ACCOUNT_KEY, "PATH": "/usr/bin:/bin"},
    )
    assert json.loads(out.stdout) == [
        "-sS",
        "-i",
        "-X",
        "POST",
        f"http://127.0.0.1:9/v1.1/instances/i/channels/c/publish/?api_key={ACCOUNT_KEY}"
        "test_alpha_two",
        "-H",
        f"X-API-KEY: {ACCOUNT_KEY}",
        "-H",
        "Content-Type: application/json",
        "--data-raw",
        '{"payload": {"text": "it\'s <b>"}}',
    ]


def test_junit_validates_and_names_requirements(suite):
    run = suite.run()
    xmlschema.XMLSchema(XSD).validate(run.report_dir / "junit.xml")
    suite_element = run.junit.find("testsuite")
    assert suite_element is not None
    assert {k: suite_element.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "8",
        "failures": "2",
        "errors": "0",
        "skipped": "2",
    }
    cases = {case.get("name"): case for case in suite_element.iter("testcase")}
    assert cases["test_alpha_two"].get("classname") == "test_checks"
    requirement_props = {
        name: [p.get("value") for p in case.iter("property") if p.get("name") == "requirement"]
        for name, case in cases.items()
    }
    assert requirement_props["test_beta_one"] == ["BBB-001"]
    assert all(len(ids) == 1 for ids in requirement_props.values())
    failure = cases["test_beta_one"].find("failure")
    assert failure is not None
    assert "wrong status 500 for test_beta_one" in failure.get("message")
    skipped = cases["test_beta_four"].find("skipped")
    assert skipped is not None and skipped.get("message").startswith("not applicable")
    measured = cases["test_alpha_three"].find("properties/property[@name='measurement:wake_ms']")
    assert measured is not None and measured.get("value") == "12.5"


def test_junit_stays_valid_with_errors_and_odd_characters(suite):
    suite.write_checks(
        {
            "test_setup_error": (("AAA-001",), "error"),
            "test_control_chars": (("AAA-002",), "fail"),
        }
    )
    suite.write(
        "test_odd.py",
        """
        import pytest

        @pytest.mark.requirement("BBB-001")
        def test_odd():
            assert False, "body \\x00\\x1b[31m <tag> & 'quote'"
    """,
    )
    run = suite.run()
    xmlschema.XMLSchema(XSD).validate(run.report_dir / "junit.xml")
    suite_element = run.junit.find("testsuite")
    assert suite_element.get("errors") == "1"
    assert suite_element.get("failures") == "2"


def test_html_is_self_contained_and_escaped(suite):
    html = suite.run().html_path.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"<link|<img|<iframe|\bsrc=|@import|url\(", html)
    assert not re.search(r'href="(?!#)', html)  # only in-page links
    assert "Alpha two keeps &lt;order&gt; &amp; case." in html
    assert "<html>Server Error</html>" not in html
    assert ACCOUNT_KEY not in html


def test_plain_test_runs_write_no_report(suite):
    suite.write_checks({"test_plain": ((), "pass")})
    run = suite.run()
    assert run.ret == 0
    assert not run.report_dir.exists()


def test_a_requirement_fails_when_any_of_its_tests_fails(suite):
    suite.write_checks(
        {
            "test_one_way": (("AAA-001",), "pass"),
            "test_other_way": (("AAA-001",), "fail"),
            "test_three_checked": (("AAA-003",), "pass"),
            "test_three_opt_in": (("AAA-003",), "not run"),
            "test_shared": (("BBB-001", "ROOM-001"), "fail"),
        }
    )
    run = suite.run()
    assert run.status("AAA-001") == "failed"
    assert run.status("AAA-003") == "passed"  # one ran and passed, the other did not run
    assert run.status("BBB-001") == "failed"
    assert run.status("ROOM-001") == "failed"
    requirement = next(r for r in run.document["requirements"] if r["id"] == "AAA-001")
    assert [t["status"] for t in requirement["tests"]] == ["passed", "failed"]


def test_pytest_xfail_counts_as_expected_failure(suite):
    suite.write(
        "test_xfail.py",
        """
        import pytest

        @pytest.mark.requirement("AAA-001")
        @pytest.mark.xfail(reason="known platform quirk")
        def test_quirk():
            assert False
    """,
    )
    suite.write_checks({})
    run = suite.run()
    assert run.ret == 0
    assert run.status("AAA-001") == "expected failure"


def test_a_body_the_suite_cut_is_flagged_beside_its_curl():
    exchange = {
        "method": "POST",
        "url": "http://127.0.0.1:9/p/",
        "request_headers": {},
        "request_body": '{"payload": "aaaa... (70000 chars)',
        "status": 400,
        "response_headers": {},
        "response_body": "",
        "elapsed_ms": 1.0,
    }
    view = present_exchange(exchange, None)
    assert (view["request_body_cut"], view["request_body_size"]) == (True, 70000)
    whole = present_exchange({**exchange, "request_body": '{"payload": "aaaa"}'}, None)
    assert (whole["request_body_cut"], whole["request_body_size"]) == (False, 19)
