"""What the suite plugin tells the reporter about each test, as ``(name, value)`` pairs in
``report.user_properties``: the one channel that carries data from an xdist worker to the
controller, where the reports are written.

- ``requirements``: "ID ID", the requirement ids the check is marked with (every report);
- ``broken``: "ID ID", of a failure whose assertion named the requirements it found broken;
- ``unusable``: the reason, of a failure where the target could not serve the check at all;
- ``exchanges``: a list, of a failure: the check's last HTTP exchanges;
- ``measurements``: {name: number}, figures the check recorded;
- ``status``: ``not applicable`` or ``not run``, of a check skipped on purpose, set where the
  skip is decided; the first one given is the check's (a skip without one counts as not run);
- ``late``: the --max-duration limit, of a check not run because the run reached it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

REQUIREMENTS = "requirements"
BROKEN = "broken"
UNUSABLE = "unusable"
EXCHANGES = "exchanges"
MEASUREMENTS = "measurements"
STATUS = "status"
LATE = "late"

NOT_APPLICABLE = "not applicable"
NOT_RUN = "not run"
# Why a late check is not run, in its skip reason and in the run's gate reason.
MAX_DURATION_REACHED = "the run reached --max-duration"


def skip(item: pytest.Item, status: str, reason: str) -> None:
    """Skip a collected check: its status travels as data, the reason (after the status, as
    people read it in pytest's output and in the reports) as the skip message."""
    item.user_properties.append((STATUS, status))
    item.add_marker(pytest.mark.skip(reason=f"{status}: {reason}"))


def skip_status(properties: Iterable[tuple[str, Any]]) -> str | None:
    """The status a skip was given (the first one, like pytest's first skip marker), if any."""
    return next((str(value) for name, value in properties if name == STATUS), None)
