"""The conformance suite's wall time against its embedded mock, run as ``python3 dev.py suite``
runs it (``pytest conformance/checks -n auto``), with the machine's load before and after."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from benchmarks.servers import ROOT
from benchmarks.table import Row

SUITE_GOAL_SECONDS = 20.0
SUITE_DEADLINE = 600.0


def measure() -> list[Row]:
    """One row: the suite's wall time, with its summary line and the load average."""
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as reports:
        command = [
            sys.executable,
            "-m",
            "pytest",
            "conformance/checks",
            "-n",
            "auto",
            "-q",
            "-p",
            "no:randomly",
            "--report-dir",
            reports,
        ]
        started = time.perf_counter()
        try:
            finished = subprocess.run(
                command,
                cwd=ROOT,
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
                timeout=SUITE_DEADLINE,
            )
            summary = summary_line(finished.stdout)
            status = finished.returncode
        except subprocess.TimeoutExpired:
            summary, status = f"stopped after {SUITE_DEADLINE:g} s", -1
        elapsed = time.perf_counter() - started
    load_after = os.getloadavg()[0]
    return [
        Row(
            "conformance suite, -n auto",
            elapsed,
            "s",
            goal=f"<= {SUITE_GOAL_SECONDS:g} s",
            met=elapsed <= SUITE_GOAL_SECONDS and status == 0,
            notes=f"exit {status}: {summary}; load {load_before:.1f} -> {load_after:.1f}",
        )
    ]


def summary_line(output: str) -> str:
    """pytest's closing line (``N passed, M failed in S s``)."""
    lines = [
        line.strip("= ")
        for line in output.splitlines()
        if " in " in line and any(word in line for word in ("passed", "failed", "error"))
    ]
    return lines[-1] if lines else "no summary"
