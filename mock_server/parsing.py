"""Request bodies, parsed lazily like DRF's ``request.data`` (apps/core/parsers.py; PUB-013,
PUB-014, ERR-005..007).

JSON and ``text/plain`` bodies are parsed as JSON; form-encoded and multipart bodies become a
dict of their last values, an empty value counting as absent. An empty body is ``{}`` whatever
its type; a non-empty body of another (or no) media type is a 415. JSON that the platform's
parser would refuse (NaN, infinities, lone surrogates, numbers too big, nesting too deep) is a
400 parse error, so every accepted body can be stored and rendered again.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import parse_qsl

from flask import Request

from mock_server.errors import ApiError, detail

JSON_TYPES = ("application/json", "text/plain")
FORM_TYPE = "application/x-www-form-urlencoded"
MULTIPART_TYPE = "multipart/form-data"
MAX_DEPTH = 128
_UNSET = object()
# Python's JSON error messages, in the wording of the platform's parser (rapidjson)
PARSER_MESSAGES = {
    "Expecting property name enclosed in double quotes": "Missing a name for object member.",
    "Expecting value": "Invalid value.",
    "Expecting ':' delimiter": "Missing a colon after a name of object member.",
    "Unterminated string starting at": "Missing a closing quotation mark in string.",
    "Extra data": "The document root must not be followed by other values.",
    "Invalid control character at": "Invalid encoding in string.",
    "Invalid \\escape": "Invalid escape character in string.",
    "Invalid \\uXXXX escape": "Incorrect hex digit after \\u escape in string.",
}


class BodyParseError(ValueError):
    """The body is not JSON the platform would accept."""


def _reject_constant(name: str) -> Any:
    raise BodyParseError(f"{name} is not allowed")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BodyParseError("Number too big to be stored in double")
    return value


def check_json_value(value: Any) -> None:
    """Refuse what cannot be stored and rendered back: deep nesting and lone surrogates."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError as exc:
                    raise BodyParseError("Invalid encoding in string") from exc
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise BodyParseError(f"Nesting deeper than {MAX_DEPTH} levels")
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in children:
                pending.append((key, depth))
                pending.append((child, depth + 1))


STRICT_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)


def _strict_loads(text: str) -> Any:
    """``json.loads(text, parse_constant=..., parse_float=...)`` on one decoder made once:
    ``json.loads`` builds a decoder, and its scanner, on every call that passes hooks."""
    if text.startswith("\ufeff"):  # as json.loads refuses it
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return STRICT_DECODER.decode(text)


def _innermost(text: str, position: int) -> str:
    """The bracket open at ``position`` (``{`` or ``[``), skipping strings."""
    stack: list[str] = []
    in_string = escaped = False
    for char in text[:position]:
        if in_string:
            escaped = not escaped and char == "\\"
            in_string = escaped or char != '"'
        elif char == '"':
            in_string = True
        elif char in "{[":
            stack.append(char)
        elif char in "}]" and stack:
            stack.pop()
    return stack[-1] if stack else ""


def _platform_message(error: json.JSONDecodeError) -> str:
    """A JSON syntax error as the platform's parser words it."""
    if error.msg == "Expecting ',' delimiter":
        if _innermost(error.doc, error.pos) == "{":
            message = "Missing a comma or '}' after an object member."
        else:
            message = "Missing a comma or ']' after an array element."
    else:
        message = PARSER_MESSAGES.get(error.msg, "Invalid value.")
    offset = len(error.doc[: error.pos].encode("utf-8", "surrogatepass"))
    return f"Parse error at offset {offset}: {message}"


def parse_json(text: str | bytes) -> Any:
    """Parse JSON text strictly; raise BodyParseError with the platform's wording."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        value = _strict_loads(text)
    except BodyParseError:
        raise
    except json.JSONDecodeError as exc:
        raise BodyParseError(_platform_message(exc)) from exc
    except UnicodeDecodeError as exc:
        raise BodyParseError(
            f"Parse error at offset {exc.start}: Invalid encoding in string."
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise BodyParseError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
    if may_break_rules(text):
        check_json_value(value)
    return value


def may_break_rules(text: str) -> bool:
    """Whether JSON ``text`` could hold what ``check_json_value`` refuses: a lone surrogate
    comes only from a ``\\u`` escape, and nesting deeper than ``MAX_DEPTH`` needs more
    brackets than that. Most bodies have neither, and the walk is a publish's slowest step."""
    return "\\u" in text or text.count("{") + text.count("[") > MAX_DEPTH


def _pairs_to_dict(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Form fields as DRF sees them: the last value of each name, empty values absent."""
    fields: dict[str, str] = {}
    for name, value in pairs:
        if value == "":
            fields.pop(name, None)
        else:
            fields[name] = value
    return fields


class RequestBody:
    """The body of one request, parsed on first use and remembered (errors too). Its size gate
    and its media type are named steps, which the request faults (``mock_server/faults/body.py``)
    override."""

    def __init__(self, request: Request) -> None:
        self._request = request
        self._data: Any = _UNSET
        self._error: ApiError | None = None

    def data(self) -> Any:
        """The parsed body; raises the 400 / 415 ApiError the platform would answer."""
        if self._error is not None:
            raise self._error
        if self._data is _UNSET:
            try:
                self._data = self._parse()
            except ApiError as exc:
                self._error = exc
                raise
        return self._data

    def exceeds(self, limit: int) -> bool:
        """Whether ``Content-Length`` is over ``limit``: a body of exactly ``limit`` bytes
        passes (PUB-001, PUB-002)."""
        return (self._request.content_length or 0) > limit

    def media_type(self) -> str:
        """The media type the body is parsed as: its Content-Type's, without parameters."""
        return self._request.mimetype

    def as_dict(self) -> dict[str, Any] | None:
        """The body when it parses to a JSON object (credentials may ride in it), else None."""
        data = self.data()
        return data if isinstance(data, dict) else None

    def _parse(self) -> Any:
        raw = self._request.get_data(cache=True)
        if not raw:
            return {}
        media_type = self.media_type()
        if media_type in JSON_TYPES:
            try:
                return parse_json(raw)
            except BodyParseError as exc:
                raise detail(400, f"JSON parse error - {exc}") from exc
        if media_type == FORM_TYPE:
            text = raw.decode("utf-8", "replace")
            return _pairs_to_dict(parse_qsl(text, keep_blank_values=True))
        if media_type == MULTIPART_TYPE:
            return _pairs_to_dict(list(self._request.form.items(multi=True)))
        content_type = self._request.headers.get("Content-Type", "")
        raise detail(415, f'Unsupported media type "{content_type}" in request.')
