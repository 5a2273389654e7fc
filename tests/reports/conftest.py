"""A synthetic conformance suite for the report plugin's tests.

Each test here runs pytest inside pytest (``pytester``) on a few small checks that pass, fail or
skip on purpose, marked with ids of a small synthetic requirement set. A conftest in that inner
project plays the suite plugin's part of the report contract (requirement ids, exchanges and
measurements in ``user_properties``), so these tests depend only on that contract.
"""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.reports.browser import find_chromium

ACCOUNT_KEY = "acc0ffee" * 5

REQUIREMENTS_YAML = """\
areas:
  AAA: Alpha things
  BBB: Beta things
  ROOM: Rooms
requirements:
  - {id: AAA-001, level: MUST, profile: core, statement: "Alpha one is answered 201."}
  - {id: AAA-002, level: MUST, profile: core, statement: "Alpha two keeps <order> & case."}
  - {id: AAA-003, level: SHOULD, profile: core, statement: "Alpha three wakes pollers."}
  - {id: AAA-004, level: MUST, profile: platform, statement: "Alpha four quirk."}
  - {id: BBB-001, level: MUST, profile: core, statement: "Beta one rejects bad payloads."}
  - {id: BBB-002, level: MUST, profile: core, statement: "Beta two has no check."}
  - {id: BBB-003, level: SHOULD, profile: core, statement: "Beta three is opt-in."}
  - {id: BBB-004, level: MUST, profile: core, statement: "Beta four is outside the profile."}
  - {id: ROOM-001, level: MUST, profile: core, statement: "Rooms filter messages."}
"""

# The suite plugin's side of the contract (conformance/report/contract.py), as
# conformance/plugin.py provides it: a failed assertion that names the requirements it found
# broken reports them as "broken"; a check the target could not serve at all is "unusable". A
# check skipped on purpose carries its status ("not applicable") itself, see BEHAVIOURS.
CONTRACT_CONFTEST = f'''
import pytest

EXCHANGE = {{
    "method": "POST",
    "url": "http://127.0.0.1:9/v1.1/instances/i/channels/c/publish/?api_key={ACCOUNT_KEY}",
    "request_headers": {{"X-API-KEY": "{ACCOUNT_KEY}", "Content-Type": "application/json",
                        "Content-Length": "31"}},
    "request_body": '{{"payload": {{"text": "it\\'s <b>"}}}}',
    "status": 500,
    "response_headers": {{"Content-Type": "text/html"}},
    "response_body": "<html>Server Error</html>",
    "elapsed_ms": 12.5,
}}


@pytest.fixture
def broken():
    raise RuntimeError("could not provision the instance")


def pytest_addoption(parser):
    parser.addoption("--account-key")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    ids = [i for m in item.iter_markers("requirement") for i in m.args]
    report.user_properties.append(("requirements", " ".join(ids)))
    if report.failed:
        exchange = dict(EXCHANGE, url=EXCHANGE["url"] + item.name)
        report.user_properties.append(("exchanges", [exchange]))
        error = call.excinfo.value if call.excinfo else None
        broken = getattr(error, "requirements", ())
        if broken:
            report.user_properties.append(("broken", " ".join(broken)))
        if getattr(error, "unusable", False):
            report.user_properties.append(("unusable", str(error)))
'''

BEHAVIOURS = {
    "pass": "pass",
    "fail": "assert False, 'wrong status 500 for {name}'",
    "break first": "expect.check(False, 'status 201 for {name}', req={ids[0]!r})",
    "error": "pass  # the broken fixture fails in setup",
    "not run": "pytest.skip('not run: needs --poll-timeout')",
    "not applicable": "request.node.user_properties.append(('status', 'not applicable'))\n"
    "    pytest.skip('not applicable: outside the core profile')",
    "measure": "request.node.user_properties.append(('measurements', {{'wake_ms': 12.5}}))",
    "not applicable in words only": "pytest.skip('not applicable: said in the reason only')",
    "not applicable, worded otherwise": "request.node.user_properties.append(('status', "
    "'not applicable'))\n    pytest.skip('the target has no alpha')",
}

# The default synthetic suite: test name -> (requirement ids, behaviour).
DEFAULT_CHECKS: dict[str, tuple[tuple[str, ...], str]] = {
    "test_alpha_one": (("AAA-001",), "pass"),
    "test_alpha_two": (("AAA-002",), "fail"),
    "test_alpha_three": (("AAA-003",), "measure"),
    "test_alpha_four": (("AAA-004",), "pass"),
    "test_beta_one": (("BBB-001",), "fail"),
    "test_beta_three": (("BBB-003",), "not run"),
    "test_beta_four": (("BBB-004",), "not applicable"),
    "test_rooms": (("ROOM-001",), "pass"),
}


@dataclass
class Run:
    """One inner pytest run and the reports it wrote."""

    result: pytest.RunResult
    report_dir: Path

    @property
    def ret(self) -> int:
        return int(self.result.ret)

    @property
    def document(self) -> dict[str, Any]:
        return json.loads((self.report_dir / "report.json").read_text())

    @property
    def junit(self) -> ET.Element:
        return ET.parse(self.report_dir / "junit.xml").getroot()

    @property
    def html_path(self) -> Path:
        return self.report_dir / "report.html"

    def status(self, requirement_id: str) -> str:
        return next(r["status"] for r in self.document["requirements"] if r["id"] == requirement_id)


class SyntheticSuite:
    """Writes the inner project and runs pytest on it."""

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        pytester.makefile(".yaml", requirements=REQUIREMENTS_YAML)
        pytester.makeini(
            "[pytest]\nmarkers =\n    requirement(*ids): requirement ids\n"
            "filterwarnings =\n    ignore::pytest.PytestAssertRewriteWarning\n"
        )
        pytester.makeconftest(CONTRACT_CONFTEST)
        self.write_checks(DEFAULT_CHECKS)

    def write_checks(
        self, checks: dict[str, tuple[tuple[str, ...], str]], module: str = "test_checks"
    ) -> None:
        """A test module with one test per entry: name -> (requirement ids, behaviour)."""
        parts = ["import pytest\n\nfrom conformance import expect\n"]
        for name, (ids, behaviour) in checks.items():
            marker = f"@pytest.mark.requirement({', '.join(repr(i) for i in ids)})\n" if ids else ""
            body = BEHAVIOURS[behaviour].format(name=name, ids=ids)
            fixtures = "request, broken" if behaviour == "error" else "request"
            parts.append(f"{marker}def {name}({fixtures}):\n    {body}\n")
        self.pytester.makepyfile(**{module: "\n".join(parts)})

    def write(self, name: str, text: str) -> Path:
        path = self.pytester.path / name
        path.write_text(textwrap.dedent(text))
        return path

    def run(self, *args: str, subprocess: bool = False) -> Run:
        report_dir = self.pytester.path / "out"
        argv = [
            "-p",
            "no:channels_conformance",
            "-p",
            "no:cacheprovider",
            "--requirements-file",
            "requirements.yaml",
            "--report-dir",
            str(report_dir),
            "--account-key",
            ACCOUNT_KEY,
            *args,
        ]
        runner = self.pytester.runpytest_subprocess if subprocess else self.pytester.runpytest
        return Run(runner(*argv), report_dir)


@pytest.fixture
def suite(pytester: pytest.Pytester) -> SyntheticSuite:
    return SyntheticSuite(pytester)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a headless-capable Chromium, installed through apt-get when missing."""
    return find_chromium()
