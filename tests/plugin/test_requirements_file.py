"""One requirement set per run: what --requirements-file names is what the run selects, skips,
quotes in failures, builds the permission table from, and reports, on the xdist workers too."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

import spec
from conformance import launch
from conformance.provision import random_key
from tests.suite_runs import CHECKS, pytest_run

CUSTOM_STATEMENT = "Custom wording of PUB-002, from custom.yaml."
BUNDLED_STATEMENT = spec.requirements()["PUB-002"]["statement"]


def custom_set(folder: Path, changes: dict[str, dict[str, Any] | None]) -> Path:
    """custom.yaml: a copy of spec/requirements.yaml with some requirements' fields changed
    (id -> fields), or left out (id -> None)."""
    data = yaml.safe_load(spec.REQUIREMENTS_PATH.read_text(encoding="utf-8"))
    kept = []
    for item in data["requirements"]:
        change = changes.get(item["id"], {})
        if change is not None:
            kept.append({**item, **change})
    data["requirements"] = kept
    path = folder / "custom.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_the_custom_statement_shows_in_every_report_and_failure(tmp_path):
    """A target that refuses a publish of exactly the limit breaks PUB-002: the failure and all
    reports quote custom.yaml's statement of it, never the bundled one."""
    custom_set(tmp_path, {"PUB-002": {"statement": CUSTOM_STATEMENT}})
    faulty = launch.start(random_key("account"), "core", ["--fault", "publish-limit-off-by-one"])
    try:
        done = pytest_run(
            str(CHECKS / "test_publish.py"),
            "--target-url", faulty.url, "--account-key", faulty.account_key,
            "--requirements-file", "custom.yaml", "--report-dir", "reports", "-n", "2",
            cwd=tmp_path,
        )  # fmt: skip
    finally:
        faulty.stop()
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    failure = f"PUB-002 (MUST, core): {CUSTOM_STATEMENT}"
    assert f"RequirementBroken: {failure}" in done.stdout, "the failure message (from a worker)"
    summary = done.stdout[done.stdout.index("= Channels conformance =") :]
    assert re.search(rf"PUB-002 +MUST +{re.escape(CUSTOM_STATEMENT)}", summary), summary
    reports = tmp_path / "reports"
    document = json.loads((reports / "report.json").read_text())
    requirement = next(r for r in document["requirements"] if r["id"] == "PUB-002")
    assert requirement["statement"] == CUSTOM_STATEMENT
    assert requirement["status"] == "failed"
    assert all(failure in test["message"] for test in requirement["tests"] if test["found_broken"])
    assert CUSTOM_STATEMENT in (reports / "report.html").read_text()
    assert failure in (reports / "junit.xml").read_text()
    for text in (output, *(path.read_text() for path in reports.iterdir())):
        assert BUNDLED_STATEMENT not in text


def test_requirement_selection_knows_only_the_custom_set(tmp_path):
    custom_set(tmp_path, {"PUB-001": None})
    done = pytest_run(
        str(CHECKS / "test_publish.py"), "--requirements-file", "custom.yaml",
        "--requirement", "PUB-001", "--collect-only", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--requirement: unknown id PUB-001" in done.stderr


def test_profile_applicability_follows_the_custom_set(mock, tmp_path):
    custom_set(tmp_path, {"PUB-003": {"profile": "platform"}})
    done = pytest_run(
        str(CHECKS / "test_publish.py"),
        "--target-url", mock.url, "--account-key", mock.account_key,
        "--requirements-file", "custom.yaml", "--requirement", "PUB-003",
        "--report-dir", "reports", "-rs",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 5, done.stdout + done.stderr  # nothing ran
    assert "not applicable: PUB-003: platform profile only" in done.stdout
    document = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert {r["id"]: r["status"] for r in document["requirements"]}["PUB-003"] == "not applicable"


def test_the_permission_table_follows_the_custom_set(tmp_path):
    """An unknown user key's cell judges AUTH-009 only where the key alone is judged by core
    requirements: a set that makes PERM-034 a platform requirement leaves those cells out."""

    def cells_of_auth_009(*args: str) -> int:
        done = pytest_run(
            str(CHECKS / "test_permissions.py"), "--collect-only", "-q",
            "--requirement", "AUTH-009", *args, cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return sum("test_decision_table[" in line for line in done.stdout.splitlines())

    custom_set(tmp_path, {"PERM-034": {"profile": "platform"}})
    bundled = cells_of_auth_009()
    custom = cells_of_auth_009("--requirements-file", "custom.yaml")
    assert 0 < custom < bundled
