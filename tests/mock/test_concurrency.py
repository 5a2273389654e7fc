"""Id allocation under concurrent publishers, and wake-up of parked pollers (in-process).

These are the guarantees the conformance suite cannot observe reliably from outside: ids are
unique and become visible in increasing order while many clients publish at once, so a
``last_id`` walk sees every message exactly once; one publish wakes every poller parked on
that (channel, room), and no other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from tests.mock.conftest import Mock
from tests.mock.replay import wait_until

PUBLISHERS = 8
PER_PUBLISHER = 60
POLLERS = 40


def run_threads(targets: list[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=t) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
        assert not thread.is_alive(), "a thread did not finish"


def test_concurrent_publishers_get_unique_increasing_ids(mock: Mock) -> None:
    channel = mock.channel("busy")
    seen: dict[int, list[int]] = {}

    def publisher(number: int) -> Callable[[], None]:
        def publish() -> None:
            seen[number] = [
                mock.publish(channel, {"p": number, "i": i})["id"] for i in range(PER_PUBLISHER)
            ]

        return publish

    run_threads([publisher(n) for n in range(PUBLISHERS)])
    ids = [i for batch in seen.values() for i in batch]
    assert sorted(ids) == list(range(1, PUBLISHERS * PER_PUBLISHER + 1))
    assert all(batch == sorted(batch) for batch in seen.values())


def test_last_id_walk_sees_every_message_once_in_order_while_others_publish(mock: Mock) -> None:
    channel = mock.channel("walk")
    total = PUBLISHERS * PER_PUBLISHER
    walked: list[int] = []

    def walker() -> None:
        last_id = 0
        while len(walked) < total:
            response = mock.call("GET", f"channels/{channel}/poll/?last_id={last_id}")
            if response.status_code == 200:
                last_id = response.get_json()["id"]
                walked.append(last_id)
            else:
                assert response.status_code == 204, response.status_code

    def publisher() -> None:
        for i in range(PER_PUBLISHER):
            mock.publish(channel, {"i": i})

    run_threads([walker] + [publisher] * PUBLISHERS)
    assert walked == list(range(1, total + 1))


def test_ids_are_shared_by_every_channel_and_room_of_an_instance(mock: Mock) -> None:
    rooms = mock.channel("rooms", type="separate_rooms")
    plain = mock.channel("plain")
    ids = []

    def publisher(target: str, room: str | None) -> Callable[[], None]:
        def publish() -> None:
            ids.extend(mock.publish(target, {"x": 1}, room=room)["id"] for _ in range(30))

        return publish

    run_threads([publisher(rooms, "a"), publisher(rooms, "b"), publisher(plain, None)])
    assert sorted(ids) == list(range(1, 91))


def test_one_publish_wakes_every_parked_poller_and_no_other_room(mock: Mock) -> None:
    channel = mock.channel("fan", type="separate_rooms")
    answers: dict[str, list[tuple[int, dict | None, str | None]]] = {"lobby": [], "other": []}

    def poller(room: str) -> Callable[[], None]:
        def poll() -> None:
            response = mock.call("GET", f"channels/{channel}/poll/?room={room}")
            answers[room].append(
                (
                    response.status_code,
                    response.get_json(silent=True),
                    response.headers.get("X-Last-Id"),
                )
            )

        return poll

    targets = [poller("lobby")] * POLLERS + [poller("other")] * 5
    threads = [threading.Thread(target=t) for t in targets]
    for thread in threads:
        thread.start()
    wait_until(lambda: mock.store.subscription_count() == len(targets))
    message = mock.publish(channel, {"hello": "all"}, room="Lobby")
    for thread in threads:
        thread.join(10)
    assert [a[0] for a in answers["lobby"]] == [200] * POLLERS
    assert {a[1]["id"] for a in answers["lobby"]} == {message["id"]}
    assert {a[2] for a in answers["lobby"]} == {str(message["id"])}
    assert [a[0] for a in answers["other"]] == [204] * 5
    assert mock.store.subscription_count() == 0


def test_a_message_published_between_check_and_park_is_not_lost(mock: Mock) -> None:
    channel = mock.channel("race")
    first = mock.publish(channel, {"n": 1})
    inst = mock.store.instance(mock.instance)
    found = mock.store.channel(inst, channel)
    subscription = mock.store.subscribe(inst, found, None, last_id=first["id"], capacity=1)
    mock.publish(channel, {"n": 2})
    try:
        taken = subscription.take(timeout=5)
    finally:
        mock.store.unsubscribe(subscription)
    assert taken is not None and taken.payload == {"n": 2}
    late = mock.store.subscribe(inst, found, None, last_id=first["id"], capacity=1)
    try:
        preloaded = late.take(timeout=0)
    finally:
        mock.store.unsubscribe(late)
    assert preloaded is not None and preloaded.payload == {"n": 2}
