"""The end-of-run terminal summary of a conformance run: scores per area and level, the failing
requirements with their statements, why the gate fails, the failures it only warns about
(SHOULD and MAY), and where the reports went."""

from __future__ import annotations

import textwrap
from pathlib import Path

from conformance.report.document import Document, Tally
from conformance.report.verdict import (
    EXPECTED_FAILURE,
    FAILED,
    NOT_APPLICABLE,
    NOT_RUN,
    UNEXPECTEDLY_PASSING,
)


def _cell(tally: Tally | None) -> str:
    if not tally or not tally.checked:
        return "-"
    return f"{tally.passed}/{tally.checked} {tally.percent:g}%"


def summary_lines(
    document: Document, written: list[Path], cwd: Path, width: int
) -> list[tuple[str, dict[str, bool]]]:
    """The end-of-run summary: scores per area, failing requirements, report paths."""
    lines: list[tuple[str, dict[str, bool]]] = []
    plain: dict[str, bool] = {}
    levels = list(document.score.levels)
    lines.append(("= Channels conformance =", {"bold": True}))
    lines.append(
        (
            f"target {document.run.target_url or 'unknown'}  profile "
            f"{document.run.profile or 'unknown'}  suite {document.run.suite_version}",
            plain,
        )
    )
    header = f"{'area':<30}" + "".join(f"{lv:<14}" for lv in levels) + "not run  n/a"
    lines.append((header, {"bold": True}))
    for area in document.areas:
        counts = area.counts
        if not sum(counts.values()):
            continue
        name = f"{area.id:<8}{area.name}"
        name = name if len(name) <= 29 else name[:28] + "…"
        cells = "".join(f"{_cell(area.scores.get(lv)):<14}" for lv in levels)
        lines.append(
            (
                f"{name:<30}{cells}{counts[NOT_RUN]:<9}{counts[NOT_APPLICABLE]}",
                {"red": bool(counts[FAILED] + counts[UNEXPECTEDLY_PASSING])},
            )
        )
    counts = document.counts
    cells = "".join(f"{_cell(document.score.levels[lv]):<14}" for lv in levels)
    lines.append(
        (f"{'all areas':<30}{cells}{counts[NOT_RUN]:<9}{counts[NOT_APPLICABLE]}", {"bold": True})
    )
    core = document.score.core_must
    lines.append(
        (
            f"core MUST score: {_cell(core)} of checked requirements "
            f"({core.not_run} not run, not counted)",
            {"bold": True},
        )
    )
    wrap = textwrap.TextWrapper(
        width=max(width, 60), initial_indent="  ", subsequent_indent=" " * 18
    )
    for status, colour in (
        (FAILED, "red"),
        (UNEXPECTEDLY_PASSING, "red"),
        (EXPECTED_FAILURE, "yellow"),
    ):
        chosen = [r for r in document.requirements if r.status == status]
        if chosen:
            lines.append((f"{status} ({len(chosen)}):", {colour: True, "bold": True}))
            for r in chosen:
                text = f"{r.id:<9}{r.level:<7}{r.statement}"
                lines += [(line, plain) for line in wrap.wrap(text)]
    for reason in document.gate_failures:
        lines.append((f"gate: {reason}", {"red": True}))
    for warning in document.gate_warnings:
        lines.append((f"warning: {warning}", {"yellow": True}))
    for path in written:
        shown = path.relative_to(cwd) if path.is_relative_to(cwd) else path
        lines.append((f"written: {shown}", plain))
    return lines
