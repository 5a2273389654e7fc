"""Whether a request as sent satisfies the operation's request schemas, read with the spec's
own validators (``spec.validator``, which knows the ``json`` / ``json-object`` formats).

schemathesis cannot check formats it does not know, so a case it generated as "negative" is
sometimes valid after all (e.g. a payload string that does parse as a JSON object). The
input-validation check asks this module before expecting a refusal.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jsonschema import Draft202012Validator
from schemathesis import Case, Response

import spec

SCHEMA_PREFIX = "schemas/"
COMPONENT_PREFIX = "#/components/parameters/"


def _schema_validator(schema: dict[str, Any]) -> Draft202012Validator:
    ref = schema.get("$ref", "")
    if ref.startswith(SCHEMA_PREFIX):
        return spec.validator(ref.removeprefix(SCHEMA_PREFIX))
    return Draft202012Validator(schema, format_checker=spec.format_checker())


@cache
def _parameters(operation_id: str) -> dict[tuple[str, str], tuple[Draft202012Validator, bool]]:
    """(location, name) -> (validator, integer-typed) for every declared parameter."""
    document = spec.openapi()
    components = document["components"]["parameters"]
    found: dict[tuple[str, str], tuple[Draft202012Validator, bool]] = {}
    for item in document["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict) or operation.get("operationId") != operation_id:
                continue
            for parameter in item.get("parameters", []) + operation.get("parameters", []):
                ref = parameter.get("$ref", "")
                parameter = components[ref.removeprefix(COMPONENT_PREFIX)] if ref else parameter
                schema = parameter["schema"]
                found[(parameter["in"], parameter["name"])] = (
                    _schema_validator(schema),
                    schema.get("type") == "integer",
                )
    return found


@cache
def _body(operation_id: str) -> tuple[Draft202012Validator | None, bool]:
    """The body's validator (None: no body) and whether a body is required."""
    for item in spec.openapi()["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                body = operation.get("requestBody", {})
                schema = body.get("content", {}).get("application/json", {}).get("schema")
                return (_schema_validator(schema) if schema else None), bool(body.get("required"))
    return None, False


def _as_sent(value: Any, integer: bool) -> Any:
    text = str(value)
    return int(text) if integer and text.isascii() and text.isdigit() else text


def spec_accepts(case: Case, response: Response) -> bool:
    """Whether the path, query and body the target received all satisfy the spec."""
    operation_id = case.operation.definition.raw["operationId"]
    parameters = _parameters(operation_id)
    request = response.request
    query = {
        name: values[-1]
        for name, values in parse_qs(
            urlsplit(request.url or "").query, keep_blank_values=True
        ).items()
    }
    sent = [("path", name, value) for name, value in case.path_parameters.items()]
    sent += [("query", name, value) for name, value in query.items()]
    for location, name, value in sent:
        if (location, name) not in parameters:
            continue
        validator, integer = parameters[(location, name)]
        if not validator.is_valid(_as_sent(value, integer)):
            return False
    validator, required = _body(operation_id)
    if validator is None or not request.body:
        return not (validator is not None and required)
    try:
        body = json.loads(request.body)
    except ValueError:
        return False
    return validator.is_valid(body)
