"""Walk openapi.yaml the way the spec tests need: operations, schema locations, examples, $refs.

The document is registered under a base URI next to the schemas, so a relative
``$ref: "schemas/channel.json"`` resolves to that schema's ``$id`` without the network.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import spec

OPENAPI_URI = "https://channels.syncano.test/openapi.yaml"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

Location = tuple[str | int, ...]


def pointer(location: Location) -> str:
    """RFC 6901 JSON pointer for a location in the document."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in location)


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every (path, method, operation) of the document."""
    for path, item in spec.openapi()["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def operation(operation_id: str) -> tuple[str, str, dict[str, Any]]:
    """The (path, method, operation) with this operationId."""
    matches = [found for found in operations() if found[2].get("operationId") == operation_id]
    assert len(matches) == 1, f"operationId {operation_id!r} occurs {len(matches)} times"
    return matches[0]


def component(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a Reference Object (``#/components/...``) to its target; other nodes as they are."""
    ref = node.get("$ref")
    if ref is None or not ref.startswith("#/"):
        return node
    target: Any = spec.openapi()
    for part in ref[2:].split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    return target


def parameter_names(path: str, method: str) -> set[str]:
    """Names of the path-level and operation-level parameters of one operation."""
    item = spec.openapi()["paths"][path]
    declared = item.get("parameters", []) + item[method].get("parameters", [])
    return {component(parameter)["name"] for parameter in declared}


def walk(node: Any, location: Location = ()) -> Iterator[tuple[Location, Any]]:
    """Every node of a JSON-like tree with its location, depth first."""
    yield location, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*location, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*location, index))


def refs(document: Any) -> Iterator[tuple[Location, str]]:
    """Every ``$ref`` string in a document, with where it sits."""
    for location, node in walk(document):
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            yield location, node["$ref"]


@cache
def openapi_registry() -> Registry:
    """All schemas plus the OpenAPI document itself, under its own base URI."""
    resource = Resource.from_contents(spec.openapi(), default_specification=DRAFT202012)
    return spec.registry().with_resource(OPENAPI_URI, resource)


def validator_at(location: Location) -> Draft202012Validator:
    """A validator for the Schema Object at ``location`` in openapi.yaml."""
    return Draft202012Validator(
        {"$ref": OPENAPI_URI + "#" + pointer(location)},
        registry=openapi_registry(),
        format_checker=spec.format_checker(),
    )


def examples() -> Iterator[tuple[Location, Location, Any]]:
    """Every example of the document: (schema location, example location, example value).

    Covers media types and parameters, with both ``example`` and ``examples``.
    """
    for location, node in walk(spec.openapi()):
        if not isinstance(node, dict) or "schema" not in node:
            continue
        schema_location = (*location, "schema")
        if "example" in node:
            yield schema_location, (*location, "example"), node["example"]
        for name, example in node.get("examples", {}).items():
            yield schema_location, (*location, "examples", name), component(example)["value"]
