"""The run as one self-contained HTML page (inline style and script, no network assets) that a
person opens to see the score, every requirement's status per area, and for each failure the
exchanges that broke it with a curl command to repeat the request."""

from __future__ import annotations

from collections import Counter
from html import escape
from typing import Any

from conformance.report.document import AreaEntry, Document, RequirementEntry, Tally, TestEntry
from conformance.report.verdict import (
    EXPECTED_FAILURE,
    FAILED,
    NOT_APPLICABLE,
    NOT_RUN,
    PASSED,
    STATUSES,
    UNEXPECTEDLY_PASSING,
)

BODY_EXCERPT = 1500
EVIDENCE_STATUSES = (FAILED, UNEXPECTEDLY_PASSING, EXPECTED_FAILURE)

STYLE = """
:root { --fg:#1d2430; --muted:#5b6575; --line:#dde2ea; --bg:#f6f7f9; --card:#fff;
  --failed:#b3261e; --failed-bg:#fdecea; --passed:#1e7b34; --passed-bg:#e6f4ea;
  --expected:#8a5300; --expected-bg:#fff3dc; --unexpected:#6a1b9a; --unexpected-bg:#f3e5f5;
  --notrun:#3f5666; --notrun-bg:#e8eef2; --na:#6b6b6b; --na-bg:#f0f0f0; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
  color:var(--fg); background:var(--bg); }
main { max-width:1200px; margin:0 auto; padding:24px 28px 48px; }
h1 { font-size:24px; margin:0 0 4px; }
h2 { font-size:18px; margin:0; }
h3 { font-size:15px; margin:16px 0 6px; }
a { color:#1a56a8; }
.facts { display:grid; grid-template-columns:max-content 1fr; gap:2px 14px; margin:10px 0 0;
  color:var(--muted); }
.facts dt { font-weight:600; } .facts dd { margin:0; color:var(--fg); }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px;
  padding:16px 18px; margin-top:18px; }
.verdict { border-left:6px solid var(--passed); }
.verdict.failed { border-left-color:var(--failed); }
.verdict strong { font-size:17px; }
.verdict ul { margin:6px 0 0; padding-left:20px; }
.verdict li.warning { color:var(--expected); }
.scores { display:flex; flex-wrap:wrap; gap:14px; }
.score { flex:1 1 200px; background:var(--card); border:1px solid var(--line);
  border-radius:10px; padding:14px 16px; }
.score .figure { font-size:32px; font-weight:700; line-height:1.1; }
.score.main .figure { font-size:44px; }
.score .label { font-weight:600; }
.score small { color:var(--muted); display:block; }
.bar { height:8px; background:#e4e7ec; border-radius:4px; margin:8px 0 6px; overflow:hidden; }
.bar span { display:block; height:100%; background:var(--passed); }
.bar.high span { background:#c98a00; } .bar.low span { background:var(--failed); }
.filters { display:flex; flex-wrap:wrap; gap:8px; align-items:center; }
.filters label { cursor:pointer; border-radius:999px; padding:4px 12px; font-weight:600;
  border:2px solid transparent; user-select:none; }
.filters input { margin:0 6px 0 0; vertical-align:-1px; }
.filters .shown { color:var(--muted); margin-left:auto; }
.status { display:inline-block; border-radius:999px; padding:1px 10px; font-weight:600;
  font-size:13px; white-space:nowrap; }
.s-failed { color:var(--failed); background:var(--failed-bg); }
.s-passed { color:var(--passed); background:var(--passed-bg); }
.s-expected-failure { color:var(--expected); background:var(--expected-bg); }
.s-unexpectedly-passing { color:var(--unexpected); background:var(--unexpected-bg); }
.s-not-run { color:var(--notrun); background:var(--notrun-bg); }
.s-not-applicable { color:var(--na); background:var(--na-bg); }
.note { color:var(--muted); font-size:13.5px; }
.failing-list { margin:6px 0 0; padding-left:20px; }
.area, .block { margin-top:26px; }
.area-head { display:flex; flex-wrap:wrap; align-items:baseline; gap:6px 14px; margin-bottom:8px; }
.area-head .area-score { color:var(--muted); font-size:14px; }
table { width:100%; border-collapse:collapse; background:var(--card); table-layout:fixed;
  border:1px solid var(--line); border-radius:10px; overflow:hidden; }
th, td { text-align:left; vertical-align:top; padding:8px 12px; border-top:1px solid var(--line); }
th { background:#eef1f5; font-size:13px; color:var(--muted); border-top:none; }
col.c-id { width:116px; } col.c-level { width:92px; } col.c-status { width:200px; }
td { overflow-wrap:anywhere; }
td.id { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; white-space:nowrap;
  font-weight:600; }
td.level { white-space:nowrap; font-size:13px; }
tr.req.r-failed td.id { box-shadow: inset 4px 0 var(--failed); }
tr.req.r-unexpectedly-passing td.id { box-shadow: inset 4px 0 var(--unexpected); }
.why { font-size:13.5px; color:var(--muted); margin-top:4px; }
.evidence { margin-top:8px; }
.test { border:1px solid var(--line); border-radius:8px; padding:10px 12px; margin-top:8px;
  background:#fbfcfd; }
.nodeid { font-family:ui-monospace,Menlo,Consolas,monospace; font-size:12.5px;
  color:var(--muted); word-break:break-all; }
.message { margin:8px 0; white-space:pre-wrap; border-left:3px solid var(--failed);
  padding:2px 0 2px 10px; }
.message.quiet { border-left-color:var(--line); color:var(--muted); }
details { margin-top:6px; }
summary { cursor:pointer; }
details.exchange { border:1px solid var(--line); border-radius:6px; padding:6px 10px;
  background:#fff; }
details.exchange summary { font-family:ui-monospace,Menlo,Consolas,monospace; font-size:13px; }
.code { font-weight:700; } .c2 { color:var(--passed); } .c4, .c5 { color:var(--failed); }
.pair { display:grid; grid-template-columns:1fr 1fr; gap:10px; }
@media (max-width: 800px) { .pair { grid-template-columns:1fr; } }
h5 { margin:8px 0 4px; font-size:12px; text-transform:uppercase; letter-spacing:.04em;
  color:var(--muted); }
pre { margin:0; padding:8px 10px; background:#f3f5f8; border-radius:6px; font-size:12.5px;
  white-space:pre-wrap; word-break:break-all; max-height:360px; overflow:auto;
  font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; }
pre.curl { background:#1f2633; color:#e8edf5; }
.measure td { font-variant-numeric:tabular-nums; }
footer { margin-top:32px; color:var(--muted); font-size:13px; }
[hidden] { display:none !important; }
"""

