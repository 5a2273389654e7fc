"""Faults of the history-paging seam: subclasses of ``HistoryPaging``, changing the default
order, the ``last_id`` filter or the cursor."""

from __future__ import annotations

from mock_server.api.messages import HistoryPaging
from mock_server.faults.declare import declare
from mock_server.pagination import PageQuery


# HIST
@declare(
    "history-oldest-first",
    "HIST-002",
    "History is ordered oldest first unless ?ordering= says otherwise.",
)
class HistoryOldestFirst(HistoryPaging):
    default_ascending = True


@declare(
    "history-last-id-inclusive",
    "HIST-004",
    "History with ?last_id=N includes the message N itself (>= instead of >).",
)
class HistoryLastIdInclusive(HistoryPaging):
    def floor(self, params: dict[str, str]) -> int | None:
        return self.last_id(params) or None


@declare(
    "history-cursor-repeats",
    "HIST-009",
    "The history cursor starts at the last message of the previous page instead of "
    "after it, so each next page repeats one message.",
)
class HistoryCursorRepeats(HistoryPaging):
    def cursor(self, pq: PageQuery) -> tuple[int | None, int | None]:
        low, high = super().cursor(pq)
        return (None if low is None else low - 1), (None if high is None else high + 1)


# GEN
@declare(
    "history-last-id-unguarded",
    "GEN-001",
    "History reads ?last_id= with a bare int(), so a non-integer raises and the server "
    "answers 500.",
)
class HistoryLastIdUnguarded(HistoryPaging):
    def last_id(self, params: dict[str, str]) -> int | None:
        return int(params["last_id"]) if "last_id" in params else None
