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
MEMORY_STORE = "memory"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
DEFAULT_REDIS_PREFIX = "channels-mock:"


@dataclass(frozen=True)
class MockConfig:
    """How the mock behaves.

    ``compat`` picks the answer where the platform's server contradicts its documentation,
    as the suite's profiles do: ``core`` gives the documented behaviour (the requirements of
    profile core), ``platform`` reproduces the real server (those of profile platform).
    ``throttle`` / ``poll_throttle`` are per-instance requests per second (None = off).
    ``faults`` names the injected bugs of ``mock_server.faults`` (empty: the correct mock).
    ``store`` is ``memory`` (this process only) or a Redis URL shared by several processes;
    ``redis_prefix`` is the namespace of every key the mock writes there.
    """

    account_key: str
    poll_timeout: float = DEFAULT_POLL_TIMEOUT
    compat: str = CORE
    history_limit: int = DEFAULT_HISTORY_LIMIT
    throttle: int | None = None
    poll_throttle: int | None = None
    message_ttl: float = MESSAGE_TTL_SECONDS
    faults: frozenset[str] = frozenset()
    store: str = MEMORY_STORE
    redis_prefix: str = DEFAULT_REDIS_PREFIX

    @property
    def shared_store(self) -> bool:
        """True when the state lives in Redis rather than in this process."""
        return self.store != MEMORY_STORE

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


@dataclass(frozen=True)
class DeploymentModes:
    """What the deployment in front of the app does to requests (``mock_server.deployment``),
    so SDKs can be tried against a slow, lossy, failing network without a real platform.

    ``latency_ms`` ± ``jitter_ms`` delays every request; ``drop_rate`` and ``error_rate`` are
    the shares of requests closed without an answer or answered with Django's bare 500;
    ``drop_kept_alive`` drops every request after the first on one connection, as uWSGI's HTTP
    router does. ``seed`` makes the random draws repeatable. All off: nothing is in the way.
    """

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    drop_rate: float = 0.0
    error_rate: float = 0.0
    drop_kept_alive: bool = False
    seed: int = 0

    @property
    def active(self) -> bool:
        """True when any mode touches requests (otherwise the server runs without them)."""
        return bool(self.latency_ms or self.jitter_ms or self.random or self.drop_kept_alive)

    @property
    def random(self) -> bool:
        """True when a mode draws random numbers, so ``seed`` matters."""
        return bool(self.jitter_ms or self.drop_rate or self.error_rate)

    def describe(self) -> list[str]:
        """The modes that are on, as the ready line names them."""
        shown = []
        if self.latency_ms or self.jitter_ms:
            jitter = f":{self.jitter_ms:g}" if self.jitter_ms else ""
            shown.append(f"latency {self.latency_ms:g}{jitter} ms")
        if self.drop_rate:
            shown.append(f"drop-rate {self.drop_rate:g}")
        if self.error_rate:
            shown.append(f"error-rate {self.error_rate:g}")
        if self.drop_kept_alive:
            shown.append("drop-kept-alive")
        if self.random:
            shown.append(f"seed {self.seed}")
        return shown
