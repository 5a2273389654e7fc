"""Turning accepted input forms into stored values, after the schemas have accepted them:
DRF's boolean forms, choices given by their index, ids given as digit strings (CHAN-003,
CHAN-013..016, CPUB-007)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

DECIMAL_ZEROS = re.compile(r"\.0*\s*$")

TRUE_FORMS = {"true", "t", "y", "yes", "on", "1"}


def boolean(value: Any) -> bool:
    """``true``, ``1``, ``"yes"``, ``"on"``, … → True; every other accepted form → False."""
    if isinstance(value, bool):
        return value
    return str(value).lower() in TRUE_FORMS


def choice(value: Any, names: Sequence[str]) -> str:
    """A choice given by name, or by its index (``0`` / ``"0"``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return names[value]
    if isinstance(value, str) and value.isdigit():
        return names[int(value)]
    return value


def pk(value: Any) -> int | None:
    """An id given as an integer or a string of digits; None stays None."""
    return None if value is None else int(value)


def integer(value: Any) -> int:
    """DRF's IntegerField reading: ``"1.0"`` and ``" 5 "`` are integers."""
    return int(DECIMAL_ZEROS.sub("", str(value)))
