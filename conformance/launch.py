"""Starts the bundled mock (`channels-mock serve`) as a subprocess when no target URL is given,
so plain `pytest` needs no set-up. The suite still talks to it over HTTP only."""

from __future__ import annotations

import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from spec.protocol import READY_LINE

START_TIMEOUT = 60.0
EMBEDDED_POLL_TIMEOUT = 2.0


class LaunchError(RuntimeError):
    """The bundled mock did not come up."""


@dataclass
class EmbeddedMock:
    """A running `channels-mock serve` process."""

    process: subprocess.Popen
    url: str
    account_key: str
    errors: IO[str] | None = None

    def stop(self) -> None:
        if self.errors is not None:
            self.errors.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _command() -> list[str]:
    script = Path(sys.executable).with_name("channels-mock")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mock_server"]


def _drain(stream, lines: queue.Queue[str]) -> None:
    """Read the mock's stdout to its end, so it never blocks on a full pipe."""
    for line in stream:
        lines.put(line)
    lines.put("")


def start(account_key: str, profile: str, options: Sequence[str] = ()) -> EmbeddedMock:
    """Start the mock on a free loopback port, in the compatibility mode of the suite's
    ``profile`` (``core`` or ``platform``), and wait for its ready line; ``options`` are
    further ``serve`` options (e.g. ``--fault NAME``, ``--throttle N``)."""
    command = [
        *_command(),
        "serve",
        "--port",
        "0",
        "--poll-timeout",
        str(int(EMBEDDED_POLL_TIMEOUT)),
        "--account-key",
        account_key,
        "--compat",
        profile,
        "--quiet",
        *options,
    ]
    # Kept open for the mock's lifetime (its stderr), closed by EmbeddedMock.stop().
    errors = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
    try:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL, text=True
        )
    except OSError as exc:
        raise LaunchError(f"cannot run {' '.join(command)}: {exc}") from exc
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_drain, args=(process.stdout, lines), daemon=True).start()
    try:
        while True:
            line = lines.get(timeout=START_TIMEOUT)
            if not line:
                break
            found = READY_LINE.search(line)
            if found and found["key"]:
                return EmbeddedMock(process, found["url"], found["key"], errors)
    except queue.Empty:
        pass
    EmbeddedMock(process, "", "").stop()
    errors.seek(0)
    tail = " | ".join(errors.read().strip().splitlines()[-3:])
    errors.close()
    raise LaunchError(f"the bundled mock did not start ({' '.join(command)}): {tail}")
