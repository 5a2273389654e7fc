"""Settings of one mock app: everything ``create_app`` needs, nothing global."""

from __future__ import annotations

from dataclasses import dataclass

CORE = "core"
PLATFORM = "platform"
COMPAT_MODES = (CORE, PLATFORM)

DEFAULT_POLL_TIMEOUT = 300.0
DEFAULT_HISTORY_LIMIT = 1000
EVENTLOG_HISTORY_LIMIT = 100
MESSAGE_TTL_SECONDS = 24 * 3600.0


@dataclass(frozen=True)
class MockConfig:
    """How the mock behaves.

    ``compat`` picks the answer where the platform's server contradicts its documentation,
    as the suite's profiles do: ``core`` gives the documented behaviour (the requirements of
    profile core), ``platform`` reproduces the real server (those of profile platform).
    ``throttle`` / ``poll_throttle`` are per-instance requests per second (None = off).
    ``faults`` names the injected bugs of ``mock_server.faults`` (empty: the correct mock).
    """

    account_key: str
    poll_timeout: float = DEFAULT_POLL_TIMEOUT
    compat: str = CORE
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
        """Retention cap of one (channel, room) index (HIST-021); ``eventlog`` keeps fewer
        (apps/channels/models.py)."""
        if channel_name == "eventlog":
            return min(EVENTLOG_HISTORY_LIMIT, self.history_limit)
        return self.history_limit
