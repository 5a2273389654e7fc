"""Capability profiles: requirements of features a target does not offer are not applicable,
and their checks are skipped before they run."""

from __future__ import annotations

import pytest

# The rooms check fails if it runs, so a passing gate proves it was skipped, not run.
CHECKS = {
    "test_alpha_one": (("AAA-001",), "pass"),
    "test_rooms": (("ROOM-001",), "fail"),
    "test_rooms_and_alpha": (("AAA-003", "ROOM-001"), "fail"),
}


@pytest.mark.parametrize(
    "args",
    [
        ["--without", "rooms"],
        ["--without", "ROOM"],
        ["--without", "history,rooms"],
        ["--capabilities", "caps.yaml"],
    ],
)
def test_a_capability_off_makes_its_requirements_not_applicable(suite, args):
    suite.write_checks(CHECKS)
    suite.write("caps.yaml", "rooms: false\nhistory: true\n")
    run = suite.run(*args)
    assert run.ret == 0
    assert run.status("ROOM-001") == "not applicable"
    assert run.document["not_offered"]["ROOM"] in {"rooms", "ROOM"}
    room_tests = [t for t in run.document["tests"] if "ROOM-001" in t["requirements"]]
    assert [t["status"] for t in room_tests] == ["not applicable", "not applicable"]
    assert room_tests[0]["message"].startswith("not applicable: the target does not offer ")
    # AAA-003's only check also needs rooms, so it was skipped; it does not count as passed.
    assert run.status("AAA-003") == "not applicable"
    # core MUST: AAA-001 passed, ROOM-001 not applicable, four without a check here (not run)
    assert run.document["score"]["core_must"] == {
        "passed": 1,
        "checked": 1,
        "percent": 100.0,
        "not_run": 4,
        "not_applicable": 1,
        "total": 6,
    }
    area = next(a for a in run.document["areas"] if a["id"] == "ROOM")
    assert area["not_offered"] is True


def test_without_the_capability_the_same_checks_fail(suite):
    suite.write_checks(CHECKS)
    run = suite.run()
    assert run.ret == 1
    assert run.status("ROOM-001") == "failed"


def test_a_capabilities_file_must_map_names_to_booleans(suite):
    suite.write("caps.yaml", "rooms: no thanks\n")
    run = suite.run("--capabilities", "caps.yaml", subprocess=True)
    assert run.ret == 2
    assert "must map capability names to true or false" in run.result.stderr.str()
