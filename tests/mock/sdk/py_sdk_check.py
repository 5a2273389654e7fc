"""Drives the official Python SDK (PyPI ``syncano`` 5.4.6, files unchanged) against a running
mock the way its docs use it: channel create with ``custom_publish``, publish, poll (stored,
woken by a publish, timed out by the SDK and by the server), history list and detail, a
separate_rooms channel.

    python py_sdk_check.py http://127.0.0.1:PORT ACCOUNT_KEY POLL_TIMEOUT

Runs on the SDK's own venv (the SDK installed with ``--no-deps`` plus current requests, six,
validictory and python-slugify). Prints one line per step and ``python sdk ok`` at the end;
an assertion names what the SDK did not get.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

WAIT = 20


def fill_class_cell(metaclass: type) -> None:
    """Make the metaclass fill ``__class__`` the way ``type.__new__`` does: the SDK's one builds
    the class from a namespace without ``__classcell__``, which Python >= 3.8 rejects."""
    create = metaclass.__new__

    def __new__(mcs: type, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> type:
        cell = attrs.pop("__classcell__", None)
        cls = create(mcs, name, bases, attrs)
        if cell is not None:
            cell.cell_contents = cls
        return cls

    metaclass.__new__ = staticmethod(__new__)


class PatchArchetypes(importlib.abc.MetaPathFinder):
    """Wraps ``ModelMetaclass`` right after ``syncano.models.archetypes`` runs, before the
    package's first model class is defined (importing the module directly would run them)."""

    NAME = "syncano.models.archetypes"

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname != self.NAME:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        assert spec and spec.loader, f"{fullname} not found"
        run = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            fill_class_cell(module.ModelMetaclass)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


sys.meta_path.insert(0, PatchArchetypes())

import syncano  # noqa: E402
from syncano.models import Channel, Instance, Message  # noqa: E402


def step(text: str) -> None:
    """Report a step as it passes, so a failure's output shows how far the SDK got."""
    print(text, flush=True)


def poll_once(channel: Any, **options: Any) -> tuple[list[Any], list[Exception], threading.Event]:
    """Start the SDK's poll thread; it stops after the first message, timeout or error, or
    dies of an exception (which ``threading.excepthook`` records as an error here)."""
    messages: list[Any] = []
    errors: list[Exception] = []
    done = threading.Event()

    def callback(message: Any) -> bool:
        messages.append(message)
        done.set()
        return False

    def error(exception: Exception) -> None:
        errors.append(exception)
        done.set()

    threading.excepthook = lambda args: error(args.exc_value)  # type: ignore[arg-type]
    channel.poll(callback=callback, error=error, **options)
    return messages, errors, done


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
