"""The generated checks catch broken targets, on the requirement that is broken.

Each test serves the mock in-process (Flask behind werkzeug's threaded server, on loopback),
broken in one way, and runs conformance/checks/test_fuzz.py against it in a child pytest with a
small budget; the child's report must fail exactly the requirement that was broken.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from conformance.fuzz.judging import REQUIREMENTS
from conformance.plugin import CHECKS_DIR
from mock_server import faults
from mock_server.app import create_app
from mock_server.config import MockConfig

ACCOUNT_KEY = "f00d" * 9 + "cafe"
FUZZ_MODULE = str(CHECKS_DIR / "test_fuzz.py")
OPERATIONS = "publishMessage or listHistory"
GEN_FAULTS = sorted(name for name, f in faults.CATALOGUE.items() if f.requirement in REQUIREMENTS)
MESSAGE_KEYS = {"id", "action", "payload", "metadata"}
WSGIApp = Callable[..., Iterable[bytes]]


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any) -> None:
        """No request log: the child run's report shows the exchanges that matter."""


@contextmanager
def served(app: WSGIApp) -> Iterator[str]:
    """Serve a WSGI app on a free loopback port for the block; yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _without_metadata(data: Any) -> Any:
    """Every message (an object with id, action, payload, metadata) loses its metadata."""
    if isinstance(data, list):
        return [_without_metadata(item) for item in data]
    if isinstance(data, dict):
        if data.keys() >= MESSAGE_KEYS:
            return {k: v for k, v in data.items() if k != "metadata"}
        return {k: _without_metadata(v) for k, v in data.items()}
    return data


def drop_metadata(app: WSGIApp) -> WSGIApp:
    """A target whose messages come without metadata: a body that breaks message.json."""

    def broken(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], *exc: Any) -> None:
            captured[:] = [status, headers]

        body = b"".join(app(environ, capture))
        status, headers = captured
        with suppress(ValueError):
            body = json.dumps(_without_metadata(json.loads(body))).encode()
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    return broken


def run_fuzz(pytester: pytest.Pytester, url: str, operations: str) -> dict[str, str]:
    """Run the fuzz module against ``url`` (operations: a -k expression); the statuses of the
    requirements it checks, from the child's report."""
    pytester.runpytest_subprocess(
        FUZZ_MODULE,
        "--target-url", url,
        "--account-key", ACCOUNT_KEY,
        "--fuzz-examples", "20",
        "--fuzz-seed", "7",
        "-k", operations,
        "-p", "no:cacheprovider",
        timeout=120,
    )  # fmt: skip
    report = json.loads((pytester.path / "reports" / "report.json").read_text())
    return {r["id"]: r["status"] for r in report["requirements"] if r["id"] in REQUIREMENTS}


def mock(*faults: str) -> WSGIApp:
    return create_app(MockConfig(account_key=ACCOUNT_KEY, poll_timeout=1, faults=frozenset(faults)))


def test_the_correct_mock_passes(pytester: pytest.Pytester) -> None:
    with served(mock()) as url:
        statuses = run_fuzz(pytester, url, OPERATIONS)
    assert set(statuses.values()) == {"passed"}, statuses


def test_messages_without_metadata_fail_the_schema_requirement(pytester: pytest.Pytester) -> None:
    with served(drop_metadata(mock())) as url:
        statuses = run_fuzz(pytester, url, OPERATIONS)
    assert statuses["GEN-005"] == "failed", statuses
    assert statuses["GEN-001"] == statuses["GEN-003"] == "passed", statuses


@pytest.mark.parametrize("fault", GEN_FAULTS)
def test_a_catalogue_fault_fails_its_requirement(pytester: pytest.Pytester, fault: str) -> None:
    with served(mock(fault)) as url:
        statuses = run_fuzz(pytester, url, OPERATIONS)
    assert statuses[faults.CATALOGUE[fault].requirement] == "failed", statuses
