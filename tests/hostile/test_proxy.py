"""The hostile proxy misbehaves exactly as documented and is otherwise a faithful, fast,
concurrent reverse proxy; checked over real sockets against the bundled mock."""

from __future__ import annotations

import http.client
import json
import re
import secrets
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import websocket

from conformance import launch
from tests.hostile.proxy import HOST, HostileProxy, main

TIMEOUT = 10.0
ROOT = Path(__file__).resolve().parents[2]
THROTTLED = {"detail": "Request was throttled. Expected available in 1 second."}
READY = re.compile(r"^hostile-proxy listening on (http://127\.0\.0\.1:\d+) ")
ENDLESS_ENOUGH = 1 << 20
POLLERS = 200


def headers_of(mock: launch.EmbeddedMock) -> dict[str, str]:
    return {"X-API-KEY": mock.account_key}


@pytest.fixture
def channel(mock: launch.EmbeddedMock) -> str:
    """A fresh custom-publish channel, made on the mock directly; its path ends with '/'."""
    instance = f"hostile-{secrets.token_hex(4)}"
    made = requests.post(
        f"{mock.url}/v1.1/instances/",
        json={"name": instance},
        headers=headers_of(mock),
        timeout=TIMEOUT,
    )
    made.raise_for_status()
    path = f"/v1.1/instances/{instance}/channels/"
    requests.post(
        mock.url + path,
        json={"name": "chat", "custom_publish": True},
        headers=headers_of(mock),
        timeout=TIMEOUT,
    ).raise_for_status()
    return path + "chat/"


@pytest.fixture
def proxied(mock: launch.EmbeddedMock) -> Iterator[Callable[..., HostileProxy]]:
    """Start proxies in front of the mock; every one is stopped at the end of the test."""
    started: list[HostileProxy] = []

    def start(*modes: str, **options: float) -> HostileProxy:
        started.append(HostileProxy(mock.url, modes, **options).start())
        return started[-1]

    yield start
    for proxy in started:
        proxy.stop()


def connection(proxy: HostileProxy) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(HOST, proxy.port, timeout=TIMEOUT)


def exchange(
    client: http.client.HTTPConnection,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None = None,
) -> tuple[http.client.HTTPResponse, bytes]:
    client.request(method, path, body=body, headers=headers)
    response = client.getresponse()
    return response, response.read()


def publish_directly(mock: launch.EmbeddedMock, channel: str) -> int:
    """Publish straight to the mock: the instance's message id counter tells how many messages
    the mock stored since an earlier call."""
    answer = requests.post(
        f"{mock.url}{channel}publish/",
        json={"payload": {"direct": True}},
        headers=headers_of(mock),
        timeout=TIMEOUT,
    )
    assert answer.status_code == 201
    return answer.json()["id"]


def poll_request(channel: str, mock: launch.EmbeddedMock) -> bytes:
    """A raw long poll: parked by the mock until its poll timeout, then answered 204."""
    return (
        f"GET {channel}poll/ HTTP/1.1\r\nHost: {HOST}\r\nX-API-KEY: {mock.account_key}\r\n\r\n"
    ).encode()


