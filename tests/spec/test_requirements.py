"""Checks that spec/requirements.yaml is well-formed, so the ids the suite and mock use stay valid.

The conformance tests mark each check with requirement ids and the reports group results by
them; a duplicate, malformed or unsourced requirement would silently corrupt both.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
import yaml

import spec

ID_PATTERN = re.compile(r"^(?P<area>[A-Z]+)-(?P<number>\d{3})$")
LEVELS = {"MUST", "SHOULD", "MAY"}
PROFILES = {"core", "platform"}
FIELDS = {"id", "level", "profile", "statement", "source"}
OPTIONAL_FIELDS = {"contradicted_by"}
# The public citation forms of a source (see the legend at the top of requirements.yaml): the seed,
# a docs page (its path in Syncano-Community/docs), a file of Syncano/syncano-platform (optionally
# naming one unit test in it), the REST framework version the server pins, a file of an official
# SDK, or an observation of the running platform.
DOCS_PAGES = (
    "sockets/realtime-communication.md",
    "developer-manual/permissions.md",
    "developer-manual/user-management.md",
    "developer-manual/groups.md",
    "developer-manual/limits.md",
    "managing-instance/api-keys.md",
    "syncano-basics/authentication.md",
)
SOURCE_FORM = re.compile(
    r"^(seed|observed on the platform|library: djangorestframework 3\.7\.7"
    rf"|docs: ({'|'.join(map(re.escape, DOCS_PAGES))})"
    r"|platform: (apps|settings)/[\w/]+\.py( \(test_\w+\))?"
    r"|sdk: syncano-python syncano/[\w/]+\.py|sdk: syncano-js (src|test)/[\w/]+\.js)$"
)
# What the file must not cite: sections of a private document (the section sign, U+00A7, or the
# old "[P ...]" tags), or a development machine's paths.
PRIVATE_CITATION = re.compile(
    r"\u00a7|\[(S|O|DRF|RC|[DP]T?|PY|JS)[ \]]|/(work|root|home|tmp)/|(?i:\breference\b)"
)
MIN_TOTAL = 100
MIN_CORE_MUST = 70


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate mapping keys, which plain YAML loading hides."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys = [loader.construct_object(key_node) for key_node, _ in node.value]
    duplicates = sorted({str(key) for key in keys if keys.count(key) > 1})
    if duplicates:
        raise yaml.constructor.ConstructorError(
            None, None, f"duplicate keys {duplicates}", node.start_mark
        )
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The raw YAML document, loaded so that duplicate keys are an error."""
    return yaml.load(spec.REQUIREMENTS_PATH.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)


