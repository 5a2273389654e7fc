"""The HTML report as a person sees it: opened in headless Chromium, it shows the right score and
counts, and the status filter (run by the page's own script) hides the right rows."""

from __future__ import annotations

from html.parser import HTMLParser

from tests.reports.conftest import render

VOID = {"meta", "input", "br", "col", "img", "link", "hr"}


class Page(HTMLParser):
    """Text of elements by id, requirement rows and area sections with their hidden state."""

    def __init__(self, dom: str) -> None:
        super().__init__()
        self.open: list[tuple[str, dict[str, str | None]]] = []
        self.text: dict[str, str] = {}
        self.rows: dict[str, tuple[str, bool]] = {}
        self.areas: dict[str, bool] = {}
        self.title = ""
        self.feed(dom)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "tr" and "req" in classes:
            self.rows[attributes["id"]] = (attributes["data-status"], "hidden" in attributes)
        if tag == "section" and "area" in classes:
            self.areas[attributes["id"]] = "hidden" in attributes
        if tag not in VOID:
            self.open.append((tag, attributes))

    def handle_endtag(self, tag: str) -> None:
        while self.open and self.open.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        for tag, attributes in self.open:
            if attributes.get("id"):
                key = attributes["id"]
                self.text[key] = self.text.get(key, "") + " " + data
            if tag == "title":
                self.title += data

    def visible_rows(self) -> set[str]:
        return {rid for rid, (_, hidden) in self.rows.items() if not hidden}


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
