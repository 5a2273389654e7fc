"""The requirement set of a run, as a pytest plugin (entry point ``channels_requirements``, which
the suite and report plugins both read): read once from ``--requirements-file`` (default: the
bundled spec/requirements.yaml) at pytest_configure, kept on ``config.stash``, and handed from
there to everything that reads requirements: selection (``--requirement``), profile
applicability, failure statements, the permission table and the verdict. An xdist worker reads
the same file: the option travels to it, and the worker starts in the controller's directory.

Which requirements a run asserts: ``core`` asserts the core profile; ``platform`` asserts core and
platform, except core requirements the platform contradicts (their ``contradicted_by`` field).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

import spec

CORE_PROFILE = "core"
OPTION_GROUP = ("channels", "Channels v1.1 conformance")  # the suite's options, in pytest --help


class RequirementSetError(ValueError):
    """A requirements file that cannot be read."""


@dataclass(frozen=True)
class RequirementSet:
    """The numbered requirements a run is judged against, and the names of their areas."""

    requirements: dict[str, dict[str, Any]]
    areas: dict[str, str]

    @classmethod
    def load(cls, path: Path) -> RequirementSet:
        """Read a requirements YAML file (``areas:`` id -> name, ``requirements:`` list)."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            requirements = {item["id"]: item for item in data["requirements"]}
            areas = {str(k): str(v) for k, v in (data.get("areas") or {}).items()}
        except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
            raise RequirementSetError(f"cannot read requirements file {path}: {exc}") from exc
        return cls(requirements, areas)

    def statement(self, requirement_id: str) -> str:
        """One line: id, level, profile and statement (just the id when the set lacks it)."""
        item = self.requirements.get(requirement_id)
        if not item:
            return requirement_id
        level = item.get("level", "")
        profile = item.get("profile", "")
        text = " ".join(str(item.get("statement", "")).split())
        return f"{requirement_id} ({level}, {profile}): {text}"

    def all_core(self, ids: Iterable[str]) -> bool:
        """Whether every one of ``ids`` is a core requirement (ids the set lacks count as core)."""
        return all(
            self.requirements.get(i, {}).get("profile", CORE_PROFILE) == CORE_PROFILE for i in ids
        )

    def applicability(self, ids: Iterable[str], profile: str) -> str | None:
        """Why a check marked with ``ids`` does not apply to the profile, or None when it does.
        Ids the set lacks never cause a skip (the traceability test reports them)."""
        marked = [self.requirements[i] for i in ids if i in self.requirements]
        if not marked or any(asserted(item, profile) for item in marked):
            return None
        names = ", ".join(item["id"] for item in marked)
        if profile == CORE_PROFILE:
            return f"{names}: platform profile only (--profile platform)"
        contradicted = sorted({c for item in marked for c in item.get("contradicted_by", [])})
        return f"{names}: contradicted by the platform's {', '.join(contradicted)}"


REQUIREMENT_SET = pytest.StashKey[RequirementSet]()


def asserted(requirement: dict[str, Any], profile: str) -> bool:
    """Whether a run with this profile asserts the requirement."""
    if requirement.get("profile") == "platform":
        return profile == "platform"
    return profile == CORE_PROFILE or not requirement.get("contradicted_by")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup(*OPTION_GROUP).addoption(
        "--requirements-file",
        metavar="FILE",
        help="requirement set the run selects, asserts and reports against "
        "(default: the bundled spec/requirements.yaml)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Read the set before any other plugin's start-up needs it; a file that cannot be read
    stops the run with one line and exit code 2."""
    requirement_set(config)


def requirement_set(config: pytest.Config) -> RequirementSet:
    """The run's requirement set, read on first use (at pytest_configure) and kept."""
    if REQUIREMENT_SET not in config.stash:
        given = config.getoption("requirements_file")
        path = config.invocation_params.dir / given if given else spec.REQUIREMENTS_PATH
        try:
            config.stash[REQUIREMENT_SET] = RequirementSet.load(path)
        except RequirementSetError as exc:
            pytest.exit(f"channels conformance: {exc}", returncode=2)
    return config.stash[REQUIREMENT_SET]
