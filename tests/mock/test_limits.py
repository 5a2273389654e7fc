"""Bounded history (retention cap per (channel, room), message lifetime) and throttling."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.mock.conftest import Mock

LIMIT = 5


def history_ids(mock: Mock, channel: str, query: str = "") -> list[int]:
    response = mock.call("GET", f"channels/{channel}/history/?ordering=asc{query}")
    assert response.status_code == 200
    return [item["id"] for item in response.get_json()["objects"]]


def test_history_keeps_the_newest_messages_per_channel_and_room(
    make_mock: Callable[..., Mock],
) -> None:
    mock = make_mock(history_limit=LIMIT)
    channel = mock.channel("capped", type="separate_rooms")
    ids = [mock.publish(channel, {"i": i}, room="a")["id"] for i in range(LIMIT + 3)]
    other = mock.publish(channel, {"i": "b"}, room="b")["id"]
    assert history_ids(mock, channel, "&room=a") == ids[-LIMIT:]
    assert history_ids(mock, channel, "&room=b") == [other]
    oldest = mock.call("GET", f"channels/{channel}/poll/?room=a&last_id=0").get_json()
    assert oldest["id"] == ids[3]
    trimmed = mock.call("GET", f"channels/{channel}/history/{ids[0]}/?room=a")
    assert trimmed.status_code == 404


def test_eventlog_keeps_at_most_100(make_mock: Callable[..., Mock]) -> None:
    mock = make_mock(history_limit=500)
    config = mock.app.extensions["channels_mock"].config
    assert config.history_limit_for("eventlog") == 100
    assert config.history_limit_for("chat") == 500


def test_messages_expire_after_their_lifetime(make_mock: Callable[..., Mock]) -> None:
    mock = make_mock(message_ttl=0.2)
    channel = mock.channel("short")
    message = mock.publish(channel, {"n": 1})
    assert history_ids(mock, channel) == [message["id"]]
    time.sleep(0.3)
    assert history_ids(mock, channel) == []
    assert mock.call("GET", f"channels/{channel}/history/{message['id']}/").status_code == 404
    assert mock.call("GET", f"channels/{channel}/poll/?last_id=0").status_code == 204


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttled_mock(
    make_mock: Callable[..., Mock], rate: int, poll_rate: int
) -> tuple[Mock, FakeClock]:
    mock = make_mock(throttle=rate, poll_throttle=poll_rate)
    clock = FakeClock()
    mock.app.extensions["channels_mock"].throttle.clock = clock
    return mock, clock


def test_requests_over_the_instance_limit_get_429_until_the_next_second(
    make_mock: Callable[..., Mock],
) -> None:
    mock, clock = throttled_mock(make_mock, rate=3, poll_rate=6)
    channel = mock.channel("thr")
    statuses = [mock.call("GET", f"channels/{channel}/history/").status_code for _ in range(4)]
    assert statuses == [200, 200, 429, 429]  # the channel create counted first
    refused = mock.call("POST", f"channels/{channel}/publish/", json={"payload": {}})
    assert refused.status_code == 429
    assert refused.get_json() == {
        "detail": "Request was throttled. Expected available in 1 second."
    }
    assert refused.headers["Retry-After"] == "1"
    clock.now += 1
    assert mock.call("GET", f"channels/{channel}/history/").status_code == 200


def test_polls_share_the_bucket_but_have_their_own_limit(make_mock: Callable[..., Mock]) -> None:
    mock, _ = throttled_mock(make_mock, rate=3, poll_rate=6)
    channel = mock.channel("thr")
    mock.publish(channel, {"n": 1})
    mock.publish(channel, {"n": 2})
    assert mock.call("GET", f"channels/{channel}/history/").status_code == 429
    polls = [mock.call("GET", f"channels/{channel}/poll/?last_id=0").status_code for _ in range(4)]
    assert polls == [200, 200, 200, 429]


def test_throttling_is_off_by_default(mock: Mock) -> None:
    channel = mock.channel("free")
    statuses = {mock.call("GET", f"channels/{channel}/history/").status_code for _ in range(100)}
    assert statuses == {200}
