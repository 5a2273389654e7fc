"""Several mock processes on one Redis, end to end, on a real redis-server: the conformance
suite through a round-robin proxy over a ``--workers 2`` mock and a second process; wake-ups
of polls and WebSocket sessions across processes; many parked polls over two workers; a
``last_id`` walk while eight clients publish through both processes; ``kill -9`` of a worker;
a Redis that goes away and comes back. The heavier measurements (1,000 wake-ups, 10,000
polls) are in ``benchmarks.stores``."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import websocket

from conformance import launch
from conformance.plugin import CHECKS_DIR
from tests.redis.clients import Api, ParkedPolls, message_of
from tests.redis.conftest import Start
from tests.redis.proxy import RoundRobinProxy
from tests.redis.server import RedisServer, free_port
from tests.suite_runs import pytest_run

WAKE_TRIALS = 100
PARKED_POLLS = 1000
PUBLISHERS = 8
PER_PUBLISHER = 25
SUITE_TIMEOUT = 300
LONG_POLL = 30  # polls stay parked while a thousand others park


def api_of(mock: launch.EmbeddedMock) -> Api:
    return Api(mock.url, mock.account_key)


def run_suite(url: str, key: str, cwd: Path) -> None:
    """The conformance suite (its schemathesis part aside, which the full runs cover) against
    ``url``; fails with the suite's summary."""
    done = pytest_run(
        str(CHECKS_DIR),
        "--ignore",
        str(CHECKS_DIR / "test_fuzz.py"),
        "-n",
        "2",
        "-q",
        "--target-url",
        url,
        "--account-key",
        key,
        "--poll-timeout",
        str(int(launch.EMBEDDED_POLL_TIMEOUT)),
        cwd=cwd,
        timeout=SUITE_TIMEOUT,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_the_suite_passes_through_a_round_robin_proxy_over_workers_and_a_second_process(
    start_mock: Start, tmp_path: Path
) -> None:
    """One run covers both set-ups of the issue: every other request goes to a ``--workers 2``
    mock (SO_REUSEPORT), the others to a separate process on another port, all on one Redis.
    (Full runs against each set-up alone, schemathesis included, are in the README.)"""
    workers, single = start_mock("--workers", "2"), start_mock()
    with RoundRobinProxy([api_of(workers).address, api_of(single).address]) as proxy:
        run_suite(proxy.url, workers.account_key, tmp_path)
        assert proxy.forwarded > 100


@pytest.fixture
def two_processes(start_mock: Start) -> tuple[Api, Api]:
    one, two = api_of(start_mock()), api_of(start_mock())
    one.set_up("news")
    return one, two


def test_a_publish_on_one_process_wakes_a_poll_parked_on_the_other(
    two_processes: tuple[Api, Api],
) -> None:
    """Every trial's poll gets the very message published on the other process; how fast is
    a benchmark (``python -m benchmarks.stores``), not an assertion here."""
    here, there = two_processes
    for trial in range(WAKE_TRIALS):
        polls = ParkedPolls(here, "news", trial, 1)
        here.wait_parked(1)
        assert there.publish("news", {"trial": trial}) == trial + 1
        ((_arrived, answer),) = polls.collect(5.0)
        message = message_of(answer)
        assert message is not None and message["id"] == trial + 1, answer[:200]
        polls.close()


def test_a_websocket_session_gets_stored_then_live_messages_from_the_other_process(
    two_processes: tuple[Api, Api],
) -> None:
    here, there = two_processes
    stored = [there.publish("news", {"n": n}) for n in range(3)]
    url = here.url.replace("http://", "ws://") + (
        f"/v1.1/instances/{here.instance}/channels/news/poll/"
        f"?transport=websocket&api_key={here.key}&last_id={stored[0]}"
    )
    connection = websocket.create_connection(url, timeout=5)
    try:
        received = [json.loads(connection.recv())["id"] for _ in range(2)]
        live = there.publish("news", {"n": "live"})
        received.append(json.loads(connection.recv())["id"])
    finally:
        connection.close()
    assert received == [*stored[1:], live]


def test_parked_polls_over_two_workers_are_all_answered_after_one_publish(
    start_mock: Start,
) -> None:
    api = api_of(start_mock("--workers", "2", "--poll-timeout", str(LONG_POLL)))
    api.set_up("crowd")
    polls = ParkedPolls(api, "crowd", 0, PARKED_POLLS)
    try:
        api.wait_parked(PARKED_POLLS)
        api.publish("crowd", {"to": "all"})
        answers = polls.collect(30.0)
    finally:
        polls.close()
    ids = [message["id"] if (message := message_of(a)) else None for _, a in answers]
    assert ids == [1] * PARKED_POLLS


def test_a_last_id_walk_while_eight_clients_publish_through_both_processes(
    two_processes: tuple[Api, Api],
) -> None:
    both = two_processes
    total = PUBLISHERS * PER_PUBLISHER

    def publisher(number: int) -> None:
        for i in range(PER_PUBLISHER):
            both[i % 2].publish("news", {"from": number, "i": i})

    threads = [threading.Thread(target=publisher, args=(n,)) for n in range(PUBLISHERS)]
    for thread in threads:
        thread.start()
    seen: list[int] = []
    payloads = set()
    deadline = time.monotonic() + 60
    while len(seen) < total and time.monotonic() < deadline:
        last_id = seen[-1] if seen else 0
        answer = both[len(seen) % 2].call("GET", f"channels/news/poll/?last_id={last_id}")
        if answer.status_code == 200:
            seen.append(answer.json()["id"])
            payloads.add((answer.json()["payload"]["from"], answer.json()["payload"]["i"]))
    for thread in threads:
        thread.join()
    assert seen == list(range(1, total + 1))
    assert len(payloads) == total


def test_kill_9_of_a_worker_leaves_the_others_serving_and_loses_no_message(
    start_mock: Start,
) -> None:
    mock = start_mock("--workers", "2", "--poll-timeout", str(LONG_POLL))
    api = api_of(mock)
    api.set_up("kept")
    published = [api.publish("kept", {"n": n}) for n in range(20)]
    polls = ParkedPolls(api, "kept", published[-1], 40)
    try:
        api.wait_parked(40)
        victim, survivor = psutil.Process(mock.process.pid).children()
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        published.append(api.publish("kept", {"n": "after"}))
        answers = polls.collect(10.0)
    finally:
        polls.close()
    woken = [m["id"] for _, a in answers if (m := message_of(a)) is not None]
    assert woken and set(woken) == {published[-1]}, "no poll of the survivor was woken"
    history = api.call("GET", "channels/kept/history/?page_size=100&ordering=asc").json()
    assert [m["id"] for m in history["objects"]] == published
    assert survivor.is_running() and mock.process.poll() is None


def test_sigterm_stops_every_worker(start_mock: Start) -> None:
    mock = start_mock("--workers", "2")
    workers = psutil.Process(mock.process.pid).children()
    assert len(workers) == 2
    mock.process.send_signal(signal.SIGTERM)
    assert mock.process.wait(15) == 0
    _gone, alive = psutil.wait_procs(workers, timeout=5)
    assert not alive


def test_workers_do_not_outlive_a_killed_parent(start_mock: Start) -> None:
    mock = start_mock("--workers", "2")
    workers = psutil.Process(mock.process.pid).children()
    assert len(workers) == 2
    mock.process.kill()
    mock.process.wait(5)
    _gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive


@pytest.fixture
def own_redis(redis_program: str, tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test alone, with an append-only file so that its data survives
    a restart."""
    server = RedisServer(redis_program, tmp_path, persistent=True).start()
    yield server
    server.stop()


def test_a_redis_that_goes_away_gives_503_and_the_mock_recovers(
    start_mock: Start, own_redis: RedisServer
) -> None:
    api = api_of(start_mock(url=own_redis.url))
    api.set_up("survivor")
    own_redis.stop()
    for method, path, body in (
        ("GET", "channels/", None),
        ("POST", "channels/survivor/publish/", {"payload": {}}),
        ("GET", "channels/survivor/poll/?last_id=0", None),
    ):
        started = time.monotonic()
        answer = api.call(method, path, json=body)
        assert answer.status_code == 503, answer.text
        assert answer.json() == {
            "detail": "Service temporarily unavailable: the store cannot be reached."
        }
        assert time.monotonic() - started < 10
    own_redis.start()
    assert api.call("GET", "channels/survivor/").status_code == 200
    polls = ParkedPolls(api, "survivor", 0, 1)
    try:
        api.wait_parked(1)
        api.publish("survivor", {"back": True})
        ((_, answer_bytes),) = polls.collect(5.0)
    finally:
        polls.close()
    message = message_of(answer_bytes)
    assert message is not None and message["payload"] == {"back": True}, answer_bytes[:300]


def serve_refusal(*options: str) -> tuple[int, str]:
    """Exit status and stderr of a `serve` that must refuse to start."""
    done = subprocess.run(
        [sys.executable, "-m", "mock_server", "serve", "--port", "0", *options],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return done.returncode, done.stderr


def test_workers_with_the_memory_store_are_refused_in_one_line() -> None:
    status, errors = serve_refusal("--workers", "2")
    assert status == 2 and len(errors.splitlines()) == 1
    assert "--workers" in errors and "--store redis://" in errors


def test_store_faults_are_refused_with_the_redis_store(redis_server: RedisServer) -> None:
    status, errors = serve_refusal("--store", redis_server.url, "--fault", "poll-wakes-one-poller")
    assert status == 2 and len(errors.splitlines()) == 1
    assert "poll-wakes-one-poller is a store fault" in errors


def test_an_unreachable_redis_is_one_line() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    for workers in ("1", "2"):
        status, errors = serve_refusal("--store", url, "--workers", workers)
        assert status == 1 and errors.startswith(
            f"channels-mock: error: cannot reach Redis at {url}"
        )
        assert len(errors.splitlines()) == 1
