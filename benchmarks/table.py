"""The one table the benchmarks print: each measurement of the mock, the bare responders'
figures under the same load (plain WSGI: the limit of the server stack; Flask: the stack plus
the framework), the mock's ratio to each (the numbers to track), the issue's goal and whether
it is met."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

HEADINGS = (
    "measurement",
    "mock",
    "bare WSGI",
    "bare Flask",
    "mock/WSGI",
    "mock/Flask",
    "goal",
    "met",
    "notes",
)
NUMERIC = {1, 2, 3, 4, 5}


@dataclass
class Row:
    """One measurement. ``wsgi`` and ``flask`` are the bare responders' figures under the same
    load, if measured; ``met`` is None where the issue sets no goal."""

    measurement: str
    value: float
    unit: str
    wsgi: float | None = None
    flask: float | None = None
    goal: str = ""
    met: bool | None = None
    notes: str = ""

    def ratio(self, baseline: float | None) -> float | None:
        """The mock's figure over a baseline's."""
        if baseline is None or not baseline or math.isinf(baseline):
            return None
        return self.value / baseline

    def as_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "ratio_wsgi": self.ratio(self.wsgi),
            "ratio_flask": self.ratio(self.flask),
        }


def number(value: float, unit: str) -> str:
    """A figure with its unit, to a sensible precision."""
    if math.isinf(value):
        return "none"
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:,.{digits}f} {unit}".strip()


def cells(row: Row) -> tuple[str, ...]:
    met = {True: "yes", False: "NO", None: ""}[row.met]
    ratios = tuple(
        "" if r is None else f"{r:.2f}" for r in (row.ratio(row.wsgi), row.ratio(row.flask))
    )
    baselines = tuple("" if b is None else number(b, row.unit) for b in (row.wsgi, row.flask))
    return (
        row.measurement,
        number(row.value, row.unit),
        *baselines,
        *ratios,
        row.goal,
        met,
        row.notes,
    )


def render(rows: list[Row]) -> str:
    """The rows as an aligned plain-text table."""
    lines = [HEADINGS, *(cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADINGS))]
    out = []
    for index, line in enumerate(lines):
        out.append(
            "  ".join(
                text.rjust(w) if i in NUMERIC and index else text.ljust(w)
                for i, (text, w) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
        )
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)
