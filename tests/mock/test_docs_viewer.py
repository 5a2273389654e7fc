"""``GET /docs`` as a person meets it: Swagger UI (from the installed flask-swagger-ui) in headless
Chromium, with the network cut to the loopback. Chromium is driven over the DevTools protocol
(websocket-client): the page is read once the viewer has rendered, an operation is opened, and
"Try it out" is clicked after authorising with the mock's account key."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import websocket

import spec
from tests.mock.test_cli import Served, served
from tests.reports.browser import CHROMIUM_FLAGS, find_chromium

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
LOOPBACK_ONLY = (
    # Host names resolve to nothing, and anything else goes to a proxy that is not there;
    # Chromium never sends loopback traffic through a proxy.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
)
WAIT = 60
LOCAL_SCHEMES = {"data", "blob", "about"}


@dataclass
class Browser:
    """One Chromium page over the DevTools protocol, and the protocol events it sent."""

    socket: websocket.WebSocket
    events: list[dict[str, Any]] = field(default_factory=list, repr=False)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """A protocol command's result; events arriving meanwhile are kept."""
        number = next(self.ids)
        self.socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == number:
                assert "error" not in message, (method, message["error"])
                return message["result"]
            self.events.append(message)

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a script run in the page."""
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def wait_for(self, expression: str) -> Any:
        """The first truthy value of ``expression``, polled: the viewer renders asynchronously."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        pytest.fail(f"timed out waiting for {expression}")

    def click(self, selector: str) -> None:
        """Click the element ``selector`` finds once it is there."""
        self.wait_for(f"document.querySelector({json.dumps(selector)}) !== null")
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")

    def sent(self) -> list[dict[str, Any]]:
        """Every request the page made so far (DevTools ``Network.requestWillBeSent``)."""
        self.call("Runtime.evaluate", expression="0")  # collects the events queued until now
        return [
            event["params"]["request"]
            for event in self.events
            if event.get("method") == "Network.requestWillBeSent"
        ]


@dataclass
class Viewer:
    """The mock, and Chromium showing its ``/docs``."""

    server: Served
    browser: Browser


def devtools_port(profile: Path, chromium: subprocess.Popen) -> int:
    """The port Chromium chose for ``--remote-debugging-port=0`` (it writes it to the profile)."""
    active = profile / "DevToolsActivePort"
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        assert chromium.poll() is None, f"chromium exited with {chromium.returncode}"
        if active.exists() and active.read_text().strip():
            return int(active.read_text().split()[0])
        time.sleep(0.1)
    pytest.fail("chromium did not open its DevTools port")


