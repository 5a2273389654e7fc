"""The official Python SDK (PyPI ``syncano`` 5.4.6, files unchanged), importable on Python >= 3.8:
the scripts beside this file import it from here. Its ``ModelMetaclass`` builds classes from a
namespace without ``__classcell__``, which Python >= 3.8 rejects, so an import hook wraps the
metaclass before the package's first model class is defined.

Runs on the SDK's own venv (the SDK installed with ``--no-deps`` plus current requests, six,
validictory and python-slugify).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any


def fill_class_cell(metaclass: type) -> None:
    """Make the metaclass fill ``__class__`` the way ``type.__new__`` does."""
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

__all__ = ["Channel", "Instance", "Message", "poll_once", "syncano"]


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
