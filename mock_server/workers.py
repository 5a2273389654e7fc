"""``--workers N``: N mock processes on one port, sharing one Redis store.

Each worker is a fresh interpreter (``python -m mock_server.workers``; forking a process that
gevent has patched is unsafe) that binds the port with ``SO_REUSEPORT``, so the kernel spreads
new connections over the workers' sockets. The parent holds the port while the workers start
(port 0 picks it), prints one ready line once every worker listens, forwards SIGINT and
SIGTERM to the workers and waits for them. A worker that dies is not replaced: the kernel
stops routing to its socket and the others keep serving (state is in Redis). A parent that
dies, even by SIGKILL, takes its workers with it on Linux (``PR_SET_PDEATHSIG``): no orphan
keeps serving the port.

Only the standard library is imported here: the parent never patches itself for gevent.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import IO, Any

from mock_server.config import DeploymentModes, MockConfig

PROG = "channels-mock"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
WATCH_INTERVAL = 0.2
READY_MARK = " listening on http://"
PR_SET_PDEATHSIG = 1  # linux/prctl.h


@dataclass(frozen=True)
class WorkerSpec:
    """What one worker needs to serve: handed to it pickled on its stdin."""

    config: MockConfig
    modes: DeploymentModes
    host: str
    port: int
    quiet: bool


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port) with SO_REUSEPORT, not yet listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _announce(index: int, stream: IO[str], ready: queue.Queue[tuple[int, str | None]]) -> None:
    """Pass a worker's ready line (or None when its stdout ends first) to the parent."""
    for line in stream:
        if READY_MARK in line:
            ready.put((index, line.rstrip("\n")))
            break
    else:
        ready.put((index, None))
    for _ in stream:  # keep the pipe drained
        pass


class Workers:
    """The parent of N workers."""

    def __init__(self, spec: WorkerSpec, count: int) -> None:
        self.spec = spec
        self.count = count
        self.processes: list[subprocess.Popen[str]] = []
        self.stopping = False

    def start(self) -> str:
        """Start every worker and wait until all listen; the first one's ready line."""
        ready: queue.Queue[tuple[int, str | None]] = queue.Queue()
        payload = pickle.dumps(self.spec)
        for index in range(self.count):
            process = subprocess.Popen(
                [sys.executable, "-m", "mock_server.workers", str(os.getpid())],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert process.stdin is not None and process.stdout is not None
            process.stdin.buffer.write(payload)  # type: ignore[attr-defined]
            process.stdin.close()
            self.processes.append(process)
            threading.Thread(
                target=_announce, args=(index, process.stdout, ready), daemon=True
            ).start()
        lines: list[str] = []
        deadline = time.monotonic() + START_TIMEOUT
        while len(lines) < self.count:
            try:
                index, line = ready.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(
                    f"the workers did not start within {START_TIMEOUT:g} s"
                ) from None
            if line is None:
                status = self.processes[index].wait()
                raise RuntimeError(f"worker {index + 1} exited with status {status} on start")
            lines.append(line)
        return lines[0]

    def stop(self, *_: Any) -> None:
        """SIGTERM every worker (each closes its parked polls and exits)."""
        self.stopping = True
        for process in self.processes:
            if process.poll() is None:
                process.terminate()

    def wait(self) -> int:
        """Watch the workers until all have exited; report each that dies on its own."""
        alive = set(range(self.count))
        while alive:
            time.sleep(WATCH_INTERVAL)
            for index in sorted(alive):
                status = self.processes[index].poll()
                if status is None:
                    continue
                alive.discard(index)
                if not self.stopping:
                    print(
                        f"{PROG}: worker {index + 1} (pid {self.processes[index].pid}) exited "
                        f"with status {status}; {len(alive)} still serving",
                        file=sys.stderr,
                        flush=True,
                    )
        return 0 if self.stopping else 1

    def reap(self) -> None:
        """Make sure no worker outlives the parent."""
        self.stop()
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def serve_workers(
    config: MockConfig, modes: DeploymentModes, host: str, port: int, quiet: bool, count: int
) -> int:
    """Serve with ``count`` worker processes on one port until SIGINT or SIGTERM."""
    try:
        reserved = reuse_port_socket(host, port)
    except OSError as exc:
        print(
            f"{PROG}: error: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr
        )
        return 1
    spec = WorkerSpec(config, modes, host, reserved.getsockname()[1], quiet)
    workers = Workers(spec, count)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, workers.stop)
    try:
        try:
            first = workers.start()
        except RuntimeError as exc:
            print(f"{PROG}: error: {exc}", file=sys.stderr)
            return 1
        finally:
            reserved.close()
        print(f"{first}; {count} workers", flush=True)
        return workers.wait()
    finally:
        workers.reap()


def follow_parent(parent: int) -> bool:
    """Ask Linux for SIGTERM when the parent dies; False when it is already gone."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    return os.getppid() == parent


def worker_main() -> int:
    """One worker: read its spec, bind the shared port, serve until SIGTERM, SIGINT or the
    parent's death."""
    if not follow_parent(int(sys.argv[1])):
        return 1
    spec: WorkerSpec = pickle.loads(sys.stdin.buffer.read())
    from mock_server.server import LISTEN_BACKLOG, serve  # patches the process for gevent

    listener = reuse_port_socket(spec.host, spec.port)  # a gevent socket from here on
    listener.listen(LISTEN_BACKLOG)
    return serve(spec.config, spec.host, spec.port, spec.quiet, spec.modes, listener=listener)


if __name__ == "__main__":
    sys.exit(worker_main())
