"""The one table the benchmarks print: each measurement of the mock, the bare responder's figure
under the same load, their ratio (the number to track), the issue's target and whether it is
met."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

HEADINGS = ("measurement", "mock", "bare", "mock/bare", "target", "met", "notes")


@dataclass
class Row:
    """One measurement. ``bare`` is the bare responder's figure under the same load, if any;
    ``met`` is None where the issue sets no target."""

    measurement: str
    value: float
    unit: str
    bare: float | None = None
    target: str = ""
    met: bool | None = None
    notes: str = ""

    @property
    def ratio(self) -> float | None:
        """The mock's figure over the bare responder's."""
        if self.bare is None or not self.bare or math.isinf(self.bare):
            return None
        return self.value / self.bare

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def number(value: float, unit: str) -> str:
    """A figure with its unit, to a sensible precision."""
    if math.isinf(value):
        return "none"
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:,.{digits}f} {unit}".strip()


def cells(row: Row) -> tuple[str, ...]:
    met = {True: "yes", False: "NO", None: ""}[row.met]
    ratio = "" if row.ratio is None else f"{row.ratio:.2f}"
    bare = "" if row.bare is None else number(row.bare, row.unit)
    return (row.measurement, number(row.value, row.unit), bare, ratio, row.target, met, row.notes)


def render(rows: list[Row]) -> str:
    """The rows as an aligned plain-text table."""
    lines = [HEADINGS, *(cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADINGS))]
    numeric = {1, 2, 3}
    out = []
    for index, line in enumerate(lines):
        out.append(
            "  ".join(
                text.rjust(w) if i in numeric and index else text.ljust(w)
                for i, (text, w) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
        )
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)
