"""``channels-mock``: serve the mock, list its faults, print its spec.

Only the standard library is imported at module level: ``serve`` monkey-patches the process
for gevent before Flask, Werkzeug and the store are imported, so their locks, events and
sockets are cooperative and thousands of parked long polls cost one greenlet each. The fault
catalogue is such a module (each fault is declared on its override of a seam), so ``--fault``
names are checked once the process is patched.
"""

from __future__ import annotations

import argparse
import math
import os
import secrets
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from mock_server import keys
from mock_server.config import (
    COMPAT_MODES,
    CORE,
    DEFAULT_HISTORY_LIMIT,
    DEFAULT_POLL_TIMEOUT,
    DEFAULT_REDIS_PREFIX,
    MEMORY_STORE,
    REDIS_SCHEMES,
    DeploymentModes,
    MockConfig,
)

PROG = "channels-mock"
POLL_TIMEOUT_ENV = "CHANNEL_POLL_TIMEOUT"
POLL_THROTTLE_FACTOR = 4


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {message}\n")


def _positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def _rate(text: str) -> int | None:
    if text == "off":
        return None
    try:
        return _positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected 'off' or a positive integer, got {text!r}"
        ) from None


def _milliseconds(text: str) -> float:
    value = float(text)
    if not 0 <= value < math.inf:
        raise ValueError(text)
    return value


def _latency(text: str) -> tuple[float, float]:
    delay, colon, jitter = text.partition(":")
    try:
        return _milliseconds(delay), _milliseconds(jitter) if colon else 0.0
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected MS or MS:JITTER, milliseconds >= 0, got {text!r}"
        ) from None


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a share from 0 to 1, got {text!r}")
    return value


