"""What some tests need installed, installed on first use: Debian packages through apt-get and
downloads kept in a cache directory. Each install runs behind a file lock, so parallel xdist
workers install once while the others wait, and a failed install fails the test with the
installer's output (a skip would read as a pass in CI)."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

APT_LOCK = Path(tempfile.gettempdir()) / "channels-conformance-apt.lock"
INSTALL_TIMEOUT = 1200
COMPLETE = ".installed"


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created when missing) for the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def run_install(command: Sequence[str], what: str, **options: object) -> None:
    """Run one install command; fail the test with its output when it does not succeed."""
    shown = " ".join(command)
    try:
        done = subprocess.run(
            list(command), capture_output=True, text=True, timeout=INSTALL_TIMEOUT, **options
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        pytest.fail(f"could not install {what}: {shown}: {error}", pytrace=False)
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()[-2000:]
        pytest.fail(
            f"could not install {what} ({shown} exited {done.returncode}):\n{output}",
            pytrace=False,
        )


def debian_program(program: str, *packages: str) -> str:
    """Path of ``program``, apt-get installing ``packages`` first when it is not on PATH."""
    if not shutil.which(program):
        with locked(APT_LOCK):
            if not shutil.which(program):
                if os.geteuid() != 0:
                    pytest.fail(
                        f"{program} is not installed and this user cannot apt-get install it; "
                        f"run: apt-get install -y {' '.join(packages)}",
                        pytrace=False,
                    )
                env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
                run_install(["apt-get", "update"], "the Debian package lists", env=env)
                run_install(["apt-get", "install", "-y", *packages], " ".join(packages), env=env)
    path = shutil.which(program)
    if not path:
        pytest.fail(f"{program} still not on PATH after apt-get install", pytrace=False)
    return path


def cached(directory: Path, install: Callable[[Path], None]) -> Path:
    """``directory`` once ``install`` has filled it. A marker written last tells a complete
    install from an interrupted one, which is wiped and redone."""
    marker = directory / COMPLETE
    if not marker.exists():
        with locked(directory.with_name(directory.name + ".lock")):
            if not marker.exists():
                shutil.rmtree(directory, ignore_errors=True)
                directory.mkdir(parents=True)
                install(directory)
                marker.touch()
    return directory
