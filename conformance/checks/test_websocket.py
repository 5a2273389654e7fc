"""The WebSocket transport of poll (area WS; platform profile): stored then live
messages in text frames, errors as plain HTTP answers to the handshake, the 100-message cap."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import pytest
import websocket

from conformance import expect
from conformance.channel_api import ChannelApi
from conformance.client import Principal
from conformance.fixtures import World
from spec import protocol

FRAME_WAIT = 5.0
SESSION_CAP = 100


def _url(api: ChannelApi, channel: str, **params: Any) -> str:
    query = urlencode({"transport": "websocket", **params})
    base = api.client.base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    return f"{base}{api.paths.poll(channel)}?{query}"


@contextmanager
def session(api: ChannelApi, channel: str, principal: Principal, **params: Any) -> Iterator[Any]:
    """An open WebSocket poll session."""
    headers = [f"{k}: {v}" for k, v in principal.auth_headers(api.client.auth_style).items()]
    url = _url(api, channel, **params)
    try:
        connection = websocket.create_connection(url, header=headers, timeout=FRAME_WAIT)
    except websocket.WebSocketBadStatusException as exc:
        expect.fail(f"a 101 handshake for {url}, got {exc.status_code} {exc.resp_body!r}")
    try:
        yield connection
    finally:
        connection.close()


def receive(connection: Any, count: int) -> list[dict[str, Any]]:
    """The next ``count`` text frames, each parsed as one message."""
    messages = []
    for _ in range(count):
        try:
            text = connection.recv()
        except (websocket.WebSocketException, OSError) as exc:
            expect.fail(f"{count} message frames, got {len(messages)} before {exc!r}")
        messages.append(json.loads(text))
    return messages


def closed(connection: Any, within: float) -> bool:
    """Whether the server ends the session (no further data frame) within ``within`` s."""
    connection.settimeout(within)
    try:
        return not connection.recv()
    except websocket.WebSocketTimeoutException:
        return False
    except (websocket.WebSocketException, OSError):
        return True


def control_frame(connection: Any, opcode: int) -> bytes | None:
    """The payload of the next control frame with ``opcode`` (other frames are skipped), or
    None when none comes within the frame wait."""
    deadline = time.monotonic() + FRAME_WAIT
    try:
        while time.monotonic() < deadline:
            got, data = connection.recv_data(control_frame=True)
            if got == opcode:
                return data
    except (websocket.WebSocketException, OSError):
        return None
    return None


def _published(
    api: ChannelApi, world: World, channel: str, count: int, **room: Any
) -> list[dict[str, Any]]:
    return [api.published(channel, world.admin, {"n": n}, **room) for n in range(count)]


def _without_links(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k != "links"}


@pytest.mark.requirement("WS-001")
def test_live_messages_arrive_as_text_frames(api: ChannelApi, world: World, chat: str) -> None:
    with session(api, chat, world.admin) as connection:
        time.sleep(0.3)
        sent = _published(api, world, chat, 2)
        got = receive(connection, 2)
    wanted = [_without_links(m) for m in sent]
    expect.check(got == wanted, f"frames {wanted} (no links), got {got}")


@pytest.mark.requirement("WS-002")
def test_stored_then_live(api: ChannelApi, world: World, chat: str) -> None:
    stored = _published(api, world, chat, 3)
    with session(api, chat, world.admin, last_id=stored[0]["id"]) as connection:
        first = receive(connection, 2)
        live = api.published(chat, world.admin, {"live": 1})
        then = receive(connection, 1)
    wanted = [m["id"] for m in (*stored[1:], live)]
    got = [m.get("id") for m in first + then]
    expect.check(got == wanted, f"stored then live messages {wanted}, got {got}")


@pytest.mark.requirement("WS-003")
def test_only_the_session_room(api: ChannelApi, world: World, rooms: str, new_channel: Any) -> None:
    other = new_channel(custom_publish=True)
    with session(api, rooms, world.admin, room="r1") as connection:
        time.sleep(0.3)
        api.published(rooms, world.admin, {"r": 2}, room="r2")
        api.published(other, world.admin, {"elsewhere": 1})
        in_r1 = [api.published(rooms, world.admin, {"r": n}, room="r1") for n in range(2)]
        got = [m.get("id") for m in receive(connection, 2)]
    wanted = [m["id"] for m in in_r1]
    expect.check(got == wanted, f"only r1's messages {wanted} in order, got {got}")


@pytest.mark.requirement("WS-004")
@pytest.mark.parametrize("case", ["room-missing", "no-key", "unknown-channel", "bad-last_id"])
def test_errors_answer_the_handshake(case: str, api: ChannelApi, world: World, rooms: str) -> None:
    channel, principal, params, status, body = {
        "room-missing": (rooms, world.admin, {}, 400, expect.ROOM_REQUIRED_BODY),
        "no-key": (
            rooms,
            Principal("no key"),
            {"room": "r1"},
            403,
            {"detail": protocol.PERMISSION_DENIED},
        ),
        "unknown-channel": (
            "no-such-channel",
            world.admin,
            {},
            404,
            {"detail": protocol.NOT_FOUND},
        ),
        "bad-last_id": (
            rooms,
            world.admin,
            {"room": "r1", "last_id": "x"},
            400,
            {"last_id": ["A valid integer is required."]},
        ),
    }[case]
    headers = [f"{k}: {v}" for k, v in principal.auth_headers(api.client.auth_style).items()]
    try:
        websocket.create_connection(
            _url(api, channel, **params), header=headers, timeout=FRAME_WAIT
        ).close()
    except websocket.WebSocketBadStatusException as exc:
        got = (exc.status_code, json.loads(exc.resp_body or b"null"))
        expect.check(got == (status, body), f"the handshake answered {status} {body}, got {got}")
        return
    expect.fail(f"the handshake answered {status} {body}, got 101")


@pytest.mark.requirement("WS-005")
def test_plain_request_is_refused(api: ChannelApi, world: World, chat: str) -> None:
    reply = api.poll(chat, world.admin, last_id=0, transport="websocket")
    expect.detail(reply, 400, "Expected WebSocket connection.")


@pytest.mark.requirement("WS-006")
def test_session_ends_after_100_messages(api: ChannelApi, world: World, chat: str) -> None:
    _published(api, world, chat, SESSION_CAP + 1)
    with session(api, chat, world.admin, last_id=0) as connection:
        receive(connection, SESSION_CAP)
        expect.check(closed(connection, FRAME_WAIT), "the connection closed after the 100th frame")


@pytest.mark.needs_poll_timeout
@pytest.mark.requirement("WS-007")
def test_session_ends_at_the_poll_timeout(api: ChannelApi, world: World, chat: str) -> None:
    with session(api, chat, world.admin) as connection:
        expect.check(
            closed(connection, (api.poll_timeout or 0) + FRAME_WAIT),
            "the connection closed at the poll timeout",
        )


def _after_close(connection: Any, within: float) -> tuple[bool, str | None]:
    """What the server does after the client's close, watched for ``within`` s at most:
    whether it ended the session (a close frame, or the connection closed) and the first data
    frame it still delivered (None if none). Pings and pongs are not deliveries."""
    deadline = time.monotonic() + within
    while (left := deadline - time.monotonic()) > 0:
        connection.settimeout(left)
        try:
            opcode, data = connection.recv_data(control_frame=True)
        except (websocket.WebSocketTimeoutException, TimeoutError):
            break
        except (websocket.WebSocketException, OSError):
            return True, None
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return True, None
        if opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
            return False, data.decode("utf-8", "replace")
    return False, None


@pytest.mark.requirement("WS-008")
def test_client_close_ends_the_session(api: ChannelApi, world: World, chat: str) -> None:
    with session(api, chat, world.admin) as connection:
        connection.send_close()
        time.sleep(0.3)
        sent = api.published(chat, world.admin, {"after": "client close"})
        ended, delivered = _after_close(connection, FRAME_WAIT)
    expect.check(
        delivered is None,
        f"no message after the client's close; message {sent['id']}, published after it, "
        f"was delivered: {delivered}",
    )
    expect.check(
        ended,
        f"a close frame or the connection closed within {FRAME_WAIT:g} s of the client's close",
    )


@pytest.mark.requirement("WS-009")
def test_client_text_frames_are_ignored(api: ChannelApi, world: World, chat: str) -> None:
    with session(api, chat, world.admin) as connection:
        connection.send("hello server")
        time.sleep(0.3)
        sent = api.published(chat, world.admin, {"after": "client frame"})
        got = [m.get("id") for m in receive(connection, 1)]
    expect.check(got == [sent["id"]], f"message {sent['id']} still delivered, got {got}")


@pytest.mark.requirement("WS-010")
def test_ping_gets_an_empty_pong(api: ChannelApi, world: World, chat: str) -> None:
    with session(api, chat, world.admin) as connection:
        connection.ping(b"are you there")
        data = control_frame(connection, websocket.ABNF.OPCODE_PONG)
    expect.check(data == b"", f"an empty pong, got {data!r}")