@pytest.fixture(scope="module")
def viewer() -> Iterator[Viewer]:
    chromium = find_chromium()
    with served() as server, tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        # A session of its own, so that the teardown ends Chromium's helper processes too.
        process = subprocess.Popen(
            [
                chromium,
                *CHROMIUM_FLAGS,
                *LOOPBACK_ONLY,
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                "--window-size=1280,1024",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            port = devtools_port(Path(profile), process)
            targets = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
            page = next(target for target in targets if target["type"] == "page")
            socket = websocket.create_connection(
                page["webSocketDebuggerUrl"], timeout=WAIT, suppress_origin=True
            )
            browser = Browser(socket)
            browser.call("Network.enable")
            browser.call("Page.navigate", url=f"{server.url}/docs")
            browser.wait_for("document.querySelectorAll('.opblock').length > 0")
            yield Viewer(server, browser)
            socket.close()
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def operations() -> dict[str, tuple[str, str, str]]:
    """(METHOD, path, first tag) of every operation in the OpenAPI document, by operationId."""
    return {
        operation["operationId"]: (method.upper(), path, operation["tags"][0])
        for path, item in spec.openapi()["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def opened(browser: Browser, operation_id: str) -> str:
    """The CSS selector of an operation's block (Swagger UI's id), opened if it was not."""
    block = f"#operations-{operations()[operation_id][2]}-{operation_id}"
    selector = json.dumps(block)
    browser.wait_for(f"document.querySelector({selector}) !== null")
    if not browser.evaluate(f"document.querySelector({selector}).classList.contains('is-open')"):
        browser.click(f"{block} .opblock-summary-control")
    browser.wait_for(f"document.querySelector({json.dumps(block + ' .opblock-body')}) !== null")
    return block


def has_instance(server: Served, name: str) -> bool:
    """Whether the mock holds the instance ``name`` (asked with its account key)."""
    url = f"{server.url}/v1.1/instances/{name}/channels/"
    return requests.get(url, headers={"X-API-KEY": server.key}, timeout=10).status_code == 200


def test_every_operation_is_shown_with_its_path_and_id(viewer: Viewer) -> None:
    shown = viewer.browser.evaluate("""
        [...document.querySelectorAll('.opblock')].map((block) => [
            block.querySelector('.opblock-summary-method').textContent,
            block.querySelector('.opblock-summary-path').dataset.path,
            block.querySelector('.opblock-summary-operation-id').textContent,
        ])""")
    expected = {
        (method, path, operation_id) for operation_id, (method, path, _) in operations().items()
    }
    assert {tuple(row) for row in shown} == expected
    assert len(shown) == len(expected)


def test_an_operation_shows_parameters_schemas_and_examples(viewer: Viewer) -> None:
    browser = viewer.browser
    block = opened(browser, "publishMessage")
    scope = f"document.querySelector({json.dumps(block)})"
    parameters = browser.evaluate(
        f"[...{scope}.querySelectorAll('tr[data-param-name]')]"
        ".map((row) => [row.dataset.paramName, row.dataset.paramIn])"
    )
    assert parameters == [["instance", "path"], ["channel", "path"]]
    request_example = browser.evaluate(
        f"{scope}.querySelector('.opblock-section-request-body .highlight-code').textContent"
    )
    assert json.loads(request_example) == {"payload": {"content": "hello!"}}
    codes = browser.evaluate(
        f"[...{scope}.querySelectorAll('tr.response')].map((row) => row.dataset.code)"
    )
    documented = spec.openapi()["paths"]["/v1.1/instances/{instance}/channels/{channel}/publish/"]
    assert codes == list(documented["post"]["responses"])
    created = browser.evaluate(
        f"{scope}.querySelector(\"tr.response[data-code='201'] .highlight-code\").textContent"
    )
    assert json.loads(created)["links"]["self"].endswith("/history/12/")
    browser.click(f"{block} .opblock-section-request-body .tablinks[data-name=model]")
    model = browser.wait_for(
        f"{scope}.querySelector('.opblock-section-request-body .model-box')?.textContent"
    )
    assert "payload" in model and "room" in model


def test_try_it_out_calls_the_mock_with_the_account_key(viewer: Viewer) -> None:
    browser, server = viewer.browser, viewer.server
    assert not has_instance(server, "chtest-1")

    browser.click(".auth-wrapper .authorize")
    browser.wait_for("document.querySelector('.modal-ux .auth-container') !== null")
    browser.evaluate(
        "[...document.querySelectorAll('.auth-container')].find((box) => "
        "box.querySelector('h4').textContent.startsWith('ApiKeyHeader'))"
        ".querySelector('input').focus()"
    )
    browser.call("Input.insertText", text=server.key)
    browser.click(".modal-ux .auth-btn-wrapper .authorize")
    browser.click(".modal-ux .btn-done")

    block = opened(browser, "createInstance")
    browser.click(f"{block} .try-out__btn")
    browser.click(f"{block} .execute")
    status = browser.wait_for(
        f"document.querySelector({json.dumps(block)})"
        ".querySelector('.live-responses-table tr.response .response-col_status')?.textContent"
    )
    assert status.strip() == "201"

    sent = [
        request
        for request in browser.sent()
        if request["method"] == "POST" and request["url"] == f"{server.url}/v1.1/instances/"
    ]
    assert len(sent) == 1 and sent[0]["headers"].get("X-API-KEY") == server.key
    assert json.loads(sent[0]["postData"]) == {"name": "chtest-1"}
    assert has_instance(server, "chtest-1")


def test_nothing_is_loaded_from_beyond_the_loopback(viewer: Viewer) -> None:
    page = requests.get(f"{viewer.server.url}/docs", timeout=10).text
    assert not re.search(r"(src|href)=\"(https?:)?//", page), "the page names an outside URL"
    loaded = [request["url"] for request in viewer.browser.sent()]
    assert f"{viewer.server.url}/docs/swagger-ui-bundle.js" in loaded
    assert f"{viewer.server.url}/docs/openapi.json" in loaded
    outside = [
        url
        for url in loaded
        if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).hostname != "127.0.0.1"
    ]
    assert not outside, outside
    failed = [
        event["params"]
        for event in viewer.browser.events
        if event.get("method") == "Network.loadingFailed"
    ]
    assert not failed, failed
