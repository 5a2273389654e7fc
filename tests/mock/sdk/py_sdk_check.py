"""Drives the official Python SDK (PyPI ``syncano`` 5.4.6, unchanged) against a running mock:
channel create, publish, poll (stored and live), history list and detail.

    python py_sdk_check.py http://127.0.0.1:PORT ACCOUNT_KEY

Needs an interpreter the SDK imports on (Python <= 3.7) with ``syncano==5.4.6`` installed.
Exits non-zero with a message when the SDK does not get what it expects.
"""

import sys
import threading
import uuid

import syncano
from syncano.models import Channel, Instance, Message

WAIT = 20


def first_message(channel, **options):
    """Start the SDK's poll thread and return the first message it hands to the callback."""
    received = []
    arrived = threading.Event()

    def callback(message):
        received.append(message)
        arrived.set()
        return False

    channel.poll(callback=callback, **options)
    return received, arrived


def main(url, key):
    syncano.connect(host=url, api_key=key)
    instance = Instance.please.create(name="py-sdk-" + uuid.uuid4().hex[:8])
    channel = Channel.please.create(
        instance_name=instance.name,
        name="can_publish",
        type="default",
        other_permissions="publish",
        custom_publish=True,
    )
    assert channel.custom_publish is True, channel.custom_publish
    published = channel.publish(payload={"content": "hello"})
    assert published.payload == {"content": "hello"}, published.payload
    assert published.created_at is not None
    stored, arrived = first_message(channel, last_id=0)
    assert arrived.wait(WAIT) and stored[0].id == published.id, stored
    live, arrived = first_message(channel)
    threading.Timer(0.5, channel.publish, kwargs={"payload": {"content": "live"}}).start()
    assert arrived.wait(WAIT) and live[0].payload == {"content": "live"}, live
    history = list(Message.please.all(instance_name=instance.name, channel_name=channel.name))
    assert [m.payload for m in history] == [{"content": "live"}, {"content": "hello"}], history
    one = Message.please.get(
        instance_name=instance.name, channel_name=channel.name, pk=published.id
    )
    assert one.payload == {"content": "hello"}
    print("python sdk ok")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
