"""The conformance plugin as a user meets it: `pytest --target-url ... --account-key ...` against a
separately started mock, from the repository and from any other directory."""

from __future__ import annotations

import json

from conformance import launch
from conformance.provision import random_key
from tests.suite_runs import CHECKS, ROOT, pytest_run


def test_a_refused_account_key_stops_the_run_with_one_line_and_exit_2(mock, tmp_path):
    done = pytest_run(
        "--target-url", mock.url, "--account-key", random_key("account"), "-q", cwd=tmp_path
    )
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "refuses the account key" in output
    assert "passed" not in output and "failed" not in output


def test_with_a_target_url_only_the_checks_are_collected(mock):
    done = pytest_run(
        "--target-url", mock.url, "--account-key", mock.account_key, "--collect-only", "-q",
        cwd=ROOT,
    )  # fmt: skip
    node_ids = [line for line in done.stdout.splitlines() if "::" in line]
    assert done.returncode == 0, done.stdout + done.stderr
    assert node_ids, done.stdout
    assert all(node.startswith("conformance/checks/test_") for node in node_ids), [
        node for node in node_ids if not node.startswith("conformance/checks/test_")
    ][:5]


def test_the_checks_are_found_from_any_directory(mock, tmp_path):
    done = pytest_run(
        "--target-url", mock.url, "--account-key", mock.account_key, "--collect-only", "-q",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test_publish.py::" in done.stdout


def test_timeout_checks_are_not_run_without_a_known_poll_timeout(mock, tmp_path):
    reports = tmp_path / "reports"
    done = pytest_run(
        str(CHECKS / "test_poll.py"),
        "--target-url", mock.url, "--account-key", mock.account_key,
        "--report-dir", str(reports), "-rs",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "not run: the target's poll timeout is unknown" in done.stdout
    document = json.loads((reports / "report.json").read_text())
    timeout_tests = [
        test for test in document["tests"] if "not run:" in (test.get("message") or "")
    ]
    assert timeout_tests, "no check was reported as not run"
    assert {test["status"] for test in timeout_tests} == {"not run"}
    statuses = {r["id"]: r["status"] for r in document["requirements"]}
    assert statuses["POLL-005"] == "not run"


def test_the_core_profile_reports_platform_checks_as_not_applicable(mock, tmp_path):
    done = pytest_run(
        str(CHECKS / "test_poll.py"),
        "--target-url", mock.url, "--account-key", mock.account_key, "--poll-timeout", "2",
        "--report-dir", str(tmp_path / "reports"), "-rs",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "not applicable: POLL-015: platform profile only" in done.stdout


def test_a_failing_run_stopped_by_x_under_xdist_exits_1(tmp_path):
    faulty = launch.start(random_key("account"), "core", ["--fault", "payload-string-dropped"])
    try:
        done = pytest_run(
            str(CHECKS / "test_publish.py"),
            "--target-url", faulty.url, "--account-key", faulty.account_key,
            "--report-dir", str(tmp_path / "reports"), "-x", "-n", "2",
            cwd=tmp_path,
        )  # fmt: skip
    finally:
        faulty.stop()
    assert "stopping after 1 failures" in done.stdout + done.stderr
    assert done.returncode == 1, done.stdout[-3000:]
    document = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert document["exit_status"] == 1
