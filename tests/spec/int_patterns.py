"""The page parameters as the platform reads them, and the schema patterns derived from that.

The platform (Syncano/syncano-platform, Python 3.7) reads ``page_size``, ``direction`` and
``last_pk`` with Python's ``int()`` (apps/core/pagination.py, DRF's ``_positive_int``, Django's
``AutoField.to_python`` and apps/redis_storage/pagination.py). ``int()`` skips surrounding
whitespace (the ``str.isspace`` characters except U+001C..U+001F), takes one optional sign,
single underscores between digits, and any Unicode decimal digit (category Nd) of the Unicode
version its Python ships, 11.0 for Python 3.7. On top of that:

- ``page_size`` must not be negative (larger than 100 is clamped, 0 is an empty page);
- ``direction`` must be 0 or 1;
- ``last_pk`` of the channel list (and of every other database list) is an ``AutoField`` value,
  checked against Django's ``PositiveIntegerField`` range 0..2147483647 (apps/core/validators.py
  ``validate_id``);
- ``last_pk`` of history is any integer (apps/redis_storage/pagination.py, no range check).

JSON Schema patterns cannot call ``int()``, so the spec spells the rule out; this module builds
those patterns (tests check the schema holds exactly these) and models ``int()`` to check them.
Character classes are written out: ``\\d`` and ``\\s`` mean different sets in Python's ``re``
and in ECMA-262. Astral digits stand in classes as literal code points, which Python's ``re``
and ECMA-262 with the ``u`` flag (JSON Schema 2020-12's reading) both take as one character; the
schema files hold them as raw UTF-8, since YAML readers of JSON (openapi-spec-validator) refuse
the surrogate-pair escapes JSON would otherwise use.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from functools import cache

# The zero of every Nd block of Unicode 11.0 (Python 3.7's unicodedata); each block holds the
# digits 0..9 in order. Later Unicode versions add blocks that the platform's int() refuses.
UNICODE_11_ZEROS = (
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
    0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0xFF10, 0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0,
    0x11650, 0x116C0, 0x11730, 0x118E0, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16B50, 0x1D7CE,
    0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E950,
)  # fmt: skip
# What int() skips around the number (as a class; the same as common.json's integer class).
SPACE = "[\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
SPACE_CHARS = "".join(
    c for c in map(chr, range(0x110000)) if c.isspace() and c not in "\x1c\x1d\x1e\x1f"
)
ID_MAX = 2**31 - 1  # Django's PositiveIntegerField range on PostgreSQL: 0..2147483647
PAGE_SIZE_MAX = 100


@cache
def platform_digits() -> frozenset[str]:
    """Every decimal digit the platform's int() reads."""
    return frozenset(chr(zero + value) for zero in UNICODE_11_ZEROS for value in range(10))


def platform_int(text: str) -> int | None:
    """``int(text)`` as the platform's Python 3.7 computes it, None where it raises. Python
    3.11's int() reads the same syntax but knows later digits, so those are refused first."""
    known = platform_digits()
    if any(unicodedata.decimal(c, None) is not None and c not in known for c in text):
        return None
    try:
        return int(text)
    except ValueError:
        return None


def accepts(parameter: str, text: str) -> bool:
    """Whether the platform takes ``text`` as the page parameter ``parameter`` (no 400)."""
    value = platform_int(text)
    if value is None:
        return False
    if parameter == "page_size":
        return value >= 0
    if parameter == "direction":
        return value in (0, 1)
    if parameter == "list_last_pk":
        return 0 <= value <= ID_MAX
    return parameter == "history_last_pk"


def _char(code: int) -> str:
    """One code point as pattern text: ASCII as is, other BMP characters as ``\\uXXXX``,
    astral ones as the literal character."""
    if code < 0x80 or code > 0xFFFF:
        return chr(code)
    return f"\\u{code:04x}"


def _spans(low: int, high: int) -> Iterator[tuple[int, int]]:
    """The code point ranges of the digits low..high of every block, adjacent ones merged."""
    start, end = UNICODE_11_ZEROS[0] + low, UNICODE_11_ZEROS[0] + high
    for zero in UNICODE_11_ZEROS[1:]:
        if zero + low == end + 1:
            end = zero + high
            continue
        yield start, end
        start, end = zero + low, zero + high
    yield start, end


def digits(low: int, high: int) -> str:
    """A character class of the platform's digits whose value is in low..high."""
    parts = [_char(a) if a == b else f"{_char(a)}-{_char(b)}" for a, b in _spans(low, high)]
    return "[" + "".join(parts) + "]"


ANY = digits(0, 9)
ZERO = digits(0, 0)
NONZERO = digits(1, 9)


def _run(digit: str) -> str:
    """One or more ``digit`` with single underscores between them."""
    return f"{digit}(?:_?{digit})*"


def _anchored(number: str) -> str:
    """A whole value: whitespace, the number, whitespace."""
    return f"^{SPACE}*(?:{number}){SPACE}*$"


def _same_length_at_most(bound: str, first: bool = True) -> str:
    """Digits (underscores between them) as many as ``bound`` has, not above it; the first
    one non-zero."""
    head, rest = int(bound[0]), bound[1:]
    low = 1 if first else 0
    if not rest:
        return digits(low, head)
    options = []
    if head > low:
        options.append(f"{digits(low, head - 1)}(?:_?{ANY}){{{len(rest)}}}")
    options.append(f"{digits(head, head)}_?(?:{_same_length_at_most(rest, first=False)})")
    return "|".join(options)


def _at_most(bound: int) -> str:
    """Significant digits (no leading zero) of a number from 1 to ``bound``."""
    text = str(bound)
    shorter = f"{NONZERO}(?:_?{ANY}){{0,{len(text) - 2}}}"
    return f"{shorter}|{_same_length_at_most(text)}"


def page_size_pattern() -> str:
    """``page_size``: an integer that is not negative (``-0`` is zero)."""
    return _anchored(f"\\+?{_run(ANY)}|-{_run(ZERO)}")


def direction_pattern() -> str:
    """``direction``: an integer equal to 0 or 1."""
    return _anchored(f"[+-]?{_run(ZERO)}|\\+?(?:{_run(ZERO)}_?)?{digits(1, 1)}")


def list_last_pk_pattern() -> str:
    """``last_pk`` of a database list: an integer from 0 to 2147483647."""
    return _anchored(f"[+-]?{_run(ZERO)}|\\+?(?:{_run(ZERO)}_?)?(?:{_at_most(ID_MAX)})")


def history_last_pk_pattern() -> str:
    """``last_pk`` of history: any integer."""
    return _anchored(f"[+-]?{_run(ANY)}")


PATTERNS = {
    "page_size": page_size_pattern,
    "direction": direction_pattern,
    "list_last_pk": list_last_pk_pattern,
    "history_last_pk": history_last_pk_pattern,
}
