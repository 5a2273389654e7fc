"""The fault catalogue itself: declared once with a real requirement id, covering every area of
spec/requirements.yaml, each declared on its override of one seam (or as a post-hook) in
``mock_server/faults/``, which the app assembles and nothing else in the mock names; listed and
chosen by the command line."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

import mock_server
import spec
from mock_server import faults
from mock_server.app import create_app
from mock_server.config import MockConfig
from mock_server.faults.stale import StaleCache
from mock_server.keys import new_account_key

MOCK_DIR = Path(mock_server.__file__).resolve().parent
FAULTS_DIR = MOCK_DIR / "faults"
ASSEMBLERS = ("app.py", "cli.py")  # chooses the seams; lists and checks fault names
FAULTS_IMPORT = re.compile(
    r"^\s*(?:from mock_server\.faults\b|import mock_server\.faults\b"
    r"|from mock_server import [^\n]*\bfaults\b)",
    re.MULTILINE,
)
FAULTS_CALL = re.compile(r"\bfaults\.")
NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MINIMUM = 30


def mock_sources() -> dict[Path, str]:
    """Every Python file of the mock, by path."""
    return {path: path.read_text(encoding="utf-8") for path in MOCK_DIR.rglob("*.py")}


def channels_mock(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mock_server", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def every_fault_app() -> object:
    return create_app(MockConfig(new_account_key(), faults=frozenset(faults.CATALOGUE)))


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


def test_each_fault_is_declared_once_on_its_override() -> None:
    """A fault's name appears once in the mock's code: in the declaration that sits on its
    override, in a module of mock_server/faults/."""
    sources = mock_sources()
    for name, fault in faults.CATALOGUE.items():
        quoted = f'"{name}"'
        where = {path: text.count(quoted) for path, text in sources.items() if quoted in text}
        assert list(where.values()) == [1], f"{name} appears in {where}"
        override = faults.OVERRIDES[name]
        assert override.fault is fault
        assert Path(inspect.getfile(override)).parent == FAULTS_DIR, name
        assert quoted in inspect.getsource(override), f"{name} is not declared on its override"


def test_nothing_outside_the_faults_package_names_the_faults() -> None:
    """The handlers read as the reference behaviour: only the app (which assembles the seams)
    and the command line (which lists and checks names) reach the catalogue."""
    outside = {
        path.relative_to(MOCK_DIR).as_posix()
        for path, text in mock_sources().items()
        if FAULTS_DIR not in path.parents and FAULTS_IMPORT.search(text)
    }
    assert outside <= set(ASSEMBLERS), outside
    assert not any(
        FAULTS_CALL.search(text)
        for path, text in mock_sources().items()
        if (MOCK_DIR / "api") in path.parents
    )


def test_each_override_replaces_steps_of_one_seam_the_app_assembles() -> None:
    """A class override derives from one seam class and ends up in the app's seam of that
    kind; a post-hook is registered on the app's answers."""
    app = every_fault_app()
    state = app.extensions["channels_mock"]
    assembled = [state.body] + [type(getattr(state, f.name)) for f in fields(state)]
    hooks = app.after_request_funcs[None]
    for name, override in faults.OVERRIDES.items():
        if isinstance(override, type):
            assert len(override.__bases__) == 1, name
            assert any(override in seam.__mro__ for seam in assembled), f"{name} is not mixed in"
        else:
            assert override in hooks, f"{name} is not registered"


def test_without_faults_the_app_runs_the_reference_classes() -> None:
    state = create_app(MockConfig(new_account_key())).extensions["channels_mock"]
    for seam in [state.body] + [type(getattr(state, f.name)) for f in fields(state)]:
        assert not seam.__module__.startswith("mock_server.faults"), seam


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


def test_an_app_refuses_an_unknown_fault() -> None:
    with pytest.raises(faults.UnknownFault):
        create_app(MockConfig(new_account_key(), faults=frozenset({"never-declared"})))


def test_faults_apply_only_to_the_mock_that_has_them() -> None:
    """Two apps in one process: the fault is on in one and off in the other."""
    name = "instance-name-case-sensitive"
    key = new_account_key()
    broken = create_app(MockConfig(key, faults=frozenset({name}))).test_client()
    correct = create_app(MockConfig(key)).test_client()
    statuses = []
    for client in (broken, correct):
        client.post("/v1.1/instances/", json={"name": "cased"}, headers={"X-API-KEY": key})
        answer = client.get("/v1.1/instances/CASED/channels/", headers={"X-API-KEY": key})
        statuses.append(answer.status_code)
    assert statuses == [404, 200]


def test_a_stale_cache_goes_stale_then_expires() -> None:
    clock = [1000.0]
    cache = StaleCache(seconds=60.0, clock=lambda: clock[0])
    assert cache.get("k", True) is True
    assert cache.get("k", False) is True
    clock[0] += 61.0
    assert cache.get("k", False) is False
