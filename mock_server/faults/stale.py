"""A stale cache: what the caching faults read instead of the truth."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

CACHE_SECONDS = 60.0
Value = TypeVar("Value")


class StaleCache:
    """Values as first seen, each kept for ``seconds``: ``get(key, fresh)`` answers the value
    remembered for ``key`` while it is young enough, else remembers and answers ``fresh``."""

    def __init__(
        self, seconds: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.clock = clock
        self._seen: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable, fresh: Value) -> Value:
        """The cached value of ``key``, or ``fresh`` once the entry is missing or expired."""
        now = self.clock()
        seen = self._seen.get(key)
        if seen is None or now - seen[0] > self.seconds:
            self._seen[key] = (now, fresh)
            return fresh
        return seen[1]
