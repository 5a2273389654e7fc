"""When the controller sets up a target (starts the bundled mock, or provisions an instance on
--target-url): when the collection arguments reach the conformance checks
(conformance.plugin.reaches_checks), since under xdist only the workers collect."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.plugin import reaches_checks
from tests.suite_runs import CHECKS, pytest_run

TARGET_HEADER = "channels: target http://127.0.0.1:"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project laid out as this one: conformance/checks, conformance/report, tests."""
    for folder in ("conformance/checks", "conformance/report", "tests"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "conformance/checks/test_a.py").write_text("")
    (tmp_path / "tests/test_b.py").write_text("")
    return tmp_path.resolve()


@pytest.mark.parametrize(
    ("args", "reached"),
    [
        ([], False),
        (["."], True),
        (["conformance"], True),
        (["conformance/checks"], True),
        (["conformance/checks/test_a.py::test_x[1]"], True),
        (["tests"], False),
        (["tests/test_b.py::test_y"], False),
        (["tests", "conformance/checks/test_a.py"], True),
        (["conformance/report"], False),
        (["conformance.checks.test_a"], True),  # a --pyargs module name is no path
    ],
)
def test_which_arguments_reach_the_checks(project: Path, args: list[str], reached: bool) -> None:
    assert reaches_checks(args, project, project / "conformance/checks") is reached


def test_an_absolute_path_reaches_them_from_anywhere(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    checks = project / "conformance/checks"
    assert reaches_checks([str(checks / "test_a.py")], elsewhere, checks)
    assert not reaches_checks([str(project / "tests")], elsewhere, checks)


def test_a_run_of_other_tests_starts_no_mock(tmp_path: Path) -> None:
    (tmp_path / "test_other.py").write_text("def test_nothing():\n    pass\n")
    done = pytest_run("test_other.py", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert TARGET_HEADER not in done.stdout


def test_a_run_of_checks_starts_the_mock(tmp_path: Path) -> None:
    done = pytest_run(
        str(CHECKS / "test_publish.py"), "--requirement", "PUB-004", "--report-dir", "reports",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert TARGET_HEADER in done.stdout
