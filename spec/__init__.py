"""The machine-readable description of the Channels v1.1 API, and loaders for it.

Both the mock server and the conformance suite read the spec through this module, so the
shapes and requirement ids they use cannot drift apart.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_DIR = Path(__file__).resolve().parent
SCHEMA_DIR = SPEC_DIR / "schemas"
OPENAPI_PATH = SPEC_DIR / "openapi.yaml"
REQUIREMENTS_PATH = SPEC_DIR / "requirements.yaml"
SCHEMA_BASE_URI = "https://channels.syncano.test/schemas/"


@cache
def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document as a dict."""
    return yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))


@cache
def requirements() -> dict[str, dict[str, Any]]:
    """Every numbered requirement, keyed by its id (e.g. ``PUB-004``)."""
    data = yaml.safe_load(REQUIREMENTS_PATH.read_text(encoding="utf-8"))
    return {item["id"]: item for item in data["requirements"]}


def schema_names() -> list[str]:
    """File names of every JSON Schema in ``spec/schemas`` (e.g. ``channel.json``), sorted."""
    return sorted(path.name for path in SCHEMA_DIR.glob("*.json"))


@cache
def schema(name: str) -> dict[str, Any]:
    """One schema by file name, e.g. ``schema("message.json")``."""
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


@cache
def registry() -> Registry:
    """Every schema under its ``$id``, so cross-file ``$ref``s resolve without the network."""
    resources = [
        (
            SCHEMA_BASE_URI + name,
            Resource.from_contents(schema(name), default_specification=DRAFT202012),
        )
        for name in schema_names()
    ]
    return Registry().with_resources(resources).crawl()


_NOT_JSON = object()


def _parsed(text: str) -> object:
    """``text`` decoded as JSON, or ``_NOT_JSON``."""
    try:
        return json.loads(text)
    except ValueError:
        return _NOT_JSON


def _is_json(instance: object) -> bool:
    """Format ``json``: a string that parses as JSON (non-strings pass, as formats do)."""
    return not isinstance(instance, str) or _parsed(instance) is not _NOT_JSON


def _is_json_object(instance: object) -> bool:
    """Format ``json-object``: a string that parses as a JSON object (the publish payload rule)."""
    return not isinstance(instance, str) or isinstance(_parsed(instance), dict)


@cache
def format_checker() -> FormatChecker:
    """The standard formats (date-time, ...) plus the spec's own ``json`` and ``json-object``."""
    checker = FormatChecker()
    checker.checks("json")(_is_json)
    checker.checks("json-object")(_is_json_object)
    return checker


@cache
def validator(name: str) -> Draft202012Validator:
    """A validator for one schema, with every other schema reachable and formats asserted.

    ``name`` is a file name (``"channel.json"``) or a file name with a JSON pointer
    (``"poll-query.json#/properties/last_id"``), as ``$ref``s in ``openapi.yaml`` spell them.
    """
    return Draft202012Validator(target(name), registry=registry(), format_checker=format_checker())


def target(name: str) -> Any:
    """What a validator of ``name`` (a file name, with a JSON pointer or not) checks against:
    the file's schema, or a reference into it."""
    document, _, pointer = name.partition("#")
    return schema(document) if not pointer else {"$ref": SCHEMA_BASE_URI + name}
