"""Clients of the multi-process tests and of ``benchmarks.stores``: set-up over HTTP, and many
long polls parked over raw sockets (a thread each would not scale to thousands)."""

from __future__ import annotations

import json
import resource
import selectors
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

PARK_TIMEOUT = 60.0
PARK_CHECK_INTERVAL = 0.005


@dataclass
class Api:
    """One mock process (or the port its workers share), through its admin's account key."""

    url: str
    key: str
    instance: str = "shared-inst"

    @property
    def address(self) -> tuple[str, int]:
        parts = urlsplit(self.url)
        return parts.hostname or "127.0.0.1", parts.port or 80

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("/") else f"/v1.1/instances/{self.instance}/{path}"
        headers = {"X-API-KEY": self.key, "Connection": "close"}
        return requests.request(method, self.url + url, headers=headers, timeout=30, **kwargs)

    def set_up(self, *channels: str) -> None:
        """The instance and open, custom-publish channels (type default)."""
        created = self.call("POST", "/v1.1/instances/", json={"name": self.instance})
        assert created.status_code in (201, 400), created.text
        for name in channels:
            body = {"name": name, "other_permissions": "publish", "custom_publish": True}
            answer = self.call("POST", "channels/", json=body)
            assert answer.status_code == 201, answer.text

    def publish(self, channel: str, payload: dict[str, Any]) -> int:
        answer = self.call("POST", f"channels/{channel}/publish/", json={"payload": payload})
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    def parked(self) -> int:
        answer = self.call("GET", "/__mock__/stats")
        assert answer.status_code == 200, answer.text
        return int(answer.json()["subscriptions"])

    def wait_parked(self, count: int, timeout: float = PARK_TIMEOUT) -> None:
        """Until the mock reports at least ``count`` parked polls (other processes report
        theirs about once a second)."""
        deadline = time.monotonic() + timeout
        while (parked := self.parked()) < count:
            assert time.monotonic() < deadline, f"only {parked} of {count} polls parked"
            time.sleep(PARK_CHECK_INTERVAL)

    def poll_request(self, channel: str, last_id: int) -> bytes:
        path = f"/v1.1/instances/{self.instance}/channels/{channel}/poll/?last_id={last_id}"
        host, port = self.address
        return (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nX-API-KEY: {self.key}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()


def raise_open_files_limit() -> int:
    """Each parked poll needs a descriptor in this process too."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard
    return soft


class ParkedPolls:
    """``count`` long polls sent over their own sockets, answered once each."""

    def __init__(self, api: Api, channel: str, last_id: int, count: int) -> None:
        self.selector = selectors.DefaultSelector()
        self.answers: dict[socket.socket, bytes] = {}
        request = api.poll_request(channel, last_id)
        for _ in range(count):
            sock = socket.create_connection(api.address)
            sock.sendall(request)
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ)
            self.answers[sock] = b""

    def collect(self, timeout: float) -> list[tuple[float, bytes]]:
        """(arrival time, whole answer) of each poll, until all are answered or ``timeout``."""
        done: list[tuple[float, bytes]] = []
        deadline = time.monotonic() + timeout
        while self.answers and time.monotonic() < deadline:
            for ready, _ in self.selector.select(max(0.0, deadline - time.monotonic())):
                sock = ready.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if data:
                    self.answers[sock] += data
                    continue
                done.append((time.monotonic(), self.answers.pop(sock)))
                self.selector.unregister(sock)
                sock.close()
        return done

    def close(self) -> None:
        for sock in self.answers:
            sock.close()
        self.selector.close()


def message_of(answer: bytes) -> dict[str, Any] | None:
    """The message a poll answered with (200), or None for any other answer."""
    head, _, body = answer.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        return None
    return json.loads(body)
