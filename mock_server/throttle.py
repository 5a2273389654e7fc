"""Per-instance throttling in fixed one-second windows (THR-001..004), off by default.

Every request to an instance counts in one bucket per (instance, wall-clock second). Ordinary
requests are refused once the bucket holds ``rate`` requests, polls once it holds
``poll_rate``: the two limits share the bucket but differ, as on the platform. A refused
request is not counted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from mock_server.errors import throttled


class Throttle:
    """The throttle of one app; ``rate`` / ``poll_rate`` None means no limit."""

    def __init__(
        self, rate: int | None, poll_rate: int | None, clock: Callable[[], float] = time.time
    ) -> None:
        self.rate = rate
        self.poll_rate = poll_rate
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[int, tuple[int, int]] = {}

    def check(self, instance_uid: int, poll: bool = False) -> None:
        """Count one request of an instance, or raise the 429 answer."""
        limit = self.poll_rate if poll else self.rate
        if self.rate is None and self.poll_rate is None:
            return
        second = int(self.clock())
        with self._lock:
            window, count = self._buckets.get(instance_uid, (second, 0))
            if window != second:
                count = 0
            if limit is not None and count >= limit:
                raise throttled()
            self._buckets[instance_uid] = (second, count + 1)