SCRIPT = """
(function () {
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[name=status]'));
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr.req'));
  function apply() {
    var on = {};
    boxes.forEach(function (b) { on[b.value] = b.checked; });
    var shown = 0;
    rows.forEach(function (r) { r.hidden = !on[r.dataset.status]; if (!r.hidden) shown++; });
    document.querySelectorAll('section.area').forEach(function (s) {
      s.hidden = s.querySelectorAll('tr.req:not([hidden])').length === 0;
    });
    document.getElementById('shown').textContent = shown + ' of ' + rows.length + ' shown';
  }
  var match = /status=([^&]*)/.exec(decodeURIComponent(location.hash));
  if (match) {
    var wanted = match[1].split(',');
    boxes.forEach(function (b) { b.checked = wanted.indexOf(b.value) >= 0; });
  }
  boxes.forEach(function (b) { b.addEventListener('change', apply); });
  apply();
})();
"""


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _slug(status: str) -> str:
    return status.replace(" ", "-")


def _badge(status: str) -> str:
    return f'<span class="status s-{_slug(status)}">{_e(status)}</span>'


def _percent(tally: Tally) -> str:
    return "n/a" if tally.percent is None else f"{tally.percent:g}%"


def _tally_line(tally: Tally) -> str:
    checked = tally.checked
    line = f"{tally.passed} of {checked} checked passed" if checked else "none checked"
    if tally.not_run:
        line += f" · {tally.not_run} not run"
    if tally.not_applicable:
        line += f" · {tally.not_applicable} not applicable"
    return line


