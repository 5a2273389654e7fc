"""The one validation layer: request bodies and query strings against the schemas in ``spec/``.

Constraints live in the schemas only. This module turns jsonschema errors into the platform's
error bodies, using the conventions of ``spec/schemas/common.json``: ``x-error`` is the message
of the one constraint a subschema carries (templates ``{value}``, ``{length}``, ``{type}``),
``x-error-key: detail`` makes a failure a ``{"detail": ...}`` answer, and ``x-normalize`` lists
the steps (``strip``, ``lower``) applied to a value before it is stored. Where a schema gives no
message, DRF's generic message for the failed keyword is used.

Every instance is first checked by a compiled validator (jsonschema-rs) of the same schema
files: a valid one, the common case, costs a fraction of a microsecond. Only an instance it
refuses goes through ``jsonschema``, which decides and words the errors, so the texts (and any
difference between the two regex dialects) stay the platform's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache, partial
from typing import Any

import jsonschema_rs
from jsonschema import FormatChecker, ValidationError
from jsonschema.protocols import Validator

import spec
from mock_server.errors import ApiError, detail, field_errors

NON_FIELD_ERRORS = "non_field_errors"
TYPE_MESSAGES = {
    "integer": "A valid integer is required.",
    "number": "A valid number is required.",
    "string": "Not a valid string.",
    "boolean": '"{value}" is not a valid boolean.',
    "object": 'Expected a dictionary of items but got type "{type}".',
    "array": 'Expected a list of items but got type "{type}".',
}
KEYWORD_MESSAGES = {
    "required": "This field is required.",
    "enum": '"{value}" is not a valid choice.',
    "const": '"{value}" is not a valid choice.',
    "maxLength": "Ensure this field has no more than {limit} characters.",
    "minLength": "Ensure this field has at least {limit} characters.",
    "maximum": "Ensure this value is less than or equal to {limit}.",
    "minimum": "Ensure this value is greater than or equal to {limit}.",
    "pattern": "Enter a valid value.",
    "format": "Enter a valid value.",
}
NORMALIZERS = {"strip": str.strip, "lower": str.lower}


def _resolve(schema: Mapping[str, Any], resolver: Any) -> tuple[Mapping[str, Any], Any]:
    """Follow ``$ref`` chains to the schema that holds the keywords."""
    while isinstance(schema, Mapping) and "$ref" in schema:
        resolved = resolver.lookup(schema["$ref"])
        schema, resolver = resolved.contents, resolved.resolver
    return schema, resolver


def _steps_of(schema: Mapping[str, Any], resolver: Any) -> tuple[str, ...]:
    """The ``x-normalize`` steps of a property schema (on it, or on an ``allOf`` member)."""
    schema, resolver = _resolve(schema, resolver)
    if not isinstance(schema, Mapping):
        return ()
    if "x-normalize" in schema:
        return tuple(schema["x-normalize"])
    for member in schema.get("allOf", ()):
        steps = _steps_of(member, resolver)
        if steps:
            return steps
    return ()


SCHEMA_KEYWORDS = (
    "not",
    "if",
    "then",
    "else",
    "items",
    "contains",
    "additionalProperties",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
)
SCHEMA_LIST_KEYWORDS = ("allOf", "anyOf", "oneOf", "prefixItems")
SCHEMA_MAP_KEYWORDS = ("properties", "patternProperties", "dependentSchemas")
RESOURCE_KEYWORDS = ("$id", "$schema", "$defs")
MAX_INLINE_DEPTH = 64


class _NotInlinable(Exception):
    """A schema whose references cannot all be replaced by their targets."""


def _inlined(schema: Any, resolver: Any, depth: int = 0) -> Any:
    """``schema`` with every ``$ref`` replaced by a copy of its target, keyword order kept (a
    ``$ref`` becomes a one-member ``allOf`` in its place): errors are the same, and validating
    no longer resolves references, which was half of a publish's validation time. With no
    reference left, ``$id``, ``$schema`` and ``$defs`` are dropped (a subschema with an ``$id``
    would open a new resolution scope on every descent)."""
    if not isinstance(schema, Mapping):
        return schema
    if depth > MAX_INLINE_DEPTH or ("$ref" in schema and "allOf" in schema):
        raise _NotInlinable
    inlined: dict[str, Any] = {}
    for keyword, value in schema.items():
        if keyword == "$ref":
            resolved = resolver.lookup(value)
            inlined["allOf"] = [_inlined(resolved.contents, resolved.resolver, depth + 1)]
        elif keyword in SCHEMA_KEYWORDS:
            inlined[keyword] = _inlined(value, resolver, depth + 1)
        elif keyword in SCHEMA_LIST_KEYWORDS:
            inlined[keyword] = [_inlined(member, resolver, depth + 1) for member in value]
        elif keyword in SCHEMA_MAP_KEYWORDS:
            inlined[keyword] = {
                name: _inlined(member, resolver, depth + 1) for name, member in value.items()
            }
        elif keyword not in RESOURCE_KEYWORDS:
            inlined[keyword] = value
    return inlined


@cache
def _validator(name: str) -> Validator:
    """The validator of a request schema, its references inlined when they all can be."""
    checker = spec.validator(name)
    root = spec.registry().resolver().lookup(spec.SCHEMA_BASE_URI + name)
    try:
        schema = _inlined(root.contents, root.resolver)
    except _NotInlinable:
        return checker
    return checker.evolve(schema=schema)


def _retrieve(uri: str) -> Any:
    """A schema file by its ``$id``: every reference stays inside ``spec/schemas``."""
    if not uri.startswith(spec.SCHEMA_BASE_URI):
        raise LookupError(f"no schema {uri}")
    return spec.schema(uri.removeprefix(spec.SCHEMA_BASE_URI).partition("#")[0])


def _conforms(checker: FormatChecker, spec_format: str, value: Any) -> bool:
    return checker.conforms(value, spec_format)


@cache
def _compiled(name: str) -> jsonschema_rs.Validator:
    """The compiled validator of a request schema, with the spec's own formats asserted."""
    checker = spec.format_checker()
    return jsonschema_rs.validator_for(
        spec.target(name),
        formats={
            spec_format: partial(_conforms, checker, spec_format)
            for spec_format in ("json", "json-object")
        },
        validate_formats=True,
        retriever=_retrieve,
    )


