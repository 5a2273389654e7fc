"""The Redis store against the memory store, one worker against two, in one run:

    python -m benchmarks.stores [--polls 10000] [--trials 1000] [--seconds 3]

Each configuration (memory with 1 worker, Redis with 1 and with 2 workers) gets a fresh mock
and a fresh redis-server on a free loopback port (the ``redis-server`` program must be
installed: ``apt-get install redis-server``). Measured on each: the publish rate of 8 clients
over kept-alive connections, and the fan-out: N polls parked, one publish, the p99 of the
answers from the moment it was sent. Then, on Redis only: wake-ups across two separate
processes (a poll parked on one, the publish on the other; p99 over ``--trials``), the
``--polls`` fan-out over 2 workers, and a ``last_id`` walk while 8 clients publish through both
processes (lost and repeated ids). Prints one table (``benchmarks.table``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.client import percentile
from benchmarks.table import Row, render
from conformance import launch
from conformance.provision import random_key
from tests.redis.clients import Api, ParkedPolls, message_of, raise_open_files_limit
from tests.redis.server import RedisServer

PUBLISHERS = 8
FANOUT_POLLS = 1000
WALK_MESSAGES_EACH = 125
POLL_TIMEOUT = "120"
WAKE_GOAL_MS = 50.0
CONFIGURATIONS = (("memory", 1), ("redis", 1), ("redis", 2))


@contextmanager
def redis_server(program: str) -> Iterator[RedisServer]:
    with tempfile.TemporaryDirectory() as directory:
        server = RedisServer(program, Path(directory)).start()
        try:
            yield server
        finally:
            server.stop()


@contextmanager
def mocks(store: str, workers: int, processes: int = 1) -> Iterator[list[Api]]:
    """``processes`` separate mocks (of ``workers`` each) on one store, set up with the
    channel ``bench``."""
    options = ["--poll-timeout", POLL_TIMEOUT, "--workers", str(workers)]
    if store != "memory":
        options += ["--store", store]
    key = random_key("account")
    started = [launch.start(key, "core", options) for _ in range(processes)]
    try:
        apis = [Api(m.url, m.account_key, instance="bench-inst") for m in started]
        apis[0].set_up("bench")
        yield apis
    finally:
        for mock in started:
            mock.stop()


def publish_rate(apis: list[Api], seconds: float) -> tuple[float, int]:
    """Publishes per second of 8 clients, each on its own kept-alive connection (to the
    processes in turn); and how many answers were not 201."""
    counts = [0] * PUBLISHERS
    errors = [0] * PUBLISHERS
    body = json.dumps({"payload": {"text": "hello"}})
    deadline = time.monotonic() + seconds

    def client(number: int) -> None:
        api = apis[number % len(apis)]
        connection = http.client.HTTPConnection(*api.address)
        path = f"/v1.1/instances/{api.instance}/channels/bench/publish/"
        headers = {"X-API-KEY": api.key, "Content-Type": "application/json"}
        while time.monotonic() < deadline:
            connection.request("POST", path, body, headers)
            answer = connection.getresponse()
            answer.read()
            counts[number] += 1
            errors[number] += answer.status != 201
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(PUBLISHERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds, sum(errors)


def fanout(api: Api, polls: int, last_id: int) -> tuple[float, int]:
    """Park ``polls`` polls, publish once: the p99 of their answers in ms, and how many did
    not get that message."""
    parked = ParkedPolls(api, "bench", last_id, polls)
    try:
        api.wait_parked(polls, timeout=120)
        sent = time.monotonic()
        published = api.publish("bench", {"fan": "out"})
        answers = parked.collect(60.0)
    finally:
        parked.close()
    delays = [(arrived - sent) * 1000 for arrived, _ in answers]
    right = sum(1 for _, a in answers if (m := message_of(a)) and m["id"] == published)
    return percentile(delays, 0.99) if delays else float("inf"), polls - right


def last_id_of(api: Api) -> int:
    history = api.call("GET", "channels/bench/history/?page_size=1").json()["objects"]
    return history[0]["id"] if history else 0


def cross_process_wake(here: Api, there: Api, trials: int) -> tuple[float, int]:
    """A poll parked on one process, the publish on the other, ``trials`` times: the p99 of
    the wake-up in ms and how many trials missed."""
    delays = []
    missed = 0
    last_id = last_id_of(here)
    for _ in range(trials):
        parked = ParkedPolls(here, "bench", last_id, 1)
        here.wait_parked(1)
        sent = time.monotonic()
        last_id = there.publish("bench", {"wake": True})
        answers = parked.collect(5.0)
        parked.close()
        if len(answers) == 1 and (m := message_of(answers[0][1])) and m["id"] == last_id:
            delays.append((answers[0][0] - sent) * 1000)
        else:
            missed += 1
    return percentile(delays, 0.99) if delays else float("inf"), missed


def walk(apis: list[Api]) -> tuple[int, int, int]:
    """8 clients publish through both processes while one client walks ``last_id`` through
    both: (messages published, lost, repeated)."""
    start = last_id_of(apis[0])
    total = PUBLISHERS * WALK_MESSAGES_EACH

    def publisher() -> None:
        for i in range(WALK_MESSAGES_EACH):
            apis[i % 2].publish("bench", {"i": i})

    threads = [threading.Thread(target=publisher) for _ in range(PUBLISHERS)]
    for thread in threads:
        thread.start()
    seen: list[int] = []
    deadline = time.monotonic() + 120
    while len(seen) < total and time.monotonic() < deadline:
        after = seen[-1] if seen else start
        answer = apis[len(seen) % 2].call("GET", f"channels/bench/poll/?last_id={after}")
        if answer.status_code == 200:
            seen.append(answer.json()["id"])
    for thread in threads:
        thread.join()
    expected = set(range(start + 1, start + total + 1))
    return total, len(expected - set(seen)), len(seen) - len(set(seen))


def measure(program: str, polls: int, trials: int, seconds: float) -> list[Row]:
    rows = []
    for store_kind, workers in CONFIGURATIONS:
        label = f"{store_kind}, {workers} worker{'s' if workers > 1 else ''}"
        with redis_server(program) as server:
            store = "memory" if store_kind == "memory" else server.url
            with mocks(store, workers) as (api,):
                rate, errors = publish_rate([api], seconds)
                rows.append(
                    Row(f"publish rate, 8 clients ({label})", rate, "/s", notes=f"{errors} non-201")
                )
                p99, wrong = fanout(api, FANOUT_POLLS, last_id_of(api))
                rows.append(
                    Row(
                        f"fan-out p99, {FANOUT_POLLS} polls ({label})",
                        p99,
                        "ms",
                        notes=f"{wrong} not answered with the message",
                    )
                )
    with redis_server(program) as server, mocks(server.url, 1, processes=2) as apis:
        p99, missed = cross_process_wake(apis[0], apis[1], trials)
        rows.append(
            Row(
                f"wake-up across 2 processes, p99 of {trials}",
                p99,
                "ms",
                goal=f"<= {WAKE_GOAL_MS:g} ms",
                met=p99 <= WAKE_GOAL_MS and not missed,
                notes=f"{missed} missed",
            )
        )
        total, lost, repeated = walk(apis)
        rows.append(
            Row(
                f"last_id walk, {PUBLISHERS} publishers via 2 processes: lost + repeated",
                lost + repeated,
                "ids",
                goal="0",
                met=lost + repeated == 0,
                notes=f"{total} published, {lost} lost, {repeated} repeated",
            )
        )
    with redis_server(program) as server, mocks(server.url, 2) as (api,):
        p99, wrong = fanout(api, polls, 0)
        rows.append(
            Row(
                f"{polls} parked polls over 2 workers, one publish: p99",
                p99,
                "ms",
                goal="all answered",
                met=wrong == 0,
                notes=f"{polls - wrong} of {polls} answered with the message",
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stores", description=__doc__)
    parser.add_argument("--polls", type=int, default=10000, help="parked polls over 2 workers")
    parser.add_argument("--trials", type=int, default=1000, help="cross-process wake-ups")
    parser.add_argument("--seconds", type=float, default=3.0, help="publish load per store")
    args = parser.parse_args(argv)
    program = shutil.which("redis-server")
    if program is None:
        print("benchmarks.stores: redis-server is not installed", file=sys.stderr)
        return 2
    limit = raise_open_files_limit()
    if limit < args.polls + 100:
        print(f"benchmarks.stores: only {limit} open files allowed", file=sys.stderr)
        return 2
    print(render(measure(program, args.polls, args.trials, args.seconds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