def _score_card(label: str, tally: Tally, element_id: str, main: bool = False) -> str:
    width = 0 if tally.percent is None else tally.percent
    tone = "full" if width == 100 else "high" if width >= 80 else "low"
    return (
        f'<div class="score{" main" if main else ""}" id="{element_id}">'
        f'<div class="label">{_e(label)}</div>'
        f'<div class="figure">{_percent(tally)}</div>'
        f'<div class="bar {tone}"><span style="width:{width}%"></span></div>'
        f"<small>{_tally_line(tally)}</small></div>"
    )


def _facts(doc: Document) -> str:
    run = doc.run
    rows = [
        ("Target", run.target_url or "unknown"),
        ("Date", run.date.replace("T", " ").replace("+00:00", " UTC")),
        ("Profile", run.profile or "unknown"),
        ("Suite version", run.suite_version),
        ("Duration", f"{run.duration_s:.1f} s"),
    ]
    if run.poll_timeout is not None:
        rows.append(("Poll timeout", f"{run.poll_timeout:g} s"))
    if run.transport and run.transport.latency_ms is not None:
        rows.append(("Answer time", f"{run.transport.latency_ms:g} ms"))
        rows.append(("Requests", f"{run.transport.requests}"))
    if doc.not_offered:
        rows.append(("Not offered", ", ".join(f"{n} ({a})" for a, n in doc.not_offered.items())))
    if run.expected_failures_file:
        rows.append(("Expected failures", run.expected_failures_file))
    cells = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows)
    return f'<dl class="facts">{cells}</dl>'


def _verdict(doc: Document) -> str:
    reasons = doc.gate_failures
    warnings = doc.gate_warnings
    state = "failed" if doc.exit_status else "passed"
    head = "The run fails its gate" if state == "failed" else "The run passes its gate"
    head += f" (exit code {doc.exit_status})"
    counts = doc.counts
    known = [f"{counts[s]} {s}" for s in (EXPECTED_FAILURE, NOT_RUN) if counts[s]]
    items = "".join(f"<li>{_e(r)}</li>" for r in reasons)
    items += "".join(f'<li class="warning">Warning: {_e(w)}</li>' for w in warnings)
    if known:
        items += f"<li>Also: {_e(', '.join(known))} (not counted as passed).</li>"
    transport = doc.run.transport.summary if doc.run.transport else []
    items += "".join(f'<li class="transport">Transport: {_e(line)}</li>' for line in transport)
    failing = [r for r in doc.requirements if r.status in (FAILED, UNEXPECTEDLY_PASSING)]
    links = "".join(
        f'<li><a href="#req-{_e(r.id)}">{_e(r.id)}</a> {_badge(r.status)} {_e(r.statement)}</li>'
        for r in failing
    )
    listing = (
        f'<h3>Requirements to look at</h3><ul class="failing-list">{links}</ul>' if links else ""
    )
    return (
        f'<section class="card verdict {state}" id="verdict"><strong>{_e(head)}</strong>'
        f"{f'<ul>{items}</ul>' if items else ''}{listing}</section>"
    )


def _scores(doc: Document) -> str:
    cards = [_score_card("Core MUST score", doc.score.core_must, "core-must-score", True)]
    cards += [
        _score_card(f"{level} (all profiles)", tally, f"score-{level.lower()}")
        for level, tally in doc.score.levels.items()
    ]
    return f'<section class="scores" style="margin-top:18px">{"".join(cards)}</section>'


def _filters(doc: Document) -> str:
    chips = "".join(
        f'<label class="s-{_slug(s)}" data-count="{doc.counts[s]}">'
        f'<input type="checkbox" name="status" value="{_e(s)}" checked>'
        f'{_e(s)} <span class="count">{doc.counts[s]}</span></label>'
        for s in STATUSES
    )
    return (
        f'<section class="card"><div class="filters" id="filters"><strong>Show</strong>{chips}'
        f'<span class="shown" id="shown"></span></div>'
        f'<p class="note">{_e(doc.scoring)}</p>{_baseline_notes(doc)}</section>'
    )


def _baseline_notes(doc: Document) -> str:
    notes = []
    if doc.baseline.stale:
        notes.append(
            "Now passing, remove from the expected-failures file: " + ", ".join(doc.baseline.stale)
        )
    if doc.baseline.unmatched:
        notes.append(
            "Expected-failure entries that match no requirement or test of this run: "
            + ", ".join(doc.baseline.unmatched)
        )
    return "".join(f'<p class="note"><strong>{_e(n)}</strong></p>' for n in notes)