def _seed(text: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return int(text)


def _account_key(text: str) -> str:
    if keys.classify(text) is not keys.KeyKind.ACCOUNT:
        raise argparse.ArgumentTypeError(
            "an account key is 40 hex characters whose last digit is even"
        )
    return text.lower()


def _store(text: str) -> str:
    if text != MEMORY_STORE and not text.startswith(REDIS_SCHEMES):
        raise argparse.ArgumentTypeError(
            f"expected 'memory' or a Redis URL such as redis://127.0.0.1:6379/0, got {text!r}"
        )
    return text


def _prefix(text: str) -> str:
    if not text:
        raise argparse.ArgumentTypeError("the prefix must not be empty (reset clears it)")
    return text


def _port(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0-65535, got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``channels-mock``."""
    parser = OneLineParser(
        prog=PROG, description="Reference mock of the Syncano v1.1 Channels API."
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    serve = commands.add_parser(
        "serve",
        help="serve the mock over HTTP",
        description="Serve the mock on HOST:PORT until SIGINT or SIGTERM. The ready line "
        "'channels-mock listening on http://HOST:PORT (account key KEY)' goes to "
        "stdout once the socket accepts connections, followed by ' with faults ...' "
        "and ' with modes ...' (or ' and modes ...') naming those that are on; one "
        "line per request (method, path, status or 'dropped', milliseconds) goes "
        "to stderr.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=_port, default=8000, help="port to bind; 0 picks a free one (default 8000)"
    )
    serve.add_argument(
        "--account-key",
        type=_account_key,
        help="the admin's account key (40 hex, last digit even); it owns every "
        "instance it creates. Default: a fresh key, printed on start",
    )
    serve.add_argument(
        "--poll-timeout",
        type=_positive_number,
        default=None,
        help="seconds a long poll waits before 204 (default: "
        f"${POLL_TIMEOUT_ENV} or {DEFAULT_POLL_TIMEOUT:g})",
    )
    serve.add_argument(
        "--compat",
        choices=COMPAT_MODES,
        default=CORE,
        help="where the platform's server contradicts its documentation: core "
        "(default) behaves as documented, as the suite's core profile "
        "expects; platform reproduces the server (--profile platform)",
    )
    serve.add_argument(
        "--history-limit",
        type=_positive_int,
        default=DEFAULT_HISTORY_LIMIT,
        help="messages kept per (channel, room) "
        f"(default {DEFAULT_HISTORY_LIMIT}; eventlog keeps at most 100)",
    )
    serve.add_argument(
        "--throttle",
        type=_rate,
        default=None,
        metavar="off|N",
        help="per-instance requests per second before 429 (default off)",
    )
    serve.add_argument(
        "--poll-throttle",
        type=_rate,
        default=None,
        metavar="off|N",
        help="per-instance polls per second, counted in the same one-second "
        f"bucket (default: {POLL_THROTTLE_FACTOR} x --throttle, as the "
        "platform's default plan: 60 and 240)",
    )
    serve.add_argument(
        "--latency",
        type=_latency,
        default=(0.0, 0.0),
        metavar="MS[:JITTER]",
        help="hold every request MS milliseconds, give or take a uniform JITTER "
        "(never below 0), before it is answered, as a distant or loaded "
        "deployment does (default none)",
    )
    serve.add_argument(
        "--drop-rate",
        type=_share,
        default=0.0,
        metavar="P",
        help="close the connection without an answer for a share P (0 to 1) of "
        "requests, as a crashed worker or a restarting proxy does; a dropped "
        "request never reaches the API (default 0)",
    )
    serve.add_argument(
        "--error-rate",
        type=_share,
        default=0.0,
        metavar="P",
        help="answer a share P (0 to 1) of requests with 500, 'Content-Type: "
        "text/html' and '<h1>Server Error (500)</h1>', the platform's "
        "Django answer when a view raises; the request never reaches the "
        "API (default 0)",
    )
    serve.add_argument(
        "--drop-kept-alive",
        action="store_true",
        help="answer only the first request of each connection and close it "
        "without an answer on the next one, as the platform's uWSGI HTTP "
        "router does ('Remote end closed connection without response')",
    )
    serve.add_argument(
        "--seed",
        type=_seed,
        default=None,
        metavar="N",
        help="seed of the random draws (jitter, --drop-rate, --error-rate), so "
        "a run repeats (default: a fresh seed, named in the ready line)",
    )
    serve.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="inject a named bug (repeatable; 'channels-mock faults' lists them)",
    )
    serve.add_argument(
        "--store",
        type=_store,
        default=MEMORY_STORE,
        metavar="memory|URL",
        help="where the state lives: memory (default; this process only, nothing to "
        "install) or a Redis URL (redis://HOST:PORT/DB), shared by every mock process "
        "that names it",
    )
    serve.add_argument(
        "--redis-prefix",
        type=_prefix,
        default=DEFAULT_REDIS_PREFIX,
        metavar="PREFIX",
        help=f"namespace of every Redis key the mock writes; POST /__mock__/reset clears "
        f"this namespace only (default {DEFAULT_REDIS_PREFIX})",
    )
    serve.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        metavar="N",
        help="serve with N processes on one port (SO_REUSEPORT); needs --store redis://... "
        "(default 1)",
    )
    serve.add_argument("--quiet", action="store_true", help="do not log requests")
    commands.add_parser(
        "faults",
        help="list the named faults the mock can inject, each with the requirement id it breaks",
    )
    spec_command = commands.add_parser("spec", help="print the OpenAPI document")
    spec_command.add_argument("--format", choices=("yaml", "json"), default="yaml")
    return parser


def config_from(args: argparse.Namespace, parser: argparse.ArgumentParser) -> MockConfig:
    """The app's settings from the parsed options (and the poll-timeout variable)."""
    poll_timeout = args.poll_timeout
    if poll_timeout is None:
        from_env = os.environ.get(POLL_TIMEOUT_ENV)
        try:
            poll_timeout = _positive_number(from_env) if from_env else DEFAULT_POLL_TIMEOUT
        except argparse.ArgumentTypeError as exc:
            parser.error(f"{POLL_TIMEOUT_ENV}: {exc}")
    poll_throttle = args.poll_throttle
    if poll_throttle is None and args.throttle is not None:
        poll_throttle = args.throttle * POLL_THROTTLE_FACTOR
    return MockConfig(
        account_key=args.account_key or keys.new_account_key(),
        poll_timeout=poll_timeout,
        compat=args.compat,
        history_limit=args.history_limit,
        throttle=args.throttle,
        poll_throttle=poll_throttle,
        faults=frozenset(args.fault),
        store=args.store,
        redis_prefix=args.redis_prefix,
    )


def modes_from(args: argparse.Namespace) -> DeploymentModes:
    """The deployment modes from the parsed options."""
    latency_ms, jitter_ms = args.latency
    return DeploymentModes(
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        drop_rate=args.drop_rate,
        error_rate=args.error_rate,
        drop_kept_alive=args.drop_kept_alive,
        seed=secrets.randbelow(2**32) if args.seed is None else args.seed,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``channels-mock`` console script and of ``python -m mock_server``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "faults":
        from mock_server import faults

        print("\n".join(faults.describe()))
        return 0
    if args.command == "spec":
        return print_spec(args.format)
    config = config_from(args, parser)
    if args.workers > 1 and not config.shared_store:
        parser.error(
            "argument --workers: the memory store lives in one process; "
            "add --store redis://HOST:PORT/DB to share one store between workers"
        )
    if args.workers == 1:  # a parent of workers stays unpatched: they are fresh interpreters
        from mock_server.server import serve  # patches the process before Flask is imported
    check_faults(config, parser)
    if not store_reachable(config):
        return 1
    if args.workers > 1:
        from mock_server.workers import serve_workers

        return serve_workers(
            config, modes_from(args), args.host, args.port, args.quiet, args.workers
        )
    return serve(config, args.host, args.port, quiet=args.quiet, modes=modes_from(args))


def store_reachable(config: MockConfig) -> bool:
    """False, after one line on stderr, when a Redis store does not answer."""
    if not config.shared_store:
        return True
    problem = redis_problem(config.store)
    if problem is not None:
        print(f"{PROG}: error: {problem}", file=sys.stderr)
    return problem is None


def redis_problem(url: str) -> str | None:
    """Why the Redis at ``url`` cannot serve as the store, or None when it answers."""
    try:
        from mock_server.redis_store import check_reachable
    except ImportError:
        return "--store redis://... needs the redis package: pip install redis"
    return check_reachable(url)


def check_faults(config: MockConfig, parser: argparse.ArgumentParser) -> None:
    """Exit with status 2 and one line if a ``--fault`` name is not in the catalogue, or if
    a store fault is asked of a Redis store (store faults override the memory store)."""
    from mock_server import faults
    from mock_server.store import MemoryStore

    try:
        faults.check_names(config.faults)
    except faults.UnknownFault as exc:
        parser.error(f"argument --fault: {exc}")
    overrides = {name: faults.OVERRIDES[name] for name in sorted(config.faults)}
    memory_only = [
        name
        for name, override in overrides.items()
        if isinstance(override, type) and issubclass(override, MemoryStore)
    ]
    if config.shared_store and memory_only:
        parser.error(
            f"argument --fault: {memory_only[0]} is a store fault, which works with the "
            "memory store only (it overrides MemoryStore's internals); drop --store or the fault"
        )


def print_spec(output_format: str) -> int:
    """Print the OpenAPI document shipped in ``spec/``."""
    import json

    import spec

    if not spec.OPENAPI_PATH.exists():
        print(f"{PROG}: error: {spec.OPENAPI_PATH} is missing", file=sys.stderr)
        return 1
    if output_format == "json":
        document: Any = json.dumps(spec.openapi(), indent=2, ensure_ascii=False)
    else:
        document = spec.OPENAPI_PATH.read_text(encoding="utf-8")
    sys.stdout.write(document if document.endswith("\n") else document + "\n")
    return 0
