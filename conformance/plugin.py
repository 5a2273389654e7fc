"""pytest plugin of the Channels conformance suite: options, the `requirement` marker, the
target (a given URL or the bundled mock), profile filtering, xdist wiring and report data (in
``user_properties``, as conformance/report/contract.py lists them).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance import expect, launch
from conformance.client import (
    Client,
    ExchangeLog,
    Policy,
    TargetSilent,
    TargetUnusable,
    TransportStats,
)
from conformance.fuzz import explore
from conformance.masking import Secrets
from conformance.provision import Provisioner, ProvisionError, random_key
from conformance.report import contract
from conformance.requirements import OPTION_GROUP, requirement_set

pytest_plugins = ["conformance.fixtures"]

CHECKS_DIR = Path(__file__).resolve().parent / "checks"
WORKER_INPUT = "channels_conformance_target"
MEASUREMENTS = pytest.StashKey[dict[str, float]]()
WORKER_STATS = "channels_transport"
RATE_MARGIN = 0.9  # keep this share of --rate-limit, so clock drift stays under the limit
PROBE_REQUESTS = 4
# A whole default run sends about this many requests (measured against the bundled mock).
REQUESTS_PER_RUN = 2400
LONG_RUN_WARNING_S = 300.0


@dataclass
class Target:
    """Where the checks go and what is known about it."""

    url: str
    account_key: str
    instance: str
    instance_created: bool
    owner_id: int | None
    poll_timeout: float | None
    max_wait: float
    profile: str
    auth_style: str
    embedded: bool
    deadline: float
    rate_limit: int | None
    fresh_connections: bool
    started_at: float  # wall clock (time.time()) when the controller started the run
    latency_ms: float | None = None

    def __repr__(self) -> str:  # the account key never shows in a traceback
        return f"Target(url={self.url!r}, instance={self.instance!r}, profile={self.profile!r})"

    def policy(self) -> Policy:
        """How this process talks to the target: the run's rate limit is shared by the
        xdist workers, and a target that drops kept-alive connections gets fresh ones."""
        workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
        rate = self.rate_limit * RATE_MARGIN / max(workers, 1) if self.rate_limit else None
        return Policy(self.deadline, self.fresh_connections, rate)


@dataclass
class State:
    """Per-process plugin state, kept on config.stash."""

    log: ExchangeLog
    stats: TransportStats = field(default_factory=TransportStats)
    secrets: Secrets = field(default_factory=Secrets)
    target: Target | None = None
    mock: launch.EmbeddedMock | None = None
    owns_instance: bool = False
    abort_reason: str | None = None
    run_estimate_s: float | None = None
    running: pytest.Item | None = None  # the check being run
    phase: str = ""  # the running check's phase: setup, call or teardown


STATE = pytest.StashKey[State]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(*OPTION_GROUP)
    group.addoption("--target-url", help="base URL of the implementation under test")
    group.addoption(
        "--account-key",
        default=os.environ.get("CHANNELS_ACCOUNT_KEY"),
        help="account key on the target (default: $CHANNELS_ACCOUNT_KEY)",
    )
    group.addoption("--instance", help="use this existing instance instead of a fresh one")
    group.addoption("--poll-timeout", type=float, help="the target's long-poll timeout in seconds")
    group.addoption(
        "--request-timeout",
        type=float,
        default=15.0,
        metavar="S",
        help="deadline for one whole answer (connect, headers, body) in seconds; a waiting "
        "poll gets the poll timeout plus 10 s instead (default 15)",
    )
    group.addoption(
        "--max-duration",
        type=float,
        default=1200.0,
        metavar="S",
        help="stop starting checks after S seconds: the reports are written and the checks "
        "not reached are counted as not run (default 1200)",
    )
    group.addoption(
        "--max-wait",
        type=float,
        default=30.0,
        help="longest poll timeout the timeout checks may wait for (default 30)",
    )
    group.addoption(
        "--rate-limit",
        type=int,
        help="the target's per-instance request limit per second; enables the 429 checks",
    )
    group.addoption(
        "--profile",
        choices=("core", "platform"),
        default="core",
        help="requirements to assert: core (default) or platform (core plus platform quirks)",
    )
    group.addoption(
        "--auth-style",
        choices=("header", "token"),
        default="header",
        help="send the key as X-API-KEY (header) or Authorization: token KEY (token)",
    )
    group.addoption(
        "--requirement",
        action="append",
        default=[],
        metavar="ID,...",
        help="run only the checks of these requirement ids, e.g. PUB-001,POLL-004 (repeatable)",
    )
    explore.add_options(parser)


def target_info(config: pytest.Config) -> dict[str, Any]:
    """What the report prints about the run's target."""
    target = config.stash[STATE].target if STATE in config.stash else None
    if target is None:
        return {
            "target_url": config.getoption("target_url"),
            "profile": config.getoption("profile"),
            "poll_timeout": config.getoption("poll_timeout"),
            "embedded": not config.getoption("target_url"),
        }
    return {
        "target_url": target.url,
        "profile": target.profile,
        "poll_timeout": target.poll_timeout,
        "embedded": target.embedded,
    }


