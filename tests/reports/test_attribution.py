"""Exact attribution: a failing check fails the requirements its assertion found broken, and
no other requirement it is marked with; a failure that names none (a crash, a fixture error)
fails them all."""

from __future__ import annotations


def _requirement(run, requirement_id: str) -> dict:
    return next(r for r in run.document["requirements"] if r["id"] == requirement_id)


def _test(run, name: str) -> dict:
    return next(t for t in run.document["tests"] if t["nodeid"].endswith(f"::{name}"))


def test_a_check_fails_only_the_requirement_its_assertion_names(suite):
    suite.write_checks({"test_shared": (("AAA-001", "BBB-001"), "break first")})
    run = suite.run()
    assert run.ret == 1
    assert run.status("AAA-001") == "failed"
    assert run.status("BBB-001") == "not run"  # not reached, and nothing else checks it
    test = _test(run, "test_shared")
    assert (test["status"], test["broken"]) == ("failed", ["AAA-001"])
    assert _requirement(run, "AAA-001")["tests"][0]["found_broken"] is True
    assert _requirement(run, "BBB-001")["tests"][0]["found_broken"] is False
    assert run.document["gate_failures"] == ["1 requirement failed"]
    junit_case = next(run.junit.iter("testcase"))
    broken = [p.get("value") for p in junit_case.iter("property") if p.get("name") == "broken"]
    assert broken == ["AAA-001"]
    assert "test_shared failed on AAA-001 first" in run.html_path.read_text()


def test_a_requirement_the_failing_check_did_not_reach_passes_on_its_own_check(suite):
    suite.write_checks(
        {
            "test_shared": (("AAA-001", "BBB-001"), "break first"),
            "test_beta_alone": (("BBB-001",), "pass"),
        }
    )
    run = suite.run()
    assert run.status("AAA-001") == "failed"
    assert run.status("BBB-001") == "passed"


def test_a_failure_that_names_no_requirement_fails_them_all(suite):
    suite.write_checks(
        {
            "test_crash": (("AAA-001", "BBB-001"), "fail"),
            "test_setup_error": (("AAA-002", "ROOM-001"), "error"),
        }
    )
    run = suite.run()
    assert run.ret == 1
    for requirement_id in ("AAA-001", "BBB-001", "AAA-002", "ROOM-001"):
        assert run.status(requirement_id) == "failed"
    assert _test(run, "test_crash")["broken"] == ["AAA-001", "BBB-001"]


def test_a_broken_id_the_check_is_not_marked_with_fails_all_its_ids(suite):
    """An assertion naming a requirement outside the check's markers is a suite slip: the safe
    default applies."""
    suite.write(
        "test_slip.py",
        """
        import pytest

        from conformance import expect

        @pytest.mark.requirement("AAA-001", "BBB-001")
        def test_slip():
            expect.check(False, "a 201", req="ZZZ-999")
        """,
    )
    suite.write_checks({})
    run = suite.run()
    assert run.status("AAA-001") == "failed"
    assert run.status("BBB-001") == "failed"


def test_one_answer_names_each_requirement_it_breaks(suite):
    suite.write(
        "test_each.py",
        """
        import pytest

        from conformance import expect

        @pytest.mark.requirement("AAA-001", "AAA-002", "BBB-001")
        def test_one_answer():
            expect.each(
                None,
                [
                    ("AAA-001", False, "a documented status"),
                    ("AAA-002", True, "a JSON body"),
                    ("BBB-001", False, "a JSON object"),
                ],
            )
        """,
    )
    suite.write_checks({})
    run = suite.run()
    assert run.status("AAA-001") == "failed"
    assert run.status("BBB-001") == "failed"
    assert run.status("AAA-002") == "not run"
    test = _test(run, "test_one_answer")
    assert test["broken"] == ["AAA-001", "BBB-001"]
    assert "expected: a documented status" in test["details"]
    assert "expected: a JSON object" in test["details"]
    assert "expected: a JSON body" not in test["details"]


def test_a_check_whose_broken_requirement_is_baselined_is_an_expected_failure(suite):
    suite.write_checks({"test_shared": (("BBB-001", "AAA-001"), "break first")})
    suite.write("base.yaml", "BBB-001: known\n")
    run = suite.run("--expected-failures", "base.yaml")
    assert run.ret == 0
    assert run.status("BBB-001") == "expected failure"
    assert run.status("AAA-001") == "not run"
    assert _test(run, "test_shared")["status"] == "expected failure"
    assert run.document["baseline"]["stale"] == []


def test_a_check_the_target_could_not_serve_fails_no_requirement(suite):
    """It has no verdict on its requirements; the run fails for that reason instead."""
    suite.write(
        "test_unusable.py",
        """
        import pytest

        class Unusable(Exception):
            unusable = True

        @pytest.mark.requirement("AAA-001", "BBB-001")
        def test_throttled():
            raise Unusable("still answered 429")
        """,
    )
    suite.write_checks({})
    run = suite.run()
    assert run.ret == 1
    assert run.status("AAA-001") == "not run"
    assert run.status("BBB-001") == "not run"
    assert _test(run, "test_throttled")["broken"] == []
    assert run.document["counts"]["failed"] == 0
    assert run.junit.find("testsuite").get("failures") == "1"
