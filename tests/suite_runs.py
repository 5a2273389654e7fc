"""Runs the suite in a fresh pytest process, as a user runs it, for the tests that judge what a
user sees: exit code, output and reports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conformance.plugin import CHECKS_DIR

ROOT = Path(__file__).resolve().parents[1]
CHECKS = CHECKS_DIR


def pytest_run(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run pytest in a fresh process with these arguments."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )
