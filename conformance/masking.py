"""Keeps the keys of a run out of everything it shows: reports, JUnit files and terminal output.

Every key the suite is given or receives (the account key, the API keys and user keys it
creates, the made-up keys it sends) is registered here when it appears, and each test report is
masked where it is produced, before pytest, xdist or a report writer sees it: the failure text
(tracebacks show argument reprs), captured output, and the HTTP exchanges.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import pytest

ACCOUNT_KEY_REFERENCE = "${CHANNELS_ACCOUNT_KEY}"


class Secrets:
    """The keys of this process and the placeholders they are shown as."""

    def __init__(self) -> None:
        self._placeholders: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, value: str | None, kind: str) -> None:
        """Register a key; ``kind`` names its placeholder, e.g. "API key" -> "<API key #2>"."""
        if not value or value in self._placeholders:
            return
        with self._lock:
            if kind == "account key":
                self._placeholders[value] = ACCOUNT_KEY_REFERENCE
                return
            self._counts[kind] = self._counts.get(kind, 0) + 1
            self._placeholders[value] = f"<{kind} #{self._counts[kind]}>"

    def mask(self, text: str) -> str:
        """The text with every registered key replaced by its placeholder."""
        for value, placeholder in self._placeholders.items():
            if value in text:
                text = text.replace(value, placeholder)
        return text

    def mask_data(self, value: Any) -> Any:
        """A copy of JSON-like data (and pytest's failure representations) with keys masked."""
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, dict):
            return {self.mask_data(k): self.mask_data(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.mask_data(item) for item in value]
        if isinstance(value, tuple):
            return tuple(self.mask_data(item) for item in value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for item in dataclasses.fields(value):
                # pytest's failure representations are dataclasses; some may be frozen
                object.__setattr__(value, item.name, self.mask_data(getattr(value, item.name)))
        return value

    def mask_report(self, report: pytest.TestReport) -> None:
        """Mask a test report in place: failure text, captured sections, user properties."""
        report.longrepr = self.mask_data(report.longrepr)
        report.sections = self.mask_data(list(report.sections))
        report.user_properties = self.mask_data(list(report.user_properties))
