#!/usr/bin/env python3
"""Park N long polls on one channel, publish once, and measure how fast all are answered.

Starts ``channels-mock serve`` on 127.0.0.1 (a free port), and for each N (default 100, 1,000
and 5,000): creates a channel, opens N poll connections, waits until the mock reports all N
parked (``/__mock__/stats``), records the server's RSS, publishes one message and times every
answer from the moment the publish was sent. Prints p50 / p99 / max delivery latency, the
number of pollers answered 200, and the RSS. Stops the mock at the end.

The client is gevent with raw sockets, so it is not the bottleneck. Its connections are
HTTP/1.1 keep-alive, as SDK clients' connection pools are; ``--close`` sends
``Connection: close`` instead (the server then also tears each connection down).

    python benchmarks/pollers.py [--counts 100,1000,5000] [--poll-timeout 120] [--close]
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import psutil  # noqa: E402
import requests  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
READY = re.compile(r"listening on http://([\d.]+):(\d+) \(account key (\w+)\)")
PARK_DEADLINE = 120.0


def raise_open_files_limit() -> None:
    """N sockets need N descriptors on each side."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def start_mock(poll_timeout: float) -> tuple[subprocess.Popen, str, int, str]:
    command = [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--quiet",
               "--poll-timeout", str(poll_timeout)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    found = READY.search(line)
    if not found:
        process.kill()
        raise SystemExit(f"the mock did not start: {line!r}")
    return process, found.group(1), int(found.group(2)), found.group(3)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Poller:
    """One long poll over a raw socket; ``answered`` is when its first byte came back."""

    def __init__(self, host: str, port: int, path: str, close: bool) -> None:
        self.sock = socket.create_connection((host, port))
        connection = "Connection: close\r\n" if close else ""
        self.request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{connection}\r\n".encode()
        self.answered = 0.0
        self.status = 0

    def run(self) -> None:
        self.sock.sendall(self.request)
        received = self.sock.recv(65536)
        self.answered = time.perf_counter()
        head, _, body = received.partition(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1]) if head else 0
        length = re.search(rb"Content-Length: (\d+)", head, re.IGNORECASE)
        while length and len(body) < int(length.group(1)):
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            body += chunk
        self.sock.close()


def measure(host: str, port: int, key: str, count: int, server: psutil.Process,
            close: bool) -> dict:
    base = f"http://{host}:{port}/v1.1/instances/bench"
    headers = {"X-API-KEY": key}
    channel = f"c{count}-{time.monotonic_ns()}"
    created = requests.post(f"{base}/channels/", json={"name": channel, "custom_publish": True},
                            headers=headers, timeout=30)
    created.raise_for_status()
    path = f"/v1.1/instances/bench/channels/{channel}/poll/?api_key={key}"
    pollers = [Poller(host, port, path, close) for _ in range(count)]
    greenlets = [gevent.spawn(p.run) for p in pollers]
    stats_url = f"http://{host}:{port}/__mock__/stats"
    deadline = time.monotonic() + PARK_DEADLINE
    parked = 0
    while parked < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {parked} of {count} pollers parked")
        gevent.sleep(0.05)
        parked = requests.get(stats_url, headers=headers, timeout=30).json()["subscriptions"]
    rss_mb = server.memory_info().rss / 2**20
    sent = time.perf_counter()
    published = requests.post(f"{base}/channels/{channel}/publish/",
                              json={"payload": {"n": count}}, headers=headers, timeout=30)
    published.raise_for_status()
    gevent.joinall(greenlets, timeout=PARK_DEADLINE)
    latencies = [(p.answered - sent) * 1000 for p in pollers if p.answered]
    return {
        "pollers": count,
        "answered_200": sum(1 for p in pollers if p.status == 200),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1),
        "server_rss_mb": round(rss_mb, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="100,1000,5000")
    parser.add_argument("--poll-timeout", type=float, default=120.0)
    parser.add_argument("--close", action="store_true",
                        help="send Connection: close instead of keeping connections alive")
    args = parser.parse_args()
    raise_open_files_limit()
    process, host, port, key = start_mock(args.poll_timeout)
    try:
        server = psutil.Process(process.pid)
        requests.post(f"http://{host}:{port}/v1.1/instances/", json={"name": "bench"},
                      headers={"X-API-KEY": key}, timeout=30).raise_for_status()
        print(f"idle server RSS: {server.memory_info().rss / 2**20:.1f} MB")
        for count in (int(c) for c in args.counts.split(",")):
            result = measure(host, port, key, count, server, args.close)
            print(json.dumps({"connection": "close" if args.close else "keep-alive", **result}),
                  flush=True)
    finally:
        process.terminate()
        process.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
