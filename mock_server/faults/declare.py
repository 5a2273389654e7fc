"""How a fault is declared: on its override, with the requirement it breaks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import FunctionType
from typing import Any, TypeVar

Override = TypeVar("Override", bound=Callable[..., Any])


@dataclass(frozen=True)
class Fault:
    """One injectable bug: what it breaks and how an implementer would get there."""

    name: str
    requirement: str
    description: str


def declare(name: str, requirement: str, description: str) -> Callable[[Override], Override]:
    """Declare fault ``name`` on the override that follows, which stays as it is: a subclass
    of one seam of the mock (its methods replace reference steps) or a post-hook (a function
    that rewrites an answer on its way out)."""

    def attach(override: Override) -> Override:
        override.fault = Fault(name, requirement, description)
        return override

    return attach


def declared(override: Any) -> Fault | None:
    """The fault declared on ``override`` itself (not on a class it derives from), if it is a
    class or a function that has one."""
    if not isinstance(override, type | FunctionType):
        return None
    fault = vars(override).get("fault")
    return fault if isinstance(fault, Fault) else None