@pytest.fixture(scope="module")
def items(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The requirement entries in file order (a list, so repeated ids stay visible)."""
    return document["requirements"]


def test_document_has_areas_and_requirements(document: dict[str, Any]) -> None:
    assert set(document) == {"areas", "requirements"}
    assert isinstance(document["areas"], dict) and document["areas"]
    assert all(
        re.fullmatch(r"[A-Z]+", area) and isinstance(title, str) and title.strip()
        for area, title in document["areas"].items()
    ), document["areas"]
    assert isinstance(document["requirements"], list)


def test_ids_are_unique(items: list[dict[str, Any]]) -> None:
    counts = Counter(item.get("id") for item in items)
    repeated = sorted(str(rid) for rid, count in counts.items() if count > 1)
    assert not repeated, f"duplicate requirement ids: {repeated}"
    assert len(spec.requirements()) == len(items)


def test_ids_are_well_formed_and_in_a_declared_area(
    document: dict[str, Any], items: list[dict[str, Any]]
) -> None:
    areas = set(document["areas"])
    bad = [
        item.get("id")
        for item in items
        if not isinstance(item.get("id"), str)
        or not (match := ID_PATTERN.match(item["id"]))
        or match["area"] not in areas
    ]
    assert not bad, f"malformed ids or undeclared areas: {bad}"


def test_ids_number_each_area_from_001_without_gaps(items: list[dict[str, Any]]) -> None:
    """New ids are appended per area, so each area reads 001, 002, ... in file order."""
    numbers: dict[str, list[int]] = {}
    for item in items:
        match = ID_PATTERN.match(item["id"])
        assert match, item["id"]
        numbers.setdefault(match["area"], []).append(int(match["number"]))
    out_of_order = {
        area: found for area, found in numbers.items() if found != list(range(1, len(found) + 1))
    }
    assert not out_of_order, f"areas not numbered 001..n in order: {out_of_order}"


def test_every_declared_area_is_used(document: dict[str, Any], items: list[dict[str, Any]]) -> None:
    used = {item["id"].split("-")[0] for item in items}
    assert set(document["areas"]) == used, set(document["areas"]) ^ used


def test_each_requirement_has_exactly_the_fields(items: list[dict[str, Any]]) -> None:
    wrong = {
        item.get("id"): sorted((FIELDS - set(item)) | (set(item) - FIELDS - OPTIONAL_FIELDS))
        for item in items
        if not FIELDS <= set(item) <= FIELDS | OPTIONAL_FIELDS
    }
    assert not wrong, f"missing or unknown fields: {wrong}"


def test_contradicted_by_links_core_items_to_platform_quirks(items: list[dict[str, Any]]) -> None:
    """A platform run skips a core item only through this link, so the link must be right."""
    profiles = {item["id"]: item["profile"] for item in items}
    bad = {
        item["id"]: item["contradicted_by"]
        for item in items
        if "contradicted_by" in item
        and (
            item["profile"] != "core"
            or not isinstance(item["contradicted_by"], list)
            or not item["contradicted_by"]
            or any(profiles.get(rid) != "platform" for rid in item["contradicted_by"])
        )
    }
    assert not bad, f"contradicted_by must list platform ids, on core items only: {bad}"


def test_levels_and_profiles_are_valid(items: list[dict[str, Any]]) -> None:
    bad = [
        (item["id"], item.get("level"), item.get("profile"))
        for item in items
        if item.get("level") not in LEVELS or item.get("profile") not in PROFILES
    ]
    assert not bad, f"invalid level or profile: {bad}"


def test_statements_are_single_line_sentences(items: list[dict[str, Any]]) -> None:
    bad = [
        item["id"]
        for item in items
        if not isinstance(item.get("statement"), str)
        or not item["statement"].strip()
        or "\n" in item["statement"]
        or not item["statement"].rstrip().endswith((".", ")", '"', "]", "}"))
    ]
    assert not bad, f"empty, multi-line or unterminated statements: {bad}"


def test_statements_are_not_repeated(items: list[dict[str, Any]]) -> None:
    counts = Counter(" ".join(item["statement"].split()).lower() for item in items)
    repeated = [statement for statement, count in counts.items() if count > 1]
    assert not repeated, f"the same statement under several ids: {repeated}"


def test_every_requirement_cites_public_sources(items: list[dict[str, Any]]) -> None:
    bad = {
        item["id"]: item.get("source")
        for item in items
        if not isinstance(item.get("source"), list)
        or not item["source"]
        or not all(isinstance(entry, str) and SOURCE_FORM.match(entry) for entry in item["source"])
        or len(set(item["source"])) != len(item["source"])
    }
    assert not bad, f"missing, repeated or non-public sources: {bad}"


def test_the_file_cites_nothing_private() -> None:
    """Users get only this repository: no private document sections, no machine paths."""
    text = spec.REQUIREMENTS_PATH.read_text(encoding="utf-8")
    found = [
        (number, line.strip())
        for number, line in enumerate(text.splitlines(), start=1)
        if PRIVATE_CITATION.search(line)
    ]
    assert not found, f"private citations: {found}"


def test_counts_meet_the_minimums(items: list[dict[str, Any]]) -> None:
    core_must = sum(1 for item in items if (item["level"], item["profile"]) == ("MUST", "core"))
    assert len(items) >= MIN_TOTAL, f"{len(items)} requirements, need at least {MIN_TOTAL}"
    assert core_must >= MIN_CORE_MUST, f"{core_must} core MUSTs, need at least {MIN_CORE_MUST}"


def test_print_counts(document: dict[str, Any], items: list[dict[str, Any]]) -> None:
    """Prints the counts by area, level and profile (shown with ``pytest -s``; writes no file)."""
    by_area = Counter(item["id"].split("-")[0] for item in items)
    by_level = Counter(item["level"] for item in items)
    by_profile = Counter(item["profile"] for item in items)
    by_pair = Counter(f"{item['level']}/{item['profile']}" for item in items)
    print(f"\nrequirements: {len(items)}")
    for area in document["areas"]:
        print(f"  {area:<8}{by_area[area]:>4}")
    print("  levels:   " + ", ".join(f"{k} {v}" for k, v in sorted(by_level.items())))
    print("  profiles: " + ", ".join(f"{k} {v}" for k, v in sorted(by_profile.items())))
    print("  pairs:    " + ", ".join(f"{k} {v}" for k, v in sorted(by_pair.items())))
    assert sum(by_area.values()) == len(items)
