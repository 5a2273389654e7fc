"""A skipped check's status travels as data (the ``status`` user property, set where the skip is
decided); the skip reason is only shown, never read back."""

from __future__ import annotations


def test_a_skip_status_is_read_from_the_property_not_the_reason(suite):
    suite.write_checks(
        {
            "test_alpha_one": (("AAA-001",), "not applicable in words only"),
            "test_alpha_two": (("AAA-002",), "not applicable, worded otherwise"),
        }
    )
    run = suite.run()
    assert run.status("AAA-001") == "not run"
    assert run.status("AAA-002") == "not applicable"
    tests = {t["nodeid"].rsplit("::", 1)[-1]: t for t in run.document["tests"]}
    assert tests["test_alpha_one"]["message"] == "not applicable: said in the reason only"
    assert tests["test_alpha_two"]["message"] == "the target has no alpha"
    skipped = {c.get("name"): c.find("skipped") for c in run.junit.iter("testcase")}
    assert skipped["test_alpha_two"].get("type") == "not applicable"