def _excerpt(text: str) -> str:
    return text if len(text) <= BODY_EXCERPT else text[:BODY_EXCERPT] + "\n… (cut here)"


def _headers(headers: dict[str, str]) -> str:
    return "".join(f"{name}: {value}\n" for name, value in headers.items())


def _cut_note(exchange: dict[str, Any]) -> str:
    if not exchange.get("request_body_cut"):
        return ""
    return (
        f'<p class="why">The suite kept only an excerpt of this {exchange["request_body_size"]}'
        "-byte body, so the command sends the excerpt, not the original body.</p>"
    )


def _exchange(exchange: dict[str, Any], is_last: bool) -> str:
    status = exchange.get("status")
    elapsed = exchange.get("elapsed_ms")
    timing = f" · {elapsed:g} ms" if isinstance(elapsed, int | float) else ""
    request = f"{exchange['method']} {exchange['url']}\n{_headers(exchange['request_headers'])}"
    if exchange["request_body"]:
        request += "\n" + _excerpt(exchange["request_body"])
    response = f"HTTP {status}\n{_headers(exchange['response_headers'])}"
    if exchange["response_body"]:
        response += "\n" + _excerpt(exchange["response_body"])
    return (
        f'<details class="exchange"{" open" if is_last else ""}><summary>'
        f"{_e(exchange['method'])} {_e(exchange['url'])} → "
        f'<span class="code c{str(status)[:1]}">{_e(status)}</span>{_e(timing)}'
        f"{' (last before the failure)' if is_last else ''}</summary>"
        f'<div class="pair"><div><h5>Request</h5><pre>{_e(request)}</pre></div>'
        f"<div><h5>Response</h5><pre>{_e(response)}</pre></div></div>"
        f'<h5>Reproduce</h5>{_cut_note(exchange)}<pre class="curl">{_e(exchange["curl"])}</pre>'
        "</details>"
    )


def _test_evidence(test: TestEntry) -> str:
    parts = [f'<div class="test"><div class="nodeid">{_e(test.nodeid)} {_badge(test.status)}</div>']
    if test.message:
        quiet = "" if test.status in (FAILED, EXPECTED_FAILURE) else " quiet"
        parts.append(f'<p class="message{quiet}">{_e(test.message)}</p>')
    if test.broken and test.status in (FAILED, EXPECTED_FAILURE):
        parts.append(f'<p class="why">Found broken: {_e(", ".join(test.broken))}</p>')
    if test.baseline_reason:
        reason = _e(test.baseline_reason)
        note = (
            f"Listed as an expected failure ({reason}), but it passes: remove the entry."
            if test.status == UNEXPECTEDLY_PASSING
            else f"Expected failure because: {reason}"
        )
        parts.append(f'<p class="why">{note}</p>')
    if test.details:
        parts.append(
            "<details><summary>Full failure output</summary>"
            f"<pre>{_e(test.details)}</pre></details>"
        )
    exchanges = test.exchanges
    if exchanges:
        parts.append(f"<h5>HTTP exchanges ({len(exchanges)})</h5>")
        parts += [_exchange(x, i == len(exchanges) - 1) for i, x in enumerate(exchanges)]
    parts.append("</div>")
    return "".join(parts)


def _not_checked_because(
    requirement: RequirementEntry, its: list[TestEntry], profile: str | None
) -> str:
    """Why a requirement was not run or is not applicable: its tests' skip reasons, the run's
    profile, or the requirements its failed tests stopped on first."""
    reasons = {t.message for t in its if t.message and t.status in (NOT_RUN, NOT_APPLICABLE)}
    if requirement.status == NOT_APPLICABLE:
        reasons = reasons or {f"not asserted by the {profile or 'selected'} profile"}
    else:
        reasons |= {
            f"{t.nodeid.rsplit('::', 1)[-1]} failed on {', '.join(t.broken)} first"
            for t in its
            if t.status in (FAILED, EXPECTED_FAILURE) and requirement.id not in t.broken
        }
    return "; ".join(sorted(reasons)) or "no test of this suite ran for it"


