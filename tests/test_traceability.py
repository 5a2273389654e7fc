"""Traceability between spec/requirements.yaml and the conformance checks: every core MUST has a
check, every marker names a known requirement, and no check mixes profiles (so --profile filtering
asserts exactly one profile's requirements). Prints the coverage by profile and level."""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest

import spec
from conformance.plugin import CHECKS_DIR, requirement_ids

SUITE = CHECKS_DIR


class MarkerCollector:
    """A pytest plugin that keeps the requirement ids of every collected check."""

    def __init__(self) -> None:
        self.marked: dict[str, list[str]] = {}

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            self.marked[item.nodeid] = requirement_ids(item)


@cache
def collected() -> dict[str, list[str]]:
    """Requirement ids per check, from a collect-only run of the suite (no target needed)."""
    collector = MarkerCollector()
    code = pytest.main(
        [
            str(SUITE),
            "--collect-only",
            "-qq",
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
            "--assert=plain",
        ],
        plugins=[collector],
    )
    assert code == 0, f"collecting the conformance suite failed with exit code {code}"
    return collector.marked


def test_every_check_names_known_requirements() -> None:
    known = spec.requirements()
    unmarked = [node for node, ids in collected().items() if not ids]
    unknown = sorted(
        {(node, i) for node, ids in collected().items() for i in ids if i not in known}
    )
    assert not unmarked, f"checks without a requirement marker: {unmarked[:10]}"
    assert not unknown, f"markers naming ids missing from spec/requirements.yaml: {unknown[:10]}"


def test_no_check_mixes_profiles() -> None:
    known = spec.requirements()
    mixed = {
        node: ids
        for node, ids in collected().items()
        if len({known[i]["profile"] for i in ids if i in known}) > 1
    }
    assert not mixed, (
        f"checks marked with both core and platform requirements: {list(mixed.items())[:5]}"
    )


def test_every_core_must_has_a_check() -> None:
    known = spec.requirements()
    covered = {i for ids in collected().values() for i in ids}
    totals: Counter[tuple[str, str]] = Counter()
    hits: Counter[tuple[str, str]] = Counter()
    for rid, item in known.items():
        key = (item["profile"], item["level"])
        totals[key] += 1
        hits[key] += rid in covered
    print("\nrequirement coverage by conformance checks (covered / total):")
    for key in sorted(totals):
        share = 100 * hits[key] / totals[key]
        print(f"  {key[0]:<9}{key[1]:<7}{hits[key]:>4} / {totals[key]:<4} ({share:.0f} %)")
    missing = sorted(
        r
        for r, item in known.items()
        if (item["profile"], item["level"]) == ("core", "MUST") and r not in covered
    )
    assert not missing, f"core MUST requirements without a conformance check: {missing}"
