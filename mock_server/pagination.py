"""Cursor pagination of list endpoints (reference §4.4, §9.1).

A page is chosen by ``page_size`` (default and maximum 100, 0 for an empty page), ``ordering``
(``asc`` / ``desc``, case-insensitive, anything else means the endpoint's default) and a cursor
(``direction`` 1 forward / 0 backward, ``last_pk`` the id it starts after). ``next`` is set when
the page is full, ``prev`` when a cursor was used; both links keep only ``page_size`` and
``ordering`` from the request, so other filters (room, last_id) are dropped as on the platform.

Channel lists page over channel pks (a database query on the platform); history pages over
message ids with the Redis storage rules: a lower bound below 1 gives an empty page, and a zero
page size still counts as a full page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from mock_server import faults
from mock_server.errors import BAD_PAGE, detail

MAX_PAGE_SIZE = 100
LINK_PARAMS = ("page_size", "ordering")
# An empty value of these is an error (400), not an absent parameter.
PAGE_PARAMS = ("page_size", "direction", "last_pk")

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


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise detail(400, BAD_PAGE) from exc


def page_query(query: Mapping[str, str], default_ascending: bool) -> PageQuery:
    """Read the paging parameters (already checked against the endpoint's query schema)."""
    page_size = MAX_PAGE_SIZE
    if "page_size" in query:
        page_size = _int(query["page_size"])
        if page_size < 0:
            raise detail(400, BAD_PAGE)
        page_size = min(page_size, MAX_PAGE_SIZE)
    ordering = query.get("ordering", "").lower()
    ascending = ordering == "asc" if ordering in ("asc", "desc") else default_ascending
    direction = _int(query["direction"]) if "direction" in query else None
    if direction not in (None, 0, 1):
        raise detail(400, BAD_PAGE)
    last_pk = _int(query["last_pk"]) if "last_pk" in query else None
    links = tuple((name, query[name]) for name in LINK_PARAMS if name in query)
    return PageQuery(page_size, ascending, direction, last_pk, links)


def _bounds(pq: PageQuery, from_cursor: bool = False) -> tuple[int | None, int | None]:
    """Inclusive id bounds the cursor sets: after ``last_pk`` in the direction of travel (or
    from ``last_pk`` on, with ``from_cursor``)."""
    if pq.last_pk is None:
        return None, None
    step = 0 if from_cursor else 1
    if pq.ascending == pq.forward:
        return pq.last_pk + step, None
    return None, pq.last_pk - step


def _finish(pq: PageQuery, items: list[Any], has_more: bool | None,
            key: Callable[[Any], int]) -> Page:
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
    query, a cursor without a direction is ignored."""
    if pq.page_size == 0:
        return _finish(pq, [], None, key)
    low, high = _bounds(pq) if pq.direction is not None and pq.last_pk else (None, None)
    selected = [r for r in rows if (low is None or key(r) >= low)
                and (high is None or key(r) <= high)]
    if pq.ascending != pq.forward:
        selected.reverse()
    items = selected[:pq.page_size]
    return _finish(pq, items, len(items) >= pq.page_size, key)


def select_messages(pq: PageQuery, fetch: Fetch, floor: int | None) -> Page:
    """A page of history: ``fetch(min_id, max_id, ascending, limit)`` reads the store and
    ``floor`` is the lowest id the ``last_id`` filter allows."""
    cursor_low, high = _bounds(pq, from_cursor=faults.active("history-cursor-repeats"))
    lows = [v for v in (floor, cursor_low) if v is not None]
    low = max(lows) if any(lows) else None
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
    return {"next": link(path, pq, page.next_cursor), "prev": link(path, pq, page.prev_cursor),
            "objects": objects}
