"""Run the benchmarks and print one table.

    .venv/bin/python -m benchmarks [--quick] [--only publish,reads,pollers,walk,retention,suite]

Every server runs in its own process on 127.0.0.1; this process is the load client (gevent,
raw keep-alive sockets). Each rate is measured against the mock and against the bare
responders (``benchmarks.bare``: plain WSGI and Flask) under the same load; the ratios are the
figures to track.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import NoReturn  # noqa: E402

from benchmarks import pollers, retention, servers, suite, throughput, walk  # noqa: E402
from benchmarks.table import Row, render  # noqa: E402

PHASES = ("publish", "reads", "pollers", "walk", "retention", "suite")
FULL_POLLERS = "100,1000,5000,10000"
QUICK_POLLERS = "100,1000"
SPARE_DESCRIPTORS = 64


class OneLineParser(argparse.ArgumentParser):
    """A bad option is one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"benchmarks: error: {message}\n")


def _counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(
            f"expected positive integers separated by commas, got {text!r}"
        )
    return counts


def _phases(text: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",")]
    unknown = [part for part in chosen if part not in PHASES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown phase {unknown[0]!r} (choose from {', '.join(PHASES)})"
        )
    return chosen


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 60:
        raise argparse.ArgumentTypeError(f"expected seconds between 0 and 60, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller loads (pollers 100 and 1,000; 2,000-message walk; "
        "10,000 messages for retention; rates over 0.5 s)",
    )
    parser.add_argument(
        "--only",
        type=_phases,
        default=list(PHASES),
        metavar="PHASES",
        help=f"comma-separated subset of: {', '.join(PHASES)}",
    )
    parser.add_argument(
        "--pollers",
        type=_counts,
        default=None,
        metavar="N,N,...",
        help=f"parked poller counts (default {FULL_POLLERS}; quick {QUICK_POLLERS})",
    )
    parser.add_argument(
        "--seconds",
        type=_seconds,
        default=None,
        help="length of one rate measurement (default 2; quick 0.5)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        metavar="FILE",
        help="also write the rows (and the load average) as JSON",
    )
    return parser


def poller_counts(args: argparse.Namespace) -> list[int]:
    """How many parked pollers each round of the pollers phase opens."""
    return args.pollers or _counts(QUICK_POLLERS if args.quick else FULL_POLLERS)


def phase_runners(args: argparse.Namespace) -> dict[str, Callable[[], list[Row]]]:
    """What each phase measures, sized by the options."""
    seconds = args.seconds or (0.5 if args.quick else 2.0)
    rounds = 3
    counts = poller_counts(args)
    walk_count = 2000 if args.quick else 10000
    messages, channels, cap = (10000, 100, 100) if args.quick else (100000, 100, 1000)

    def rates(measure: Callable[..., list[Row]]) -> Callable[[], list[Row]]:
        def run() -> list[Row]:
            with servers.mock() as mock, servers.bare() as wsgi, servers.bare("flask") as flask:
                return measure(throughput.Servers(mock, wsgi, flask), seconds, rounds)

        return run

    return {
        "publish": rates(throughput.publish_rates),
        "reads": rates(throughput.read_rates),
        "pollers": lambda: pollers.measure(counts, rounds),
        "walk": lambda: walk.measure(walk_count),
        "retention": lambda: retention.measure(messages, channels, cap),
        "suite": suite.measure,
    }


def load_average() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    descriptors = servers.raise_open_files_limit()
    most = max(poller_counts(args))
    if "pollers" in args.only and most > descriptors - SPARE_DESCRIPTORS:
        parser.error(
            f"--pollers: {most:,} connections need more than the {descriptors:,} "
            "open files this process may have"
        )
    runners = phase_runners(args)
    started_load = load_average()
    print(f"benchmarks: {os.cpu_count()} cores, {started_load}", file=sys.stderr, flush=True)
    rows: list[Row] = []
    started = time.perf_counter()
    for phase in (p for p in PHASES if p in args.only):
        print(f"benchmarks: {phase} ({load_average()})", file=sys.stderr, flush=True)
        rows += runners[phase]()
    elapsed = time.perf_counter() - started
    print(render(rows))
    ended_load = load_average()
    print(
        f"\n{os.cpu_count()} cores; at start {started_load}, at end {ended_load}; "
        f"{elapsed:.0f} s in all"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "rows": [row.as_json() for row in rows],
                    "load_start": started_load,
                    "load_end": ended_load,
                    "seconds": elapsed,
                },
                indent=2,
            )
            + "\n"
        )
    return 0
