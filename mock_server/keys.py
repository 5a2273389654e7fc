"""Keys as the platform mints them (reference §2.2).

A key is 40 hex characters; the parity of the last hex digit tells its kind: even for an
account key (an admin), odd for an instance API key. User keys are 40 hex characters too.
Real SDKs rely on the parity rule, so the mock follows it for every key it issues.
"""

from __future__ import annotations

import re
import secrets
from enum import Enum

KEY_PATTERN = re.compile(r"[0-9a-fA-F]{40}")
EVEN_DIGITS = "02468ace"
ODD_DIGITS = "13579bdf"


class KeyKind(Enum):
    """What a presented key can be."""

    ACCOUNT = "account"
    API = "api"
    INVALID = "invalid"


def classify(key: str) -> KeyKind:
    """The kind of a presented key: its shape and the parity of its last hex digit."""
    if not KEY_PATTERN.fullmatch(key):
        return KeyKind.INVALID
    return KeyKind.ACCOUNT if int(key[-1], 16) % 2 == 0 else KeyKind.API


def _new_key(last_digits: str) -> str:
    return secrets.token_hex(20)[:39] + secrets.choice(last_digits)


def new_account_key() -> str:
    """A fresh account key (last hex digit even)."""
    return _new_key(EVEN_DIGITS)


def new_api_key() -> str:
    """A fresh instance API key (last hex digit odd)."""
    return _new_key(ODD_DIGITS)


def new_user_key() -> str:
    """A fresh user key: 40 hex characters, no parity rule."""
    return secrets.token_hex(20)
