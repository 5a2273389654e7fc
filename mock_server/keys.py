"""Keys as the platform mints them (AUTH-001, AUTH-002).

A key is 40 hex characters; the parity of the last hex digit tells its kind: even for an
account key (an admin), odd for an instance API key. User keys are 40 hex characters too.
Real SDKs rely on the parity rule, so the mock follows it for every key it issues.
"""

from __future__ import annotations

import re
import secrets
from enum import Enum

from spec.protocol import ACCOUNT_KEY_LAST_DIGITS, API_KEY_LAST_DIGITS, KEY_LENGTH

KEY_PATTERN = re.compile(f"[0-9a-fA-F]{{{KEY_LENGTH}}}")


class KeyKind(Enum):
    """What a presented key can be."""

    ACCOUNT = "account"
    API = "api"
    INVALID = "invalid"


def classify(key: str) -> KeyKind:
    """The kind of a presented key: its shape and the parity of its last hex digit."""
    if not KEY_PATTERN.fullmatch(key):
        return KeyKind.INVALID
    return KeyKind.ACCOUNT if key[-1].lower() in ACCOUNT_KEY_LAST_DIGITS else KeyKind.API


def _new_key(last_digits: str) -> str:
    return secrets.token_hex(KEY_LENGTH // 2)[: KEY_LENGTH - 1] + secrets.choice(last_digits)


def new_account_key() -> str:
    """A fresh account key (last hex digit even)."""
    return _new_key(ACCOUNT_KEY_LAST_DIGITS)


def new_api_key() -> str:
    """A fresh instance API key (last hex digit odd)."""
    return _new_key(API_KEY_LAST_DIGITS)


def new_user_key() -> str:
    """A fresh user key: 40 hex characters, no parity rule."""
    return secrets.token_hex(20)