def _known_valid(name: str, instance: Any) -> bool:
    """Whether the compiled validator accepts ``instance``; what it cannot take (a string
    with a lone surrogate) is left to ``jsonschema``."""
    try:
        return _compiled(name).is_valid(instance)
    except ValueError:
        return False


def _property_schemas(schema: Any, resolver: Any) -> list[tuple[str, Any, Any]]:
    """Every (name, subschema, resolver) a schema declares under ``properties``, through its
    ``$ref`` and ``allOf``."""
    if not isinstance(schema, Mapping):
        return []
    found = [(name, sub, resolver) for name, sub in schema.get("properties", {}).items()]
    if "$ref" in schema:
        resolved = resolver.lookup(schema["$ref"])
        found += _property_schemas(resolved.contents, resolved.resolver)
    for member in schema.get("allOf", ()):
        found += _property_schemas(member, resolver)
    return found


def _required(schema: Any, resolver: Any) -> set[str]:
    """Every property a schema requires, through its ``$ref`` and ``allOf``."""
    if not isinstance(schema, Mapping):
        return set()
    found = set(schema.get("required", ()))
    if "$ref" in schema:
        resolved = resolver.lookup(schema["$ref"])
        found |= _required(resolved.contents, resolved.resolver)
    for member in schema.get("allOf", ()):
        found |= _required(member, resolver)
    return found


@cache
def fields(name: str) -> dict[str, bool]:
    """The top-level properties of a request schema, each with whether it is required."""
    root = {"$ref": spec.SCHEMA_BASE_URI + name}
    resolver = spec.registry().resolver()
    required = _required(root, resolver)
    return {key: key in required for key, _, _ in _property_schemas(root, resolver)}


@cache
def normalizers(name: str) -> dict[str, tuple[str, ...]]:
    """For each top-level property of a request schema, its ``x-normalize`` steps. ``name``
    is a schema file name, optionally with a JSON pointer (``file.json#/$defs/x``)."""
    root = {"$ref": spec.SCHEMA_BASE_URI + name}
    steps = {}
    for key, sub, resolver in _property_schemas(root, spec.registry().resolver()):
        found = _steps_of(sub, resolver)
        if found and key not in steps:
            steps[key] = found
    return steps


def normalize(value: Any, steps: Iterable[str]) -> Any:
    """Apply normalisation steps to a string value (numbers become strings first)."""
    steps = tuple(steps)
    if not steps or isinstance(value, bool) or not isinstance(value, str | int | float):
        return value
    text = str(value)
    for step in steps:
        text = NORMALIZERS[step](text)
    return text


def _missing_property(error: ValidationError) -> str:
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    missing = [p for p in error.validator_value if p not in instance]
    return next((p for p in missing if repr(p) in error.message), missing[0] if missing else "")


def _template(error: ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if "x-error" in schema:
        return schema["x-error"]
    if error.validator == "type":
        if error.instance is None:
            return "This field may not be null."
        expected = error.validator_value
        expected = expected[0] if isinstance(expected, list) and expected else expected
        return TYPE_MESSAGES.get(expected, "Invalid value.")
    return KEYWORD_MESSAGES.get(str(error.validator), "Invalid value.")


def _fill(template: str, error: ValidationError, steps: tuple[str, ...]) -> str:
    value = error.instance
    normalized = normalize(value, steps)
    length = len(normalized) if isinstance(normalized, str | list | dict) else 0
    replacements = {
        "{value}": str(value),
        "{length}": str(length),
        "{type}": type(value).__name__,
        "{limit}": str(error.validator_value),
    }
    for placeholder, text in replacements.items():
        template = template.replace(placeholder, text)
    return template


def failure(name: str, instance: Any) -> ApiError | None:
    """The platform's error answer for an invalid instance of schema ``name``, or None."""
    try:
        if _known_valid(name, instance):
            return None
        found = list(_validator(name).iter_errors(instance))
    except RecursionError:
        return detail(400, "JSON parse error - nesting too deep.")
    steps_by_key = normalizers(name)
    errors: dict[str, list[str]] = {}
    for error in found:
        path = list(error.absolute_path)
        if error.validator == "required" and not path:
            key = _missing_property(error)
        else:
            key = str(path[0]) if path else NON_FIELD_ERRORS
        message = _fill(_template(error), error, steps_by_key.get(key, ()))
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        if schema.get("x-error-key") == "detail":
            return detail(400, message)
        messages = errors.setdefault(key, [])
        if message not in messages:
            messages.append(message)
    return field_errors(errors) if errors else None


def validate(name: str, instance: Any) -> None:
    """Raise the platform's 400 answer when ``instance`` does not satisfy schema ``name``."""
    error = failure(name, instance)
    if error is not None:
        raise error


def validated(name: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a body or query dict and return it with its ``x-normalize`` steps applied."""
    validate(name, data)
    steps_by_key = normalizers(name)
    return {key: normalize(value, steps_by_key.get(key, ())) for key, value in data.items()}
