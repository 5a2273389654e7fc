"""Records what the official Python SDK (PyPI ``syncano`` 5.4.6, files unchanged) does on a
fixed sequence of calls against a mock started with a failure mode: create an instance and a
channel with ``custom_publish``, publish three messages, list the history, poll once from
``last_id=0``. A failed call does not stop the sequence, so each step shows the mode's effect.

    python py_sdk_modes.py http://127.0.0.1:PORT ACCOUNT_KEY SDK_TIMEOUT

``SDK_TIMEOUT`` is the connection's ``timeout`` (the SDK's default is 30 s). Prints one JSON
object per step: ``step``, ``outcome`` (``ok: ...`` or the exception's class and text, the
server's port written ``PORT``), ``attempts`` (HTTP requests the SDK sent for the step: more
than one means it re-sent) and ``seconds``. Runs on the SDK's own venv, importing the SDK
through ``py_sdk`` beside it.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests.adapters
from py_sdk import Channel, Instance, Message, poll_once, syncano

CHANNEL = "chat"
POLL_WAIT = 20


class CountingAdapter(requests.adapters.HTTPAdapter):
    """requests' default adapter, counting the requests it is given: each of the SDK's own
    re-sends (its loop on 429) passes here. A re-send inside urllib3 would not, which the
    test rules out by counting the mock's request log too."""

    sent = 0

    def send(self, request: requests.PreparedRequest, **options: Any) -> requests.Response:
        CountingAdapter.sent += 1
        return super().send(request, **options)


def poll(channel: Any) -> str:
    """One poll from ``last_id=0``: the stored first message, or what the poll thread got."""
    messages, errors, done = poll_once(channel, last_id=0)
    if not done.wait(POLL_WAIT):
        raise TimeoutError(f"the poll thread reported nothing in {POLL_WAIT} s")
    if errors:
        raise errors[0]
    return "timed out (callback None)" if messages[0] is None else f"id {messages[0].id}"


def record(step: str, call: Callable[[], str], port: str) -> None:
    """Run one step and print what happened; ``call`` returns what it got, "" for nothing."""
    CountingAdapter.sent = 0
    started = time.monotonic()
    try:
        got = call()
        outcome = f"ok: {got}" if got else "ok"
    except Exception as error:
        kind = type(error)
        text = str(error).replace(f"port={port}", "port=PORT")
        outcome = f"{kind.__module__}.{kind.__qualname__}: {text}"
    seconds = round(time.monotonic() - started, 3)
    line = {"step": step, "outcome": outcome, "attempts": CountingAdapter.sent, "seconds": seconds}
    print(json.dumps(line), flush=True)


def main(url: str, key: str, sdk_timeout: float) -> None:
    registry = syncano.connect(host=url, api_key=key, timeout=sdk_timeout)
    registry.connection().session.mount("http://", CountingAdapter())
    port = str(urlsplit(url).port)
    instance = "py-modes-" + uuid.uuid4().hex[:8]
    # Built locally, so the steps after a failed create still address the same channel.
    channel = Channel(instance_name=instance, name=CHANNEL)

    def create_instance() -> str:
        Instance.please.create(name=instance)
        return ""

    def create_channel() -> str:
        Channel.please.create(
            instance_name=instance, name=CHANNEL, other_permissions="publish", custom_publish=True
        )
        return ""

    def publish(number: int) -> str:
        return f"id {channel.publish(payload={'number': number}).id}"

    def history() -> str:
        listed = Message.please.all(instance_name=instance, channel_name=CHANNEL)
        return f"ids {[message.id for message in listed]}"

    record("create instance", create_instance, port)
    record("create channel", create_channel, port)
    for number in (1, 2, 3):
        record(f"publish {number}", lambda number=number: publish(number), port)
    record("history", history, port)
    record("poll", lambda: poll(channel), port)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
