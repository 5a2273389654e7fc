"""End to end: the real suite run as a user runs it (pytest --target-url ...), against the bundled
mock and against a broken target (a proxy that answers an oversized publish 400 instead of 413,
breaking PUB-001). Each run writes all three reports with figures that match what happened."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import xmlschema

from conformance.plugin import CHECKS_DIR
from conformance.provision import random_key
from tests.reports.breaking_proxy import breaking_proxy
from tests.reports.browser import Page, render

SUITE_MODULE = CHECKS_DIR / "test_publish.py"
XSD = Path(__file__).with_name("junit.xsd")


def pytest_child(url: str, account_key: str, report_dir: Path) -> subprocess.CompletedProcess[str]:
    """The publish checks run against ``url`` in a fresh pytest, as a user runs them."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(SUITE_MODULE),
            "-p",
            "no:cacheprovider",
            "--target-url",
            url,
            "--account-key",
            account_key,
            "--poll-timeout",
            "2",
            "--report-dir",
            str(report_dir),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=report_dir.parent,
    )


def run_suite(url: str, account_key: str, report_dir: Path) -> tuple[int, dict[str, Any], str]:
    """Run the publish checks against ``url``; returns exit code, report.json and stdout."""
    done = pytest_child(url, account_key, report_dir)
    document = json.loads((report_dir / "report.json").read_text())
    return done.returncode, document, done.stdout


def publish_statuses(document: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["status"] for r in document["requirements"] if r["area"] == "PUB"}


def test_a_run_against_the_mock_passes_with_every_report(mock, tmp_path, chromium):
    code, document, stdout = run_suite(mock.url, mock.account_key, tmp_path / "reports")
    assert code == 0, stdout[-3000:]
    assert document["target_url"] == mock.url
    assert document["profile"] == "core"
    assert document["exit_status"] == 0
    statuses = publish_statuses(document)
    assert statuses and set(statuses.values()) == {"passed"}
    # Only the publish checks ran: everything else is "not run" and left out of the score.
    core = document["score"]["core_must"]
    core_publish = [
        r
        for r in document["requirements"]
        if r["area"] == "PUB" and r["level"] == "MUST" and r["profile"] == "core"
    ]
    assert core["checked"] == core["passed"] == len(core_publish)
    assert core["percent"] == 100.0
    assert core["not_run"] > 0
    xmlschema.XMLSchema(XSD).validate(tmp_path / "reports" / "junit.xml")
    page = Page(render(chromium, tmp_path / "reports" / "report.html"))
    assert " ".join(page.text["core-must-score"].split()).startswith("Core MUST score 100%")


def test_a_broken_target_fails_the_run_on_the_broken_requirement(mock, tmp_path, chromium):
    with breaking_proxy(mock.url) as url:
        code, document, stdout = run_suite(url, mock.account_key, tmp_path / "reports")
    assert code == 1, stdout[-3000:]
    statuses = publish_statuses(document)
    assert statuses.pop("PUB-001") == "failed"
    assert set(statuses.values()) == {"passed"}
    assert document["counts"]["failed"] == 1
    assert document["gate_failures"] == ["1 requirement failed"]
    core = document["score"]["core_must"]
    assert core["passed"] == core["checked"] - 1
    failing = [t for t in document["tests"] if t["status"] == "failed"]
    assert failing and all(t["requirements"] == ["PUB-001"] for t in failing)
    last = failing[0]["exchanges"][-1]
    assert last["status"] == 400
    assert last["url"].startswith(url) and last["curl"].startswith("curl -sS -i -X POST ")
    assert mock.account_key not in json.dumps(document)
    assert "PUB-001  MUST" in stdout
    junit = tmp_path / "reports" / "junit.xml"
    xmlschema.XMLSchema(XSD).validate(junit)
    assert junit.read_text().count("<failure ") == len(failing)
    page = Page(render(chromium, tmp_path / "reports" / "report.html", "#status=failed"))
    assert page.visible_rows() == {"req-PUB-001"}
    expected = f"Core MUST score {core['percent']:g}%"
    assert " ".join(page.text["core-must-score"].split()).startswith(expected)
    assert "HTTP 400" in page.text["req-PUB-001"]


def test_an_unreachable_target_is_exit_2(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = pytest_child(f"http://127.0.0.1:{port}", random_key("account"), tmp_path / "reports")
    assert done.returncode == 2
    assert "cannot be reached" in done.stderr + done.stdout
    document = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert document["exit_status"] == 2
    assert "cannot be reached" in document["gate_failures"][0]
    assert document["counts"]["passed"] == document["counts"]["failed"] == 0
    assert document["counts"]["not run"] > 0
    assert {"junit.xml", "report.html"} <= {p.name for p in (tmp_path / "reports").iterdir()}