def current_target(config: pytest.Config) -> Target:
    """The target of this process, set up on first use if the controller did not hand one."""
    state = config.stash[STATE]
    if state.target is None:
        _establish(config, state)
    assert state.target is not None
    return state.target


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requirement(*ids): the spec/requirements.yaml ids a check verifies"
    )
    config.addinivalue_line(
        "markers", "needs_poll_timeout: the check waits for the target's long-poll timeout"
    )
    config.addinivalue_line(
        "markers", "needs_rate_limit: the check drives the target past its rate limit"
    )
    state = State(ExchangeLog())
    state.secrets.add(config.getoption("account_key"), "account key")
    config.stash[STATE] = state
    selected_requirements(config)
    if config.getoption("target_url"):
        _collect_conformance_only(config)
    handed = getattr(config, "workerinput", {}).get(WORKER_INPUT)
    if handed:
        state.target = Target(**handed)
        state.secrets.add(state.target.account_key, "account key")
    elif (
        not hasattr(config, "workerinput")
        and not config.option.collectonly
        and reaches_checks(config.args, config.invocation_params.dir)
    ):
        _establish(config, state)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: hand the controller's target to each worker, so workers start no mock."""
    target = node.config.stash[STATE].target
    if target is not None:
        node.workerinput[WORKER_INPUT] = asdict(target)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """The checks mostly wait on the target, not on the CPU: `-n auto` starts two workers per
    CPU for a conformance run (PYTEST_XDIST_AUTO_NUM_WORKERS still wins)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    if not (
        config.getoption("target_url") or reaches_checks(config.args, config.invocation_params.dir)
    ):
        return None
    return 2 * len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist: fold a finished worker's transport figures into the run's."""
    figures = getattr(node, "workeroutput", {}).get(WORKER_STATS)
    if figures:
        node.config.stash[STATE].stats.add(figures)


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None and STATE in session.config.stash:
        workeroutput[WORKER_STATS] = session.config.stash[STATE].stats.as_dict()


def transport_info(config: pytest.Config) -> dict[str, Any]:
    """What the report says about how the target was talked to (re-sends, 429s, latency);
    empty when the suite plugin is not active (a report of other tests)."""
    state = config.stash.get(STATE, None)
    if state is None:
        return {}
    target = state.target
    return {
        **state.stats.as_dict(),
        "latency_ms": target.latency_ms if target else None,
        "estimated_s": state.run_estimate_s,
        "max_duration_s": config.getoption("max_duration"),
        "aborted": state.abort_reason,
    }


def client_for(config: pytest.Config, log: ExchangeLog | None = None) -> Client:
    """A client of this process for the run's target, counting into the run's figures."""
    state = config.stash[STATE]
    target = current_target(config)
    return Client(
        target.url,
        target.auth_style,
        log or state.log,
        target.policy(),
        state.stats,
        state.secrets,
        before_send=lambda: _stop_when_late(config),
    )


def _stop_when_late(config: pytest.Config) -> None:
    """Past --max-duration a check sends nothing more: it ends as not run (unless it is skipped
    with a status of its own already). Clean-up in a test's teardown still goes out, so nothing
    is left behind on the target."""
    state = config.stash[STATE]
    limit = config.getoption("max_duration")
    late = state.target is not None and time.time() - state.target.started_at > limit
    check = state.running
    if not late or check is None or state.phase not in ("setup", "call"):
        return
    if contract.skip_status(check.user_properties) is None:
        check.user_properties += [(contract.STATUS, contract.NOT_RUN), (contract.LATE, limit)]
        pytest.skip(f"{contract.NOT_RUN}: {contract.MAX_DURATION_REACHED} {limit:g} s")


def pytest_unconfigure(config: pytest.Config) -> None:
    if STATE not in config.stash:
        return
    state = config.stash[STATE]
    if state.owns_instance and state.target is not None:
        client = client_for(config, ExchangeLog())
        provisioner = Provisioner(client, state.target.account_key)
        with contextlib.suppress(TargetSilent, TargetUnusable):
            client.delete(f"/v1.1/instances/{state.target.instance}/", provisioner.admin)
    if state.mock is not None:
        state.mock.stop()
        state.mock = None


