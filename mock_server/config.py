"""Settings of one mock app: everything ``create_app`` needs, nothing global."""

from __future__ import annotations

from dataclasses import dataclass

STRICT = "strict"
PLATFORM = "platform"
COMPAT_MODES = (STRICT, PLATFORM)

DEFAULT_POLL_TIMEOUT = 300.0
DEFAULT_HISTORY_LIMIT = 1000
EVENTLOG_HISTORY_LIMIT = 100
MESSAGE_TTL_SECONDS = 24 * 3600.0


@dataclass(frozen=True)
class MockConfig:
    """How the mock behaves.

    ``compat`` picks the answer for the server quirks of reference §5.2 and §13: ``strict``
    gives the documented behaviour, ``platform`` reproduces the real server.
    ``throttle`` / ``poll_throttle`` are per-instance requests per second (None = off).
    ``faults`` names the injected bugs of ``mock_server.faults`` (empty: the correct mock).
    """

    account_key: str
    poll_timeout: float = DEFAULT_POLL_TIMEOUT
    compat: str = STRICT
    history_limit: int = DEFAULT_HISTORY_LIMIT
    throttle: int | None = None
    poll_throttle: int | None = None
    message_ttl: float = MESSAGE_TTL_SECONDS
    faults: frozenset[str] = frozenset()

    @property
    def platform(self) -> bool:
        """True when the server's quirks are reproduced rather than the documented behaviour."""
        return self.compat == PLATFORM

    def history_limit_for(self, channel_name: str) -> int:
        """Retention cap of one (channel, room) index; ``eventlog`` keeps fewer (§6.2)."""
        if channel_name == "eventlog":
            return min(EVENTLOG_HISTORY_LIMIT, self.history_limit)
        return self.history_limit
