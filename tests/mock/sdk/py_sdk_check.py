"""Drives the official Python SDK (PyPI ``syncano`` 5.4.6, files unchanged) against a running
mock the way its docs use it: channel create with ``custom_publish``, publish, poll (stored,
woken by a publish, timed out by the SDK and by the server), history list and detail, a
separate_rooms channel.

    python py_sdk_check.py http://127.0.0.1:PORT ACCOUNT_KEY POLL_TIMEOUT

Runs on the SDK's own venv, importing the SDK through ``py_sdk`` beside it. Prints one line
per step and ``python sdk ok`` at the end; an assertion names what the SDK did not get.
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from collections.abc import Callable

from py_sdk import Channel, Instance, Message, poll_once, syncano

WAIT = 20


def step(text: str) -> None:
    """Report a step as it passes, so a failure's output shows how far the SDK got."""
    print(text, flush=True)


def later(action: Callable[[], object]) -> None:
    """Run ``action`` once the poll just started is parked on the server."""
    threading.Timer(0.5, action).start()


def main(url: str, key: str, poll_timeout: float) -> None:
    syncano.connect(host=url, api_key=key)
    instance = Instance.please.create(name="py-sdk-" + uuid.uuid4().hex[:8])
    step(f"created instance {instance.name}")
    channel = Channel.please.create(
        instance_name=instance.name,
        name="can_publish",
        other_permissions="publish",
        custom_publish=True,
    )
    assert channel.type == "default" and channel.custom_publish is True, channel.to_native()
    step(f"created channel {channel.name} (type {channel.type}, custom_publish True)")

    published = channel.publish(payload={"content": "hello"})
    assert published.payload == {"content": "hello"}, published.payload
    assert published.created_at is not None, published.to_native()
    step(f"published message {published.id}")

    messages, errors, done = poll_once(channel, last_id=0)
    assert done.wait(WAIT) and not errors, errors
    assert messages[0].id == published.id, messages
    step(f"poll with last_id=0 returned stored message {messages[0].id}")

    messages, errors, done = poll_once(channel)
    later(lambda: channel.publish(payload={"content": "live"}))
    assert done.wait(WAIT) and not errors, errors
    assert messages[0].payload == {"content": "live"}, messages
    step(f"waiting poll woken by a publish: message {messages[0].id}")

    messages, errors, done = poll_once(channel, timeout=poll_timeout / 2)
    assert done.wait(WAIT) and messages == [None] and not errors, (messages, errors)
    step(f"poll with the SDK's timeout={poll_timeout / 2}s: callback(None), as documented")

    started = time.monotonic()
    messages, errors, done = poll_once(channel)
    assert done.wait(poll_timeout + WAIT), "the idle poll never ended"
    waited = time.monotonic() - started
    # The server ends an idle poll with 204 and no body, which this SDK cannot read as a
    # message: its poll thread ends with a TypeError instead of calling back.
    assert not messages and waited >= poll_timeout * 0.9, (messages, errors, waited)
    step(f"idle poll ended by the server after {waited:.1f}s, no message (SDK: {errors!r})")

    history = list(Message.please.all(instance_name=instance.name, channel_name=channel.name))
    assert [m.payload for m in history] == [{"content": "live"}, {"content": "hello"}], history
    one = Message.please.get(
        instance_name=instance.name, channel_name=channel.name, pk=published.id
    )
    assert one.payload == {"content": "hello"}, one.to_native()
    step(f"history listed {len(history)} messages, newest first; detail of {one.id} read")

    rooms = Channel.please.create(
        instance_name=instance.name,
        name="rooms",
        type="separate_rooms",
        other_permissions="publish",
        custom_publish=True,
    )
    assert rooms.type == "separate_rooms", rooms.to_native()
    messages, errors, done = poll_once(rooms, room="kitchen")

    def publish_in_rooms() -> None:
        rooms.publish(payload={"in": "hall"}, room="hall")
        rooms.publish(payload={"in": "kitchen"}, room="kitchen")

    later(publish_in_rooms)
    assert done.wait(WAIT) and not errors, errors
    assert messages[0].payload == {"in": "kitchen"}, vars(messages[0])  # no room key
    step("separate_rooms channel: poll in room kitchen got only kitchen's message")
    print("python sdk ok")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