def _why(requirement: RequirementEntry, tests: dict[str, TestEntry], profile: str | None) -> str:
    """Under the statement: the evidence of a failure, or why a requirement was not checked."""
    status = requirement.status
    its = [tests[t.nodeid] for t in requirement.tests]
    if status in EVIDENCE_STATUSES:
        shown = [
            tests[t.nodeid]
            for t in requirement.tests
            if t.found_broken or t.status == UNEXPECTEDLY_PASSING
        ]
        label = f"Evidence: {len(shown)} test{'s' * (len(shown) != 1)}"
        opened = " open" if status in (FAILED, UNEXPECTEDLY_PASSING) else ""
        body = "".join(_test_evidence(t) for t in shown)
        return f'<details class="evidence"{opened}><summary>{label}</summary>{body}</details>'
    if status in (NOT_RUN, NOT_APPLICABLE):
        return f'<div class="why">{_e(_not_checked_because(requirement, its, profile))}</div>'
    if status == PASSED and its:
        passed = [t for t in its if t.status == PASSED]
        functions = Counter(t.nodeid.rsplit("::", 1)[-1].split("[")[0] for t in passed)
        names = ", ".join(f"{name} ×{n}" if n > 1 else name for name, n in functions.items())
        figures = "".join(
            f" · {name} {value:g}" for t in passed for name, value in t.measurements.items()
        )
        return f'<div class="why">checked by {_e(names)}{_e(figures)}</div>'
    return ""


def _area(area: AreaEntry, doc: Document, tests: dict[str, TestEntry]) -> str:
    members = [r for r in doc.requirements if r.area == area.id]
    if not members:
        return ""
    score = " · ".join(
        f"{level} {tally.passed}/{tally.checked} ({_percent(tally)})"
        if tally.checked
        else f"{level} none checked"
        for level, tally in area.scores.items()
    )
    if area.not_offered:
        score += " · not offered by the target"
    rows = "".join(
        f'<tr class="req r-{_slug(r.status)}" id="req-{_e(r.id)}" '
        f'data-status="{_e(r.status)}"><td class="id">{_e(r.id)}</td>'
        f'<td class="level">{_e(r.level)}<br><span class="note">{_e(r.profile)}</span></td>'
        f"<td>{_e(r.statement)}{_why(r, tests, doc.run.profile)}</td>"
        f"<td>{_badge(r.status)}</td></tr>"
        for r in members
    )
    return (
        f'<section class="area" id="area-{_e(area.id)}" data-area="{_e(area.id)}">'
        f'<div class="area-head"><h2>{_e(area.id)} · {_e(area.name)}</h2>'
        f'<span class="area-score">{_e(score)}</span></div>'
        '<table><colgroup><col class="c-id"><col class="c-level"><col><col class="c-status">'
        "</colgroup><thead><tr><th>ID</th><th>Level</th><th>Requirement</th><th>Status</th>"
        f"</tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _measurements(doc: Document) -> str:
    rows = "".join(
        f'<tr class="measure"><td class="nodeid">{_e(t.nodeid)}</td>'
        f"<td>{_e(' '.join(t.requirements))}</td><td>{_e(name)}</td><td>{_e(value)}</td></tr>"
        for t in doc.tests
        for name, value in t.measurements.items()
    )
    if not rows:
        return ""
    return (
        '<section class="block" id="measurements"><div class="area-head"><h2>Measurements</h2>'
        "</div><table><thead><tr><th>Test</th><th>Requirements</th><th>Measure</th>"
        f"<th>Value</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def report_html(doc: Document) -> str:
    """The whole page for a report document."""
    tests = {t.nodeid: t for t in doc.tests}
    core = _percent(doc.score.core_must)
    areas = "".join(_area(area, doc, tests) for area in doc.areas)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Channels conformance {_e(core)} core MUST · {_e(doc.run.target_url)}</title>"
        f"<style>{STYLE}</style></head><body><main>"
        f"<h1>Channels v1.1 conformance report</h1>{_facts(doc)}"
        f"{_verdict(doc)}{_scores(doc)}{_filters(doc)}{areas}{_measurements(doc)}"
        f"<footer>Written by syncano-channels-conformance {_e(doc.run.suite_version)}. "
        "report.json holds the same figures for machines; junit.xml one testcase per test."
        f"</footer></main><script>{SCRIPT}</script></body></html>\n"
    )
