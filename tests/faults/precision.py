"""Which requirements each fault breaks when the whole suite runs to its end (no ``-x``):

    python -m tests.faults.precision [--jobs N] [NAME ...]

A precise fault fails only its own requirement (as the run's report.json judges it); the line
of a fault that also fails others lists them. A diagnostic for whoever adds or changes a fault,
not part of the test run: it costs one whole suite run per fault.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mock_server.faults import CATALOGUE, Fault
from tests.faults.runner import run_suite, setup_for


def breakage(fault: Fault) -> str:
    """One line: the fault, its requirement, and the requirements a whole run fails (the
    statuses of its report.json, so only what the checks found broken)."""
    with tempfile.TemporaryDirectory() as report_dir:
        run = run_suite(
            [fault.name],
            setup_for(fault.requirement, whole_suite=True),
            Path(report_dir),
            stop_at_first=False,
        )
    failed = run.failed_requirements
    others = [i for i in failed if i != fault.requirement]
    verdict = "IMPRECISE" if others else "precise"
    if fault.requirement not in failed:
        verdict = "MISSED"
    return (
        f"{fault.name:34} {fault.requirement:10} {verdict:9} {len(failed):3} requirements "
        f"failed ({len(run.failed)} tests); also failed: {', '.join(others) or '-'}"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults.precision")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (default 2)")
    parser.add_argument("names", nargs="*", help="faults to run (default: all)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in CATALOGUE]
    if unknown:
        parser.error(f"unknown fault {unknown[0]!r}")
    chosen = [CATALOGUE[name] for name in args.names] or list(CATALOGUE.values())
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for line in pool.map(breakage, chosen):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
