"""The compat switch: each quirk of the platform (the platform-profile requirements) answered the
documented way under ``core`` and the server's way under ``platform``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.mock.conftest import Mock
from tests.mock.replay import wait_until

CORE, PLATFORM = "core", "platform"


@dataclass
class World:
    """An instance with a plain key, an anonymous-read key and a user of L = subscribe."""

    mock: Mock
    plain: str
    anonymous: str
    user_key: str
    channel: str
    private: str


@pytest.fixture(params=[CORE, PLATFORM])
def world(request: pytest.FixtureRequest, make_mock: Callable[..., Mock]) -> World:
    mock = make_mock(compat=request.param)
    user = mock.user()
    return World(
        mock,
        mock.api_key()["api_key"],
        mock.api_key(allow_anonymous_read=True)["api_key"],
        user["user_key"],
        mock.channel("subscribed", other_permissions="subscribe"),
        mock.channel("private"),
    )


def expect(world: World, core: int, platform: int, status: int) -> None:
    wanted = core if world.mock.app.extensions["channels_mock"].config.compat == CORE else platform
    assert status == wanted


def test_user_creates_channel_only_on_the_platform(world: World) -> None:
    response = world.mock.call(
        "POST", "channels/", world.plain, world.user_key, json={"name": "by-user"}
    )
    expect(world, 403, 201, response.status_code)


@pytest.mark.parametrize("method,status", [("PATCH", 200), ("PUT", 200), ("DELETE", 204)])
def test_subscriber_updates_and_deletes_only_on_the_platform(
    world: World, method: str, status: int
) -> None:
    body: dict[str, Any] = {"json": {"description": "x"}} if method != "DELETE" else {}
    response = world.mock.call(
        method, f"channels/{world.channel}/", world.plain, world.user_key, **body
    )
    expect(world, 403, status, response.status_code)
    after = world.mock.call("GET", f"channels/{world.channel}/")
    expect(world, 200, 404 if method == "DELETE" else 200, after.status_code)


@pytest.mark.parametrize("path", ["", "poll/?last_id=0", "history/"])
def test_anonymous_read_of_a_private_channel_only_on_the_platform(world: World, path: str) -> None:
    world.mock.publish(world.private, {"secret": 1})
    response = world.mock.call("GET", f"channels/{world.private}/{path}", world.anonymous)
    expect(world, 403, 200, response.status_code)
    shared = world.mock.call("GET", f"channels/{world.channel}/{path}", world.anonymous)
    assert shared.status_code in (200, 204)


def test_anonymous_reader_with_user_follows_its_level_in_core(world: World) -> None:
    response = world.mock.call("GET", f"channels/{world.private}/", world.anonymous, world.user_key)
    expect(world, 403, 200, response.status_code)


def test_mixed_case_room_wakes_lowercase_poller_only_in_core(world: World) -> None:
    mock = world.mock
    rooms = mock.channel("rooms", type="separate_rooms")
    answer: dict[str, Any] = {}

    def poll() -> None:
        answer["response"] = mock.call("GET", f"channels/{rooms}/poll/?room=lobby")

    thread = threading.Thread(target=poll)
    thread.start()
    wait_until(lambda: mock.store.subscription_count() == 1)
    published = mock.publish(rooms, {"case": "Lobby"}, room="Lobby")
    thread.join(5)
    expect(world, 200, 204, answer["response"].status_code)
    stored = mock.call("GET", f"channels/{rooms}/poll/?room=LOBBY&last_id=0")
    assert stored.get_json()["id"] == published["id"]


def test_history_detail_is_scoped_to_its_channel_only_in_core(world: World) -> None:
    message = world.mock.publish(world.private, {"n": 1})
    other = world.mock.call("GET", f"channels/{world.channel}/history/{message['id']}/")
    expect(world, 404, 200, other.status_code)


def test_room_on_a_default_channel_history(world: World) -> None:
    world.mock.publish(world.channel, {"n": 1}, room="abc")
    response = world.mock.call("GET", f"channels/{world.channel}/history/?room=abc")
    assert response.status_code == 200
    core = world.mock.app.extensions["channels_mock"].config.compat == CORE
    assert len(response.get_json()["objects"]) == (1 if core else 0)
