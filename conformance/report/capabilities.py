"""Features a target declares it does not offer, so their requirements count as not applicable.

An implementation without rooms is not failing the room requirements: it does not offer rooms.
Each capability names one requirement area; an area id (``ROOM``) is accepted as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

CAPABILITY_AREAS: dict[str, str] = {
    "rooms": "ROOM",
    "history": "HIST",
    "websocket": "WS",
    "throttling": "THR",
    "data-objects": "DATA",
}


class CapabilityError(ValueError):
    """A capability name or file that cannot be understood (a usage error)."""


def area_of(name: str, known_areas: Iterable[str]) -> str:
    """The requirement area that a capability name or area id stands for."""
    key = name.strip()
    if key.lower() in CAPABILITY_AREAS:
        return CAPABILITY_AREAS[key.lower()]
    areas = set(known_areas)
    if key.upper() in areas:
        return key.upper()
    choices = ", ".join([*CAPABILITY_AREAS, *sorted(areas)])
    raise CapabilityError(f"unknown capability {name!r} (choose from: {choices})")


def read_capabilities_file(path: Path) -> list[str]:
    """The capability names a YAML file marks as not offered, as in ``rooms: false``."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CapabilityError(f"cannot read capabilities file {path}: {exc}") from exc
    if data is None:
        return []
    if not isinstance(data, dict) or not all(isinstance(v, bool) for v in data.values()):
        raise CapabilityError(
            f"capabilities file {path} must map capability names to true or false"
        )
    return [str(name) for name, offered in data.items() if not offered]


def areas_not_offered(names: Iterable[str], known_areas: Iterable[str]) -> dict[str, str]:
    """Area id -> the capability name that took it out, for every name given."""
    areas = list(known_areas)
    return {area_of(name, areas): name.strip() for name in names if name.strip()}
