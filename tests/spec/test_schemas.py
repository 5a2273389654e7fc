"""spec/schemas: valid 2020-12 schemas that resolve offline and follow the x-error convention."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

import spec
from tests.spec.openapi_walk import walk

# File names other parts of the project rely on (the spec's contract).
CONTRACT_FILES = {
    "channel.json",
    "channel-create.json",
    "channel-update.json",
    "message.json",
    "message-custom.json",
    "message-object.json",
    "publish-request.json",
    "page.json",
    "channel-page.json",
    "message-page.json",
    "error-detail.json",
    "error-fields.json",
    "error-field-string.json",
    "instance.json",
    "instance-create.json",
    "api-key.json",
    "api-key-create.json",
    "user.json",
    "user-create.json",
    "user-auth.json",
    "group.json",
    "group-create.json",
    "membership.json",
    "membership-create.json",
    "class-create.json",
    "data-object.json",
    "poll-query.json",
    "history-query.json",
    "list-query.json",
}
REQUEST_SCHEMA = re.compile(
    r"(-create|-update|-auth|-request|-query)\.json$|^channel-fields\.json$"
)
# Keywords that can make an instance fail (as opposed to annotations and applicators).
ASSERTIONS = {
    "type",
    "enum",
    "const",
    "pattern",
    "format",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "required",
    "dependentRequired",
    "not",
    "minProperties",
    "maxProperties",
    "propertyNames",
    "minItems",
    "maxItems",
    "uniqueItems",
}
TEMPLATE_FIELDS = {"value", "length", "type"}
NAMES = spec.schema_names()
REQUEST_NAMES = [name for name in NAMES if REQUEST_SCHEMA.search(name)]
ANNOTATED_NAMES = [*REQUEST_NAMES, "common.json"]


def x_error_carriers(document: Any) -> list[dict[str, Any]]:
    """Every subschema of a document that carries an x-error annotation."""
    return [node for _, node in walk(document) if isinstance(node, dict) and "x-error" in node]


def test_contract_files_exist() -> None:
    assert set(NAMES) >= CONTRACT_FILES


@pytest.mark.parametrize("name", NAMES)
def test_is_a_valid_2020_12_schema(name: str) -> None:
    document = spec.schema(name)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(document)


@pytest.mark.parametrize("name", NAMES)
def test_id_names_the_file(name: str) -> None:
    assert spec.schema(name)["$id"] == f"https://channels.syncano.test/schemas/{name}"


@pytest.mark.parametrize("name", NAMES)
def test_every_ref_resolves_offline(name: str) -> None:
    resolver = spec.registry().resolver(base_uri=spec.SCHEMA_BASE_URI + name)
    found = [
        node["$ref"]
        for _, node in walk(spec.schema(name))
        if isinstance(node, dict) and "$ref" in node
    ]
    for ref in found:
        assert not ref.startswith(("http:", "https:", "/")), f"{ref} is not relative"
        resolver.lookup(ref)


@pytest.mark.parametrize("name", NAMES)
def test_examples_validate(name: str) -> None:
    document = spec.schema(name)
    validator = spec.validator(name)
    for example in document.get("examples", []):
        errors = [error.message for error in validator.iter_errors(example)]
        assert not errors, f"{name} example {example!r}: {errors}"


def test_registry_holds_every_schema_by_id() -> None:
    for name in NAMES:
        assert spec.registry().contents(spec.SCHEMA_BASE_URI + name) == spec.schema(name)


@pytest.mark.parametrize("name", REQUEST_NAMES)
def test_request_schema_explains_x_error(name: str) -> None:
    comment = spec.schema(name)["$comment"]
    assert "x-error" in comment and "common.json" in comment


@pytest.mark.parametrize("name", ANNOTATED_NAMES)
def test_each_x_error_annotates_exactly_one_constraint(name: str) -> None:
    for carrier in x_error_carriers(spec.schema(name)):
        constraints = ASSERTIONS & set(carrier)
        assert len(constraints) <= 1, f"{name}: {carrier['x-error']!r} on {sorted(constraints)}"


@pytest.mark.parametrize("name", NAMES)
def test_x_error_templates_use_known_fields(name: str) -> None:
    for carrier in x_error_carriers(spec.schema(name)):
        assert isinstance(carrier["x-error"], str)
        fields = set(re.findall(r"{(\w*)}", carrier["x-error"]))
        assert fields <= TEMPLATE_FIELDS, carrier["x-error"]
        assert carrier.get("x-error-key", "detail") == "detail"


@pytest.mark.parametrize("name", sorted(set(NAMES) - set(REQUEST_NAMES) - {"common.json"}))
def test_response_schemas_carry_no_request_annotations(name: str) -> None:
    assert not x_error_carriers(spec.schema(name))


def test_validator_is_cached_and_asserts_formats() -> None:
    assert spec.validator("channel.json") is spec.validator("channel.json")
    checker = spec.validator("channel.json").format_checker
    assert checker is not None
    assert not checker.conforms("2024-13-45T99:00:00.000000Z", "date-time")
    assert not checker.conforms("{not json", "json")
    assert not checker.conforms("[1]", "json-object")
    assert checker.conforms('{"a": 1}', "json-object")


def test_validator_accepts_a_pointer_into_a_file() -> None:
    last_id = spec.validator("poll-query.json#/properties/last_id")
    assert last_id.is_valid("12")
    assert not last_id.is_valid("abc")
