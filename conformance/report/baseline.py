"""Expected-failure baselines: known gaps of a target that should not fail its CI run.

A baseline is a YAML mapping from a requirement id or a test id to the reason it is expected
to fail. Entries are matched against a run, and an entry whose check now passes is reported as
stale so that baselines shrink as implementations improve instead of rotting.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml


class BaselineError(ValueError):
    """A baseline file that cannot be read (a usage error)."""


def read_baseline(path: Path) -> dict[str, str]:
    """Entry (requirement id or test id) -> reason, from a YAML file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise BaselineError(f"cannot read expected-failures file {path}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BaselineError(
            f"expected-failures file {path} must map requirement or test ids to reasons"
        )
    return {str(key): "" if reason is None else str(reason) for key, reason in data.items()}


def entry_matches_test(entry: str, nodeid: str) -> bool:
    """Whether a baseline entry names this test: its full node id or a trailing part of it."""
    return nodeid == entry or nodeid.endswith(("/" + entry, "::" + entry))


def write_baseline(path: Path, failures: Mapping[str, str], source: str) -> None:
    """Write requirement id -> reason as a starting baseline that a person then edits."""
    header = (
        f"# Expected failures of {source}, written by --write-baseline.\n"
        "# Each entry: requirement id (or test node id) -> why it is expected to fail.\n"
        "# Pass this file with --expected-failures; remove entries once they pass.\n"
    )
    body = yaml.safe_dump(
        dict(sorted(failures.items())), sort_keys=False, allow_unicode=True, width=100
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + ("" if not failures else body), encoding="utf-8")
