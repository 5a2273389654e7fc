"""Named faults: realistic implementation bugs the mock can be started with, each breaking one
requirement of ``spec/requirements.yaml``, so that the conformance suite can be proved on them
(``tests/faults``): with a fault the suite must fail on that requirement, without it pass.

A fault is declared once, on its override (``declare``), in the module of the seam it
overrides; the mock's own code names no fault:

- ``store``: subclasses of the reference store (lookups, writes, id allocation, subscribers);
- ``access``: subclasses of ``Access`` (authentication and permission decisions);
- ``body``: subclasses of ``RequestBody`` (the size gate, the media type);
- ``channels``: subclasses of ``ChannelSerializer`` (a channel body as stored fields);
- ``publish``: subclasses of ``PublishChecks`` (check order) and ``MessageSerializer``;
- ``poll``: subclasses of ``Poller``; ``history``: subclasses of ``HistoryPaging``;
- ``data``: subclasses of ``ObjectMessages`` (the messages of data-object writes);
- ``answers``: post-hooks that rewrite an answer on its way out (representation, headers).

``create_app`` asks ``choose(config.faults)`` once for its app's seams: each seam class with
the overrides of the chosen faults mixed in, or the reference class itself when none applies,
and the post-hooks to register. Without faults the mock runs the reference classes only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType, ModuleType
from typing import Any, TypeVar

from flask import Response

from mock_server.faults import access, answers, body, channels, data, history, poll, publish, store
from mock_server.faults.declare import Fault, declared

SEAM_MODULES: tuple[ModuleType, ...] = (
    store,
    access,
    body,
    channels,
    publish,
    poll,
    history,
    data,
    answers,
)
Seam = TypeVar("Seam")
PostHook = Callable[[Response], Response]


class UnknownFault(ValueError):
    """A fault name that the catalogue does not declare."""


def _overrides() -> dict[str, Any]:
    """Every override of the seam modules by the name of the fault it declares, in the order of
    the requirement ids."""
    found = [
        (fault, override)
        for module in SEAM_MODULES
        for override in vars(module).values()
        if (fault := declared(override)) is not None
    ]
    found.sort(key=lambda pair: (pair[0].requirement, pair[0].name))
    return {fault.name: override for fault, override in found}


OVERRIDES: Mapping[str, Any] = MappingProxyType(_overrides())
CATALOGUE: Mapping[str, Fault] = MappingProxyType(
    {name: override.fault for name, override in OVERRIDES.items()}
)


def check_names(names: Iterable[str]) -> frozenset[str]:
    """The given fault names as a set; UnknownFault names the first undeclared one."""
    chosen = frozenset(names)
    unknown = sorted(chosen - CATALOGUE.keys())
    if unknown:
        raise UnknownFault(f"unknown fault {unknown[0]!r} (channels-mock faults lists them)")
    return chosen


def describe() -> list[str]:
    """One line per fault for ``channels-mock faults``: name, requirement id, sentence."""
    width = max(len(name) for name in CATALOGUE)
    return [f"{f.name:<{width}}  {f.requirement:<11}  {f.description}" for f in CATALOGUE.values()]


@dataclass(frozen=True)
class Chosen:
    """The overrides of the faults one app runs with."""

    overrides: tuple[Any, ...]

    def seam(self, reference: type[Seam]) -> type[Seam]:
        """``reference`` with the chosen overrides of that seam mixed in (their methods run
        first and reach the reference through ``super()``), or ``reference`` itself."""
        mixins = tuple(
            o for o in self.overrides if isinstance(o, type) and issubclass(o, reference)
        )
        if not mixins:
            return reference
        return type(f"Faulty{reference.__name__}", (*mixins, reference), {"__module__": __name__})

    @property
    def post_hooks(self) -> tuple[PostHook, ...]:
        """The chosen post-hooks, to run on every answer."""
        return tuple(o for o in self.overrides if not isinstance(o, type))


def choose(names: Iterable[str]) -> Chosen:
    """The overrides of the named faults; UnknownFault for a name the catalogue lacks."""
    return Chosen(tuple(OVERRIDES[name] for name in sorted(check_names(names))))