def _collect_conformance_only(config: pytest.Config) -> None:
    """With --target-url only the checks run: with no path arguments the installed checks are
    collected (wherever pytest was started), and the project's tests/ are left out."""
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args[:] = [str(CHECKS_DIR)]


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if not config.getoption("target_url"):
        return None
    return True if collection_path == config.rootpath / "tests" else None


def reaches_checks(args: list[str], invocation_dir: Path, checks_dir: Path = CHECKS_DIR) -> bool:
    """Whether a run with these collection arguments collects conformance checks: then the
    controller sets up the target (starts the bundled mock, or provisions an instance on
    --target-url) before the xdist workers start, since only they collect.

    An argument reaches the checks when its path (before any ``::``) is the checks folder, is
    inside it, or holds it (``.``, ``conformance``). An argument that is no existing path (a
    ``--pyargs`` module name, a typo pytest will report) counts as reaching them: a mock started
    in vain costs a second, a run without its target fails every check."""
    for arg in args:
        path = invocation_dir / arg.split("::")[0]
        if not path.exists():
            return True
        path = path.resolve()
        if path == checks_dir or checks_dir in path.parents or path in checks_dir.parents:
            return True
    return False


def _abort(config: pytest.Config, state: State, message: str) -> None:
    """Stop the run with one line and exit code 2; the reports still say why."""
    state.abort_reason = state.secrets.mask(message)
    pytest.exit(f"channels conformance: {state.abort_reason}", returncode=2)


def _establish(config: pytest.Config, state: State) -> None:
    """Find or start the target, check it answers and accepts the key, pick the instance, and
    learn how to talk to it (latency, kept-alive connections). Any failure stops the run with
    one line and exit code 2."""
    url = config.getoption("target_url")
    account_key = config.getoption("account_key")
    profile = config.getoption("profile")
    poll_timeout = config.getoption("poll_timeout")
    if not url:
        try:
            state.mock = launch.start(account_key or random_key("account"), profile)
        except launch.LaunchError as exc:
            _abort(config, state, str(exc))
        atexit.register(state.mock.stop)
        url, account_key = state.mock.url, state.mock.account_key
        poll_timeout = launch.EMBEDDED_POLL_TIMEOUT
    elif not account_key:
        _abort(config, state, "--target-url needs --account-key or $CHANNELS_ACCOUNT_KEY")
    state.secrets.add(account_key, "account key")
    rate_limit = config.getoption("rate_limit")
    deadline = config.getoption("request_timeout")
    policy = Policy(deadline, rate_limit=rate_limit * RATE_MARGIN if rate_limit else None)
    client = Client(
        url, config.getoption("auth_style"), ExchangeLog(), policy, state.stats, state.secrets
    )
    provisioner = Provisioner(client, account_key)
    name = config.getoption("instance")
    try:
        instance = provisioner.use_instance(name) if name else provisioner.create_instance()
        latency_ms = _probe(client, provisioner, instance.paths.channels)
    except (TargetSilent, TargetUnusable) as exc:
        _abort(config, state, f"the target {url} cannot be reached: {exc}{_url_hint(url)}")
    except ProvisionError as exc:
        refused = exc.reply.status in (401, 403)
        reason = "refuses the account key" if refused else "cannot be used"
        _abort(config, state, f"the target {url} {reason}: {exc}{_url_hint(url)}")
    state.owns_instance = instance.created_here
    workers = getattr(config.option, "numprocesses", None)
    workers = workers if isinstance(workers, int) and workers > 0 else 1
    state.run_estimate_s = round(REQUESTS_PER_RUN * latency_ms / 1000 / workers, 1)
    state.target = Target(
        url=url,
        account_key=account_key,
        instance=instance.name,
        instance_created=instance.created_here,
        owner_id=instance.owner_id,
        poll_timeout=poll_timeout,
        max_wait=config.getoption("max_wait"),
        profile=profile,
        auth_style=config.getoption("auth_style"),
        embedded=state.mock is not None,
        deadline=deadline,
        rate_limit=rate_limit,
        fresh_connections=state.stats.fresh_connections,
        started_at=time.time(),
        latency_ms=latency_ms,
    )


def _probe(client: Client, provisioner: Provisioner, path: str) -> float:
    """The target's typical answer time in ms, from a few requests on one kept-alive
    connection; a target that drops them switches the run to one connection per request."""
    times = []
    for _ in range(PROBE_REQUESTS):
        reply = client.get(path, provisioner.admin, params={"page_size": 1})
        times.append(reply.elapsed_ms)
    return round(statistics.median(times), 1)