def wait_until(condition: Callable[[], bool], seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_passes_status_headers_and_bodies_through_on_one_kept_alive_connection(
    mock: launch.EmbeddedMock, channel: str, proxied: Callable[..., HostileProxy]
) -> None:
    proxy = proxied()
    client = connection(proxy)
    auth = {**headers_of(mock), "Content-Type": "application/json"}
    payload = json.dumps({"payload": {"text": "via proxy"}}).encode()
    created, body = exchange(client, "POST", f"{channel}publish/", auth, payload)
    assert created.status == 201 and json.loads(body)["payload"] == {"text": "via proxy"}
    chunked_body = iter([b'{"payload": ', b'{"text": "chunked"}}'])
    client.request("POST", f"{channel}publish/", body=chunked_body, headers=auth)
    chunked = client.getresponse()
    assert chunked.status == 201 and json.loads(chunked.read())["payload"] == {"text": "chunked"}
    # HEAD first: the later answers on this connection prove its framing was kept.
    for method, path in [
        ("HEAD", f"{channel}history/"),
        ("GET", f"{channel}history/"),
        ("GET", "/v1.1/instances/no-such-instance/"),
    ]:
        through, through_body = exchange(client, method, path, headers_of(mock))
        direct = requests.request(
            method, mock.url + path, headers=headers_of(mock), timeout=TIMEOUT
        )
        assert through.status == direct.status_code
        assert through_body == direct.content
        assert {k: v for k, v in through.getheaders() if k != "Date"} == {
            k: v for k, v in direct.headers.items() if k != "Date"
        }
    assert proxy.counters.connections == 1 and proxy.counters.forwarded == 5


def test_drop_kept_alive_answers_only_the_first_request_of_a_connection(
    mock: launch.EmbeddedMock, proxied: Callable[..., HostileProxy]
) -> None:
    proxy = proxied("drop-kept-alive")
    client = connection(proxy)
    first, _ = exchange(client, "GET", "/v1.1/instances/", headers_of(mock))
    assert first.status == 200 and not first.will_close
    client.request("GET", "/v1.1/instances/", headers=headers_of(mock))
    with pytest.raises(http.client.RemoteDisconnected):
        client.getresponse()
    fresh, _ = exchange(connection(proxy), "GET", "/v1.1/instances/", headers_of(mock))
    assert fresh.status == 200
    assert (proxy.counters.dropped, proxy.counters.forwarded) == (1, 2)


def two_hundred(
    proxy: HostileProxy, send: Callable[[http.client.HTTPConnection], None]
) -> list[tuple[http.client.HTTPResponse, bytes]]:
    """200 requests on one connection; their responses and bodies."""
    client = connection(proxy)
    answers = []
    for _ in range(200):
        send(client)
        response = client.getresponse()
        answers.append((response, response.read()))
    return answers


def test_throttle_answers_a_seeded_share_429_without_forwarding(
    mock: launch.EmbeddedMock, channel: str, proxied: Callable[..., HostileProxy]
) -> None:
    auth = {**headers_of(mock), "Content-Type": "application/json"}
    before = publish_directly(mock, channel)
    answers = two_hundred(
        proxied("throttle", rate=0.3, seed=7),
        lambda client: client.request(
            "POST", f"{channel}publish/", body=b'{"payload": {}}', headers=auth
        ),
    )
    stored = publish_directly(mock, channel) - before - 1
    throttled = [(response, body) for response, body in answers if response.status == 429]
    assert 40 <= len(throttled) <= 80
    assert {response.status for response, _ in answers} == {201, 429}
    assert stored == len(answers) - len(throttled)
    for response, body in throttled:
        assert response.getheader("Retry-After") == "1"
        assert response.getheader("Content-Type") == "application/json"
        assert json.loads(body) == THROTTLED
    again = two_hundred(
        proxied("throttle", rate=0.3, seed=7),
        lambda client: client.request("GET", "/v1.1/instances/", headers=headers_of(mock)),
    )
    assert [r.status == 429 for r, _ in again] == [r.status == 429 for r, _ in answers]


def read_endlessly(proxy: HostileProxy, path: str, headers: dict[str, str]) -> None:
    """Read more than a megabyte of a body that is still going, then hang up."""
    client = connection(proxy)
    client.request("GET", path, headers=headers)
    response = client.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/json"
    assert response.getheader("Content-Length") is None
    assert response.getheader("Transfer-Encoding") == "chunked"
    received, deadline = 0, time.monotonic() + TIMEOUT
    while received <= ENDLESS_ENOUGH:
        data = response.read1(65536)
        assert data and time.monotonic() < deadline
        received += len(data)
    assert not response.isclosed()
    client.close()


def test_endless_poll_streams_polls_forever_and_forwards_the_rest(
    mock: launch.EmbeddedMock, channel: str, proxied: Callable[..., HostileProxy]
) -> None:
    proxy = proxied("endless-poll")
    read_endlessly(proxy, f"{channel}poll/", headers_of(mock))
    other, _ = exchange(connection(proxy), "GET", f"{channel}history/", headers_of(mock))
    assert other.status == 200 and other.getheader("Content-Length") is not None
    assert proxy.counters.endless == 1 and proxy.counters.forwarded == 1
    assert wait_until(lambda: proxy.open_connections == 0)


def test_endless_streams_every_request_forever(
    mock: launch.EmbeddedMock, proxied: Callable[..., HostileProxy]
) -> None:
    proxy = proxied("endless")
    read_endlessly(proxy, "/v1.1/instances/", headers_of(mock))
    assert proxy.counters.endless == 1 and proxy.counters.forwarded == 0
    assert wait_until(lambda: proxy.open_connections == 0)


def test_slow_delays_every_request(
    mock: launch.EmbeddedMock, proxied: Callable[..., HostileProxy]
) -> None:
    proxy = proxied("slow", delay=0.5)
    started = time.monotonic()
    answered, _ = exchange(connection(proxy), "GET", "/v1.1/instances/", headers_of(mock))
    assert answered.status == 200 and time.monotonic() - started >= 0.5
    assert proxy.counters.delayed == 1


def test_websocket_upgrade_is_tunnelled_both_ways(
    mock: launch.EmbeddedMock, channel: str, proxied: Callable[..., HostileProxy]
) -> None:
    proxy = proxied()
    url = proxy.url.replace("http://", "ws://") + channel
    session = websocket.create_connection(
        f"{url}poll/?transport=websocket&api_key={mock.account_key}", timeout=TIMEOUT
    )
    try:
        assert session.getstatus() == 101
        session.ping("are you there")
        assert session.recv_frame().opcode == websocket.ABNF.OPCODE_PONG
    finally:
        session.close()
    assert proxy.counters.tunnelled == 1
    assert wait_until(lambda: proxy.open_connections == 0)


def test_parks_two_hundred_long_polls_at_once(
    mock: launch.EmbeddedMock, channel: str, proxied: Callable[..., HostileProxy]
) -> None:
    proxy = proxied()
    request = poll_request(channel, mock)
    selector = selectors.DefaultSelector()
    heads: dict[socket.socket, bytes] = {}
    try:
        for _ in range(POLLERS):
            poller = socket.create_connection((HOST, proxy.port), timeout=TIMEOUT)
            poller.sendall(request)
            selector.register(poller, selectors.EVENT_READ)
            heads[poller] = b""
        assert wait_until(lambda: proxy.counters.requests == POLLERS, TIMEOUT)
        assert proxy.open_connections == POLLERS
        deadline = time.monotonic() + TIMEOUT
        while selector.get_map() and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=1):
                poller = key.fileobj
                received = poller.recv(4096)
                heads[poller] += received
                if not received or b"\r\n\r\n" in heads[poller]:
                    selector.unregister(poller)
    finally:
        for poller in heads:
            poller.close()
        selector.close()
    assert all(head.startswith(b"HTTP/1.1 204 ") for head in heads.values())


