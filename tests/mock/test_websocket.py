"""The WebSocket transport of poll (platform profile, WS-001 to WS-010), against the mock
served over real sockets."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import websocket

from tests.mock.close_proxy import close_proxy
from tests.mock.test_cli import KEY, Served, provision, served

SESSION_SECONDS = 1.5


@pytest.fixture(scope="module")
def server() -> Iterator[Served]:
    with served("--account-key", KEY, "--poll-timeout", str(SESSION_SECONDS), "--quiet") as found:
        yield found


def ws_url(channel_url: str, query: str) -> str:
    return (
        channel_url.replace("http://", "ws://")
        + f"poll/?transport=websocket&api_key={KEY}"
        + (f"&{query}" if query else "")
    )


def publish(channel_url: str, payload: dict, room: str | None = None) -> int:
    body = {"payload": payload, **({"room": room} if room else {})}
    response = requests.post(
        f"{channel_url}publish/", json=body, headers={"X-API-KEY": KEY}, timeout=10
    )
    assert response.status_code == 201
    return response.json()["id"]


def frames_until_closed(connection: websocket.WebSocket) -> list[tuple[int, bytes]]:
    """Every frame the server sends until it drops the connection."""
    frames = []
    try:
        while True:
            received = connection.recv_frame()
            if received is None:
                break
            frames.append((received.opcode, received.data))
            if received.opcode == websocket.ABNF.OPCODE_CLOSE:
                break
    except (websocket.WebSocketConnectionClosedException, ConnectionError):
        pass
    return frames


def test_handshake_then_stored_and_live_messages_then_close_without_frame(server: Served) -> None:
    channel = provision(server, "ws-one")
    first = publish(channel, {"s": 0})
    stored = [publish(channel, {"s": i}) for i in (1, 2)]
    connection = websocket.create_connection(ws_url(channel, f"last_id={first}"))
    assert connection.getstatus() == 101
    assert connection.getheaders()["upgrade"] == "WebSocket"
    threading.Timer(0.3, publish, args=(channel, {"live": True})).start()
    frames = frames_until_closed(connection)
    texts = [data for opcode, data in frames if opcode == websocket.ABNF.OPCODE_TEXT]
    assert [frames[i][0] for i in range(len(frames))] == [websocket.ABNF.OPCODE_TEXT] * 3
    ids = [int(text.split(b'"id":', 1)[1].split(b",", 1)[0]) for text in texts]
    assert ids[:2] == stored and ids[2] > stored[1]
    assert b'"links"' not in texts[0]


def test_only_the_session_room_is_delivered(server: Served) -> None:
    headers = {"X-API-KEY": KEY}
    requests.post(
        f"{server.url}/v1.1/instances/", json={"name": "ws-rooms"}, headers=headers, timeout=10
    )
    channel = f"{server.url}/v1.1/instances/ws-rooms/channels/rooms/"
    requests.post(
        f"{server.url}/v1.1/instances/ws-rooms/channels/",
        json={"name": "rooms", "type": "separate_rooms", "custom_publish": True},
        headers=headers,
        timeout=10,
    )
    connection = websocket.create_connection(ws_url(channel, "room=r1"))
    threading.Timer(0.2, publish, args=(channel, {"to": "r2"}, "r2")).start()
    threading.Timer(0.4, publish, args=(channel, {"to": "r1"}, "r1")).start()
    texts = [
        data
        for opcode, data in frames_until_closed(connection)
        if opcode == websocket.ABNF.OPCODE_TEXT
    ]
    assert len(texts) == 1 and b'"to":"r1"' in texts[0]


def test_session_ends_after_the_hundredth_message(server: Served) -> None:
    channel = provision(server, "ws-cap")
    for i in range(101):
        publish(channel, {"i": i})
    connection = websocket.create_connection(ws_url(channel, "last_id=0"))
    frames = frames_until_closed(connection)
    assert len(frames) == 100
    assert all(opcode == websocket.ABNF.OPCODE_TEXT for opcode, _ in frames)


def test_client_close_ping_and_text_frames(server: Served) -> None:
    channel = provision(server, "ws-frames")
    connection = websocket.create_connection(ws_url(channel, ""), timeout=5)
    connection.send("hello server")
    assert connection.recv_frame().opcode == websocket.ABNF.OPCODE_PING
    connection.ping("p1")
    pong = connection.recv_frame()
    assert pong.opcode == websocket.ABNF.OPCODE_PONG and pong.data == b""
    connection.send_close()
    publish(channel, {"after": "close"})
    # as on the platform (WS-008): the connection closes, with no close frame and no message
    assert frames_until_closed(connection) == []


def test_handshake_status_line_and_key_without_upgrade(server: Served) -> None:
    channel = provision(server, "ws-raw")
    path = channel.split(str(server.port), 1)[1] + f"poll/?transport=websocket&api_key={KEY}"
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection(("127.0.0.1", server.port)) as raw:
        raw.sendall(
            f"GET {path} HTTP/1.1\r\nHost: x\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = raw.recv(4096).decode()
    assert head.startswith("HTTP/1.1 101 Web Socket Protocol Handshake\r\n")
    digest = hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
    assert f"Sec-WebSocket-Accept: {base64.b64encode(digest).decode()}" in head
    plain = requests.get(
        f"{channel}poll/?transport=websocket", headers={"X-API-KEY": KEY}, timeout=10
    )
    assert plain.status_code == 400
    assert plain.json() == {"detail": "Expected WebSocket connection."}


CLOSE_CHECK = "conformance/checks/test_websocket.py::test_client_close_ends_the_session"
ROOT = Path(__file__).resolve().parents[2]


def run_close_check(target_url: str, report_dir: Path) -> subprocess.CompletedProcess[str]:
    """The suite's WS-008 check, run as a user runs it, against ``target_url`` (without this
    run's pytest settings, and with bytecode caching, which saves seconds of start-up)."""
    dropped = ("PYTEST_XDIST", "PYTEST_CURRENT_TEST", "CHANNELS_", "PYTHONDONTWRITEBYTECODE")
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(dropped)
    }
    command = [
        sys.executable, "-m", "pytest", CLOSE_CHECK, "-q", "-p", "no:xdist", "-p", "no:randomly",
        "--target-url", target_url, "--account-key", KEY, "--profile", "platform",
        "--report-dir", str(report_dir), "--strict-should",
    ]  # fmt: skip
    return subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def slow_server() -> Iterator[Served]:
    """A platform-mode mock whose sessions outlast the check's waits."""
    with served(
        "--account-key", KEY, "--poll-timeout", "30", "--compat", "platform", "--quiet"
    ) as found:
        yield found


@pytest.mark.parametrize(
    ("mode", "failure"),
    [
        ("forward", None),
        ("ignore", "no message after the client's close"),
        ("mute", "a close frame or the connection closed within"),
    ],
)
def test_the_client_close_check_fails_servers_that_get_it_wrong(
    slow_server: Served, tmp_path: Path, mode: str, failure: str | None
) -> None:
    """WS-008's check passes the mock (which drops the connection), fails a server that keeps
    delivering after the client's close, and one that neither answers nor closes."""
    with close_proxy(slow_server.url, mode) as url:
        done = run_close_check(url, tmp_path)
    output = done.stdout + done.stderr
    if failure is None:
        assert done.returncode == 0, output[-3000:]
    else:
        assert done.returncode == 1 and failure in output, output[-3000:]