def _url_hint(url: str) -> str:
    """A hint for the commonest mistake: the API prefix in --target-url."""
    if url.rstrip("/").endswith("/v1.1"):
        return " (give --target-url without /v1.1: the suite adds the API prefix itself)"
    return ""


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    """The target's latency, and a warning with an estimate when the run will be long."""
    if STATE not in config.stash or config.stash[STATE].target is None:
        return None
    state = config.stash[STATE]
    target = state.target
    assert target is not None
    lines = [f"channels: target {target.url}, {target.latency_ms:g} ms per answer"]
    if target.fresh_connections:
        lines.append(
            "channels: the target drops requests on kept-alive connections; "
            "the run opens one connection per request"
        )
    estimate = state.run_estimate_s
    if estimate and estimate > LONG_RUN_WARNING_S:
        lines.append(
            f"channels: WARNING: a slow target: a whole run takes about {estimate / 60:.0f} min; "
            f"checks not started within --max-duration {config.getoption('max_duration'):g} s "
            "are not run"
        )
    return lines


def requirement_ids(item: pytest.Item) -> list[str]:
    """Every requirement id the item's markers name, in order, without repeats."""
    ids: list[str] = []
    for marker in item.iter_markers("requirement"):
        ids.extend(i for i in marker.args if i not in ids)
    return ids


def selected_requirements(config: pytest.Config) -> set[str]:
    """The ids given with --requirement (none: every check runs); an id the requirement set
    does not know stops the run with one line and exit code 2."""
    ids = {i.strip() for value in config.getoption("requirement") for i in value.split(",")}
    ids.discard("")
    unknown = sorted(ids - requirement_set(config).requirements.keys())
    if unknown:
        pytest.exit(f"channels conformance: --requirement: unknown id {unknown[0]}", returncode=2)
    return ids


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep only the checks of --requirement ids (if given); skip checks outside the selected
    profile, and timeout checks the run cannot afford."""
    wanted = selected_requirements(config)
    if wanted:
        keep: list[pytest.Item] = []
        drop: list[pytest.Item] = []
        for item in items:
            (keep if wanted.intersection(requirement_ids(item)) else drop).append(item)
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    state = config.stash[STATE]
    profile = config.getoption("profile")
    requirements = requirement_set(config)
    for item in items:
        reason = requirements.applicability(requirement_ids(item), profile)
        if reason:
            contract.skip(item, contract.NOT_APPLICABLE, reason)
            continue
        if item.get_closest_marker("needs_poll_timeout"):
            reason = _poll_wait_problem(config, state.target)
        elif item.get_closest_marker("needs_rate_limit") and not config.getoption("rate_limit"):
            reason = "throttling checks are opt-in (give --rate-limit N)"
        if reason:
            contract.skip(item, contract.NOT_RUN, reason)


def _poll_wait_problem(config: pytest.Config, target: Target | None) -> str | None:
    timeout = target.poll_timeout if target else config.getoption("poll_timeout")
    max_wait = config.getoption("max_wait")
    if timeout is None:
        return "the target's poll timeout is unknown (give --poll-timeout)"
    if timeout > max_wait:
        return f"the poll timeout {timeout:g} s is longer than --max-wait {max_wait:g} s"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    state = item.config.stash[STATE]
    state.log.clear()
    expect.start_check(requirement_ids(item), requirement_set(item.config))
    state.running = item
    state.phase = "setup"
    _stop_when_late(item.config)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    item.config.stash[STATE].phase = "call"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    item.config.stash[STATE].phase = "teardown"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    state = item.config.stash[STATE]
    report.user_properties.append((contract.REQUIREMENTS, " ".join(requirement_ids(item))))
    measurements = item.stash.get(MEASUREMENTS, None)
    if measurements and call.when == "call":
        report.user_properties.append((contract.MEASUREMENTS, dict(measurements)))
    if report.failed and call.excinfo is not None:
        error = call.excinfo.value
        report.user_properties.append((contract.EXCHANGES, state.log.exchanges()))
        if isinstance(error, expect.RequirementBroken):
            report.user_properties.append((contract.BROKEN, " ".join(error.requirements)))
        if isinstance(error, TargetUnusable):
            report.user_properties.append((contract.UNUSABLE, str(error)))
        if isinstance(error, AssertionError | TargetUnusable) and _default_tb(item.config):
            # the evidence is in the message: the frames of the test, not of urllib3
            report.longrepr = item._repr_failure_py(call.excinfo, style="short")
    state.secrets.mask_report(report)


def _default_tb(config: pytest.Config) -> bool:
    return config.getoption("tbstyle", "auto") == "auto"


def record_measurement(item: pytest.Item, name: str, value: float) -> None:
    """Attach a figure (e.g. a wake-up latency in ms) to the test's report."""
    item.stash.setdefault(MEASUREMENTS, {})[name] = value
