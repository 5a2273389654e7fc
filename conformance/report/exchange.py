"""HTTP exchanges as a report shows them: the account key masked, bodies as text, and a curl
command that sends the same request again, so a reader can reproduce a failure by hand."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

from conformance.masking import ACCOUNT_KEY_REFERENCE

# How conformance/client.py marks a body it cut to an excerpt: "... (65537 chars)" at the end.
CUT_BODY = re.compile(r"\.\.\. \((\d+) chars\)\Z")
# Headers that curl writes itself; repeating them would only get in the reader's way.
CURL_SETS_ITSELF = frozenset(
    {"content-length", "host", "connection", "accept-encoding", "user-agent"}
)


def _as_text(value: Any) -> str:
    """A body or header value as text (bodies may arrive parsed)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False)


def _masked(text: str, secret: str | None) -> str:
    return text.replace(secret, ACCOUNT_KEY_REFERENCE) if secret else text


def _shell_word(text: str) -> str:
    """One shell word; the account key reference stays expandable (double quotes)."""
    if ACCOUNT_KEY_REFERENCE not in text:
        return shlex.quote(text)
    escaped = [
        part.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`")
        for part in text.split(ACCOUNT_KEY_REFERENCE)
    ]
    return '"' + ACCOUNT_KEY_REFERENCE.join(escaped) + '"'


def curl_command(method: str, url: str, headers: dict[str, str], body: str) -> str:
    """A curl command line that repeats a request (response headers shown with -i)."""
    words = ["curl", "-sS", "-i", "-X", method.upper(), url]
    for name, value in headers.items():
        if name.lower() not in CURL_SETS_ITSELF:
            words += ["-H", f"{name}: {value}"]
    if body:
        words += ["--data-raw", body]
    return " ".join(_shell_word(word) for word in words)


def present_exchange(exchange: dict[str, Any], secret: str | None) -> dict[str, Any]:
    """The exchange with text bodies, the secret masked, and its curl command."""
    request_headers = {
        str(k): _masked(_as_text(v), secret)
        for k, v in (exchange.get("request_headers") or {}).items()
    }
    view = {
        "method": str(exchange.get("method", "")),
        "url": _masked(str(exchange.get("url", "")), secret),
        "request_headers": request_headers,
        "request_body": _masked(_as_text(exchange.get("request_body")), secret),
        "status": exchange.get("status"),
        "response_headers": {
            str(k): _masked(_as_text(v), secret)
            for k, v in (exchange.get("response_headers") or {}).items()
        },
        "response_body": _masked(_as_text(exchange.get("response_body")), secret),
        "elapsed_ms": exchange.get("elapsed_ms"),
    }
    view["curl"] = curl_command(view["method"], view["url"], request_headers, view["request_body"])
    cut = CUT_BODY.search(view["request_body"])
    view["request_body_size"] = int(cut.group(1)) if cut else len(view["request_body"])
    view["request_body_cut"] = bool(cut)
    return view
