"""Cursor pagination of list endpoints (apps/core/pagination.py, apps/redis_storage/pagination.py;
CHAN-030..034, CHAN-037, HIST-007..011, HIST-020, HIST-023, HIST-024).

A page is chosen by ``page_size`` (default and maximum 100, 0 for an empty page), ``ordering``
(``asc`` / ``desc``, case-insensitive, anything else means the endpoint's default) and a cursor
(``direction`` 1 forward / 0 backward, ``last_pk`` the id it starts after). ``next`` is set when
the page is full, ``prev`` when a cursor was used; both links keep only ``page_size`` and
``ordering`` from the request, so other filters (room, last_id) are dropped as on the platform.

Every page parameter is read with Python's ``int()`` as the platform does (its Python 3.7):
surrounding whitespace, a sign, underscores between digits and non-ASCII decimal digits are
fine. Which values each parameter takes (a 32-bit id range for ``last_pk`` of the channel list,
any integer for history) is the query schema's business; this module reads the values it let
through.

Channel lists page over channel pks (a database query on the platform); history pages over
message ids with the Redis storage rules: a bound below 1 gives an empty page, except that a
bound of exactly 0 counts as no bound, and a zero page size still counts as a full page.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from mock_server.errors import BAD_PAGE, detail

MAX_PAGE_SIZE = 100
LINK_PARAMS = ("page_size", "ordering")
# An empty value of these is an error (400), not an absent parameter.
PAGE_PARAMS = ("page_size", "direction", "last_pk")
# What int() skips around a number: str.isspace() characters except U+001C..U+001F.
INT_SPACE = "".join(
    c for c in map(chr, range(0x3001)) if c.isspace() and c not in "\x1c\x1d\x1e\x1f"
)
ASCII_INT = re.compile(r"[+-]?[0-9](?:_?[0-9])*")
# Magnitudes beyond 10**MAX_DIGITS are clamped: no id or page size comes near, so every
# comparison comes out the same, and Python 3.11's int() refuses over 4300 digits.
MAX_DIGITS = 30

Item = TypeVar("Item")
Fetch = Callable[[int | None, int | None, bool, int], list[Any]]


@dataclass(frozen=True)
class PageQuery:
    """The paging parameters of one request."""

    page_size: int
    ascending: bool
    direction: int | None
    last_pk: int | None
    link_params: tuple[tuple[str, str], ...]

    @property
    def forward(self) -> bool:
        """Backward only for ``direction=0``."""
        return self.direction != 0


@dataclass(frozen=True)
class Page:
    """The items of a page and the cursors of its neighbours."""

    items: list[Any]
    next_cursor: tuple[int | None, int | None] | None
    prev_cursor: tuple[int | None, int | None] | None


def _ascii(char: str) -> str:
    """A non-ASCII decimal digit as its ASCII digit; any other character as it is."""
    value = None if char.isascii() else unicodedata.decimal(char, None)
    return char if value is None else str(value)


def read_int(text: str) -> int:
    """``int(text)`` as the platform computes it (apps/core/pagination.py reads every page
    parameter so), magnitude clamped at ``10**MAX_DIGITS``; the page-parameter 400 where
    ``int()`` raises. Digits of Unicode versions after the platform's are the query schema's to
    refuse."""
    number = "".join(_ascii(char) for char in text.strip(INT_SPACE))
    if not ASCII_INT.fullmatch(number):
        raise detail(400, BAD_PAGE)
    digits = number.lstrip("+-").replace("_", "").lstrip("0") or "0"
    if len(digits) > MAX_DIGITS:
        digits = "1" + "0" * MAX_DIGITS
    return -int(digits) if number.startswith("-") else int(digits)


def page_query(query: Mapping[str, str], default_ascending: bool) -> PageQuery:
    """Read the paging parameters (already checked against the endpoint's query schema)."""
    page_size = MAX_PAGE_SIZE
    if "page_size" in query:
        page_size = read_int(query["page_size"])
        if page_size < 0:
            raise detail(400, BAD_PAGE)
        page_size = min(page_size, MAX_PAGE_SIZE)
    ordering = query.get("ordering", "").lower()
    ascending = ordering == "asc" if ordering in ("asc", "desc") else default_ascending
    direction = read_int(query["direction"]) if "direction" in query else None
    if direction not in (None, 0, 1):
        raise detail(400, BAD_PAGE)
    last_pk = read_int(query["last_pk"]) if "last_pk" in query else None
    links = tuple((name, query[name]) for name in LINK_PARAMS if name in query)
    return PageQuery(page_size, ascending, direction, last_pk, links)


def cursor_bounds(pq: PageQuery) -> tuple[int | None, int | None]:
    """Inclusive id bounds the cursor sets: after ``last_pk`` in the direction of travel."""
    if pq.last_pk is None:
        return None, None
    if pq.ascending == pq.forward:
        return pq.last_pk + 1, None
    return None, pq.last_pk - 1


def _finish(
    pq: PageQuery, items: list[Any], has_more: bool | None, key: Callable[[Any], int]
) -> Page:
    has_next = has_more if pq.forward else None
    has_prev = None if pq.forward else has_more
    if not pq.forward:
        items = items[::-1]
    full = bool(items) and len(items) == pq.page_size
    next_cursor: tuple[int | None, int | None] | None = None
    if has_next is not False:
        if full:
            next_cursor = (1, key(items[-1]))
        elif pq.direction == 0:
            next_cursor = (None, None)
    prev_cursor: tuple[int | None, int | None] | None = None
    if pq.direction is not None and has_prev is not False:
        if not items:
            prev_cursor = (0, None) if pq.direction == 1 else None
        elif full or pq.direction == 1:
            prev_cursor = (0, key(items[0]))
    return Page(items, next_cursor, prev_cursor)


def select_rows(pq: PageQuery, rows: Sequence[Item], key: Callable[[Item], int]) -> Page:
    """A page of rows sorted by ascending key (channel lists, set-up lists); as in a database
    query, a cursor without a direction is ignored, and ``last_pk=0`` is a bound like any other
    (backward from 0 is an empty page)."""
    if pq.page_size == 0:
        return _finish(pq, [], None, key)
    low, high = cursor_bounds(pq) if pq.direction is not None else (None, None)
    selected = [
        r for r in rows if (low is None or key(r) >= low) and (high is None or key(r) <= high)
    ]
    if pq.ascending != pq.forward:
        selected.reverse()
    items = selected[: pq.page_size]
    return _finish(pq, items, len(items) >= pq.page_size, key)


def select_messages(
    pq: PageQuery, fetch: Fetch, floor: int | None, cursor: tuple[int | None, int | None]
) -> Page:
    """A page of history: ``fetch(min_id, max_id, ascending, limit)`` reads the store,
    ``floor`` is the lowest id the ``last_id`` filter allows and ``cursor`` the bounds the
    cursor sets (``cursor_bounds``)."""
    cursor_low, high = cursor
    lows = [v for v in (floor, cursor_low) if v is not None]
    # apps/redis_storage/pagination.py merges each bound with any() over (view bound, cursor
    # bound): a merged bound of 0 counts as none (so last_pk=1 backward in time lists from the
    # newest), any other bound below 1 empties the page.
    low = max(lows) if any(lows) else None
    high = high or None
    if (low is not None and low <= 0) or (high is not None and high <= 0):
        items: list[Any] = []
    else:
        items = fetch(low, high, pq.ascending == pq.forward, pq.page_size)
    return _finish(pq, items, len(items) >= pq.page_size, lambda m: m.id)


def link(path: str, pq: PageQuery, cursor: tuple[int | None, int | None] | None) -> str | None:
    """A next/prev link: the request path, its page_size and ordering, then the cursor."""
    if cursor is None:
        return None
    params = list(pq.link_params)
    direction, last_pk = cursor
    if direction is not None:
        params.append(("direction", str(direction)))
    if last_pk is not None:
        params.append(("last_pk", str(last_pk)))
    return f"{path}?{urlencode(params)}" if params else path


def envelope(path: str, pq: PageQuery, page: Page, objects: list[Any]) -> dict[str, Any]:
    """The list body: ``{"next", "prev", "objects"}``."""
    return {
        "next": link(path, pq, page.next_cursor),
        "prev": link(path, pq, page.prev_cursor),
        "objects": objects,
    }
