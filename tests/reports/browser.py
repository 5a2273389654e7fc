"""Headless Chromium for the report tests: installed from Debian's packages when missing,
run on a local page, and the DOM it serialises read back."""

from __future__ import annotations

import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

from tests.installs import debian_program

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def find_chromium() -> str:
    """Path of Chromium, installed from Debian's packages when missing."""
    return debian_program("chromium", "chromium")


def render(chromium: str, page: Path, fragment: str = "") -> str:
    """The DOM of a local page after its scripts ran, as Chromium serialises it."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--dump-dom",
                page.as_uri() + fragment,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


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