def test_bad_and_vanishing_clients_leave_the_proxy_serving(
    mock: launch.EmbeddedMock,
    channel: str,
    proxied: Callable[..., HostileProxy],
    capfd: pytest.CaptureFixture[str],
) -> None:
    proxy = proxied()
    with socket.create_connection((HOST, proxy.port), timeout=TIMEOUT) as garbage:
        garbage.sendall(b"NOT HTTP\r\n\r\n")
        assert garbage.recv(4096).startswith(b"HTTP/1.1 400 ")
    with socket.create_connection((HOST, proxy.port), timeout=TIMEOUT) as short:
        short.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    with socket.create_connection((HOST, proxy.port), timeout=TIMEOUT) as parked:
        parked.sendall(poll_request(channel, mock))
        assert wait_until(lambda: proxy.counters.requests == 1)
    answered, _ = exchange(connection(proxy), "GET", "/v1.1/instances/", headers_of(mock))
    assert answered.status == 200
    assert wait_until(lambda: proxy.open_connections == 0, TIMEOUT)
    assert "Traceback" not in capfd.readouterr().err


def test_unreachable_upstream_is_a_502() -> None:
    with socket.socket() as unused:
        unused.bind((HOST, 0))
        closed_port = unused.getsockname()[1]
    with HostileProxy(f"http://{HOST}:{closed_port}") as proxy:
        answered, body = exchange(connection(proxy), "GET", "/v1.1/instances/", {})
    assert answered.status == 502 and "detail" in json.loads(body)
    assert proxy.counters.upstream_errors == 1


def test_stop_closes_the_listener_and_every_connection(
    mock: launch.EmbeddedMock, channel: str
) -> None:
    proxy = HostileProxy(mock.url).start()
    idle = connection(proxy)
    parked = socket.create_connection((HOST, proxy.port), timeout=TIMEOUT)
    try:
        exchange(idle, "GET", "/v1.1/instances/", headers_of(mock))
        parked.sendall(poll_request(channel, mock))
        assert wait_until(lambda: proxy.counters.requests == 2)
        started = time.monotonic()
        proxy.stop()
        assert time.monotonic() - started < 1.0
        assert parked.recv(4096) == b""
        assert idle.sock is not None and idle.sock.recv(4096) == b""
        assert proxy.open_connections == 0
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((HOST, proxy.port), timeout=TIMEOUT)
    finally:
        proxy.stop()
        parked.close()
        idle.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_command_line_prints_a_ready_line_and_stops_on_a_signal(
    mock: launch.EmbeddedMock, signum: int
) -> None:
    command = [sys.executable, "-m", "tests.hostile.proxy", "--upstream", mock.url]
    options = ["--mode", "throttle,slow", "--rate", "1", "--seed", "3", "--delay", "0"]
    process = subprocess.Popen(
        [*command, *options], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        ready = READY.match(process.stdout.readline())
        assert ready, "no ready line"
        answer = requests.get(f"{ready[1]}/v1.1/instances/", timeout=TIMEOUT)
        assert answer.status_code == 429 and answer.json() == THROTTLED
        process.send_signal(signum)
        assert process.wait(TIMEOUT) == 0
        assert process.stderr is not None
        assert json.loads(process.stderr.read())["throttled"] == 1
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(TIMEOUT)


@pytest.mark.parametrize(
    "arguments",
    [
        ["--upstream", "http://127.0.0.1:9", "--mode", "sideways"],
        ["--upstream", "http://127.0.0.1:9", "--rate", "1.5"],
    ],
)
def test_command_line_refuses_unknown_modes_and_rates(arguments: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(arguments)
    assert exited.value.code == 2


@pytest.mark.parametrize("upstream", ["https://127.0.0.1:9", "http://127.0.0.1:9/prefix/"])
def test_refuses_an_upstream_it_cannot_forward_to(upstream: str) -> None:
    assert main(["--upstream", upstream]) == 2
