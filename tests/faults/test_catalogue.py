"""The fault catalogue itself: declared once with a real requirement id, covering every area of
spec/requirements.yaml, each asked for at exactly one point of the mock, listed and chosen by
the command line."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

import mock_server
import spec
from mock_server import faults
from mock_server.app import create_app
from mock_server.config import MockConfig
from mock_server.keys import new_account_key

MOCK_DIR = Path(mock_server.__file__).resolve().parent
HOOK = re.compile(r"""faults\.(?:active|cached)\(\s*["']([^"']+)["']""")
NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MINIMUM = 30


def hooks() -> Counter[str]:
    """How often each fault name is asked for in the mock's code."""
    found: Counter[str] = Counter()
    for path in MOCK_DIR.rglob("*.py"):
        if path.name != "faults.py":
            found.update(HOOK.findall(path.read_text(encoding="utf-8")))
    return found


def channels_mock(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mock_server", *args], capture_output=True,
                          text=True, timeout=30, check=False)


def test_catalogue_size_names_and_requirements() -> None:
    known = spec.requirements()
    assert len(faults.CATALOGUE) >= MINIMUM
    for fault in faults.CATALOGUE.values():
        assert NAME.match(fault.name), fault.name
        assert fault.requirement in known, f"{fault.name}: unknown {fault.requirement}"
        text = fault.description
        assert text.endswith(".") and "\n" not in text and len(text) < 200, fault.name


def test_every_area_has_a_fault() -> None:
    areas = yaml.safe_load(spec.REQUIREMENTS_PATH.read_text(encoding="utf-8"))["areas"]
    covered = {fault.requirement.split("-")[0] for fault in faults.CATALOGUE.values()}
    assert set(areas) - covered == set()


def test_each_fault_is_asked_for_at_exactly_one_point() -> None:
    asked = hooks()
    assert {name: n for name, n in asked.items() if n != 1} == {}
    assert set(asked) == set(faults.CATALOGUE)


def test_faults_command_lists_each_fault_with_its_requirement() -> None:
    listed = channels_mock("faults")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [
        [f.name, f.requirement] for f in faults.CATALOGUE.values()
    ]
    for line, fault in zip(lines, faults.CATALOGUE.values(), strict=True):
        assert line.endswith(fault.description)


@pytest.mark.parametrize("name", ["no-such-fault", ""])
def test_serve_refuses_an_unknown_fault(name: str) -> None:
    refused = channels_mock("serve", "--port", "0", "--fault", name)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "unknown fault" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_hook_must_name_a_declared_fault() -> None:
    with pytest.raises(KeyError):
        faults.active("never-declared")


def test_faults_apply_only_to_the_mock_that_has_them() -> None:
    """Two apps in one process: the fault is on in one and off in the other, and off outside
    any request."""
    name = "instance-name-case-sensitive"
    broken = create_app(MockConfig(new_account_key(), faults=frozenset({name})))
    correct = create_app(MockConfig(new_account_key()))
    assert not faults.active(name)
    with broken.app_context():
        assert faults.active(name)
    with correct.app_context():
        assert not faults.active(name)


def test_a_cached_value_goes_stale_then_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    name = "membership-cached"
    clock = [1000.0]
    monkeypatch.setattr(faults.time, "monotonic", lambda: clock[0])
    app = create_app(MockConfig(new_account_key(), faults=frozenset({name})))
    with app.app_context():
        assert faults.cached(name, "k", True) is True
        assert faults.cached(name, "k", False) is True
        clock[0] += faults.CACHE_SECONDS + 1
        assert faults.cached(name, "k", False) is False
    with create_app(MockConfig(new_account_key())).app_context():
        assert faults.cached(name, "k", False) is False
