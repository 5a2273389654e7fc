"""The run as JUnit XML, which CI systems display natively: one testcase per test, with the
requirement ids it checks as ``requirement`` properties and its measurements as properties.

Baseline-expected failures are written as skipped (like pytest's xfail), so a CI system that
reads only the XML agrees with the run's exit code; so are failures that do not fail the run (a
SHOULD or MAY requirement without --strict-should), typed ``warning``. Unexpectedly passing
tests are written as failures. A failed test names the requirements it found broken as
``broken`` properties.
"""

from __future__ import annotations

import re
import socket
import xml.etree.ElementTree as ET
from typing import Any

from conformance.report.document import Document, TestEntry
from conformance.report.verdict import (
    EXPECTED_FAILURE,
    FAILED,
    NOT_APPLICABLE,
    NOT_RUN,
    UNEXPECTEDLY_PASSING,
    fails_run,
)

SUITE_NAME = "channels-conformance"
# Characters XML 1.0 cannot carry (a target may send any bytes in a body).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
SKIPPED_STATUSES = (EXPECTED_FAILURE, NOT_RUN, NOT_APPLICABLE)
WARNING = "warning"  # the type of a skipped testcase whose failure does not fail the run


def _clean(text: Any) -> str:
    return _NOT_XML.sub("\ufffd", str(text))


def _names(nodeid: str) -> tuple[str, str, str]:
    """(file, classname, name) of a node id such as ``pkg/test_x.py::TestA::test_b[1]``."""
    path, _, rest = nodeid.partition("::")
    parts = rest.split("::") if rest else [nodeid]
    module = path.removesuffix(".py").replace("/", ".")
    return path, ".".join([module, *parts[:-1]]), parts[-1]


def _testcase(parent: ET.Element, test: TestEntry, warning: bool) -> None:
    path, classname, name = _names(test.nodeid)
    case = ET.SubElement(
        parent,
        "testcase",
        classname=_clean(classname),
        name=_clean(name),
        time=f"{test.duration_s:.3f}",
        file=_clean(path),
    )
    properties = ET.SubElement(case, "properties")
    for rid in test.requirements:
        ET.SubElement(properties, "property", name="requirement", value=rid)
    for rid in test.broken:
        ET.SubElement(properties, "property", name="broken", value=rid)
    for key, value in test.measurements.items():
        ET.SubElement(properties, "property", name=f"measurement:{_clean(key)}", value=str(value))
    status, message = test.status, _clean(test.message)
    if warning:
        note = f"{WARNING}: a failure that does not fail the run: {message}"
        element = ET.SubElement(case, "skipped", message=note, type=WARNING)
        element.text = _clean(test.details)
    elif status == FAILED:
        tag = "error" if test.outcome == "error" else "failure"
        element = ET.SubElement(case, tag, message=message, type=tag)
        element.text = _clean(test.details)
    elif status == UNEXPECTEDLY_PASSING:
        note = f"unexpectedly passing: listed as an expected failure ({test.baseline_reason})"
        ET.SubElement(case, "failure", message=_clean(note), type=UNEXPECTEDLY_PASSING)
    elif status in SKIPPED_STATUSES:
        reason = f" ({test.baseline_reason})" if test.baseline_reason else ""
        element = ET.SubElement(
            case, "skipped", message=_clean(f"{status}{reason}: {message}"), type=status
        )
        element.text = _clean(test.details) if test.details else None


def junit_xml(document: Document) -> bytes:
    """The JUnit XML (``<testsuites>`` with one ``<testsuite>``) of a report document."""
    tests = document.tests
    strict = document.strict_should
    warned = {t.nodeid for t in tests if t.status == FAILED and not fails_run(t, document, strict)}
    statuses = [WARNING if t.nodeid in warned else t.status for t in tests]
    errors = sum(s == FAILED and t.outcome == "error" for s, t in zip(statuses, tests, strict=True))
    totals = {
        "tests": str(len(tests)),
        "failures": str(statuses.count(FAILED) + statuses.count(UNEXPECTEDLY_PASSING) - errors),
        "errors": str(errors),
        "skipped": str(sum(s in (*SKIPPED_STATUSES, WARNING) for s in statuses)),
        "time": f"{document.run.duration_s:.3f}",
    }
    root = ET.Element("testsuites", name=SUITE_NAME, **totals)
    suite = ET.SubElement(
        root,
        "testsuite",
        name=SUITE_NAME,
        **totals,
        timestamp=document.run.date[:19],
        hostname=socket.gethostname() or "localhost",
    )
    properties = ET.SubElement(suite, "properties")
    for key in ("target_url", "profile", "suite_version"):
        value = getattr(document.run, key) or ""
        ET.SubElement(properties, "property", name=key, value=_clean(value))
    core = document.score.core_must.percent
    ET.SubElement(
        properties, "property", name="core_must_score", value="" if core is None else f"{core:g}"
    )
    for test in tests:
        _testcase(suite, test, test.nodeid in warned)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
