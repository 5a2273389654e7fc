"""The HTML report as a person sees it: opened in headless Chromium, it shows the right score and
counts, and the status filter (run by the page's own script) hides the right rows."""

from __future__ import annotations

from tests.reports.browser import Page, render


def test_page_shows_the_score_and_counts(suite, chromium):
    run = suite.run()
    page = Page(render(chromium, run.html_path))
    assert page.title.startswith("Channels conformance 50% core MUST")
    core = " ".join(page.text["core-must-score"].split())
    assert core == "Core MUST score 50% 2 of 4 checked passed · 1 not run · 1 not applicable"
    assert " ".join(page.text["score-must"].split()).startswith("MUST (all profiles) 60%")
    filters = " ".join(page.text["filters"].split())
    for status, count in run.document["counts"].items():
        assert f"{status} {count}" in filters
    assert page.text["shown"].strip() == "9 of 9 shown"  # written by the page's script
    verdict = " ".join(page.text["verdict"].split())
    assert verdict.startswith("The run fails its gate (exit code 1) 2 requirements failed")
    assert len(page.rows) == 9
    assert {rid: status for rid, (status, _) in page.rows.items()} == {
        f"req-{r['id']}": r["status"] for r in run.document["requirements"]
    }


def test_status_filter_from_the_address(suite, chromium):
    run = suite.run()
    page = Page(render(chromium, run.html_path, "#status=failed"))
    assert page.visible_rows() == {"req-AAA-002", "req-BBB-001"}
    assert page.text["shown"].strip() == "2 of 9 shown"
    assert page.areas == {"area-AAA": False, "area-BBB": False, "area-ROOM": True}
    page = Page(render(chromium, run.html_path, "#status=not%20run,not%20applicable"))
    assert page.visible_rows() == {"req-BBB-002", "req-BBB-003", "req-BBB-004"}


def test_failure_evidence_is_on_the_page(suite, chromium):
    run = suite.run()
    page = Page(render(chromium, run.html_path))
    evidence = " ".join(page.text["req-AAA-002"].split())
    assert "AssertionError: wrong status 500 for test_alpha_two" in evidence
    assert "HTTP 500" in evidence
    assert "curl -sS -i -X POST" in evidence
    assert "<html>Server Error</html>" in evidence  # shown as text, not markup
