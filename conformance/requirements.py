"""Which requirements a run asserts: `core` asserts the core profile; `platform` asserts core and
platform, except core requirements the platform contradicts (their `contradicted_by` field)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import spec


def catalogue() -> dict[str, dict[str, Any]]:
    """Every requirement by id, or nothing when spec/requirements.yaml cannot be read."""
    try:
        return spec.requirements()
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def asserted(requirement: dict[str, Any], profile: str) -> bool:
    """Whether a run with this profile asserts the requirement."""
    if requirement.get("profile") == "platform":
        return profile == "platform"
    return profile == "core" or not requirement.get("contradicted_by")


def applicability(ids: Iterable[str], profile: str) -> str | None:
    """Why a check marked with ``ids`` does not apply to the profile, or None when it does.
    Ids missing from the catalogue never cause a skip (the traceability test reports them)."""
    known = catalogue()
    marked = [known[i] for i in ids if i in known]
    if not marked or any(asserted(item, profile) for item in marked):
        return None
    names = ", ".join(item["id"] for item in marked)
    if profile == "core":
        return f"{names}: platform profile only (--profile platform)"
    contradicted = sorted({c for item in marked for c in item.get("contradicted_by", [])})
    return f"{names}: contradicted by the platform's {', '.join(contradicted)}"
