"""schemathesis (the fuzzer a later stage runs against the mock) reads the document as we do."""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spec
from tests.spec.openapi_walk import operations

EXAMPLES_PER_OPERATION = 20


@pytest.fixture(scope="module")
def loaded() -> dict[str, object]:
    """Operations as schemathesis sees them, by operationId."""
    # The spec's own string formats, so positive generation can satisfy them.
    json_objects = st.dictionaries(
        st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3
    ).map(json.dumps)
    schemathesis.openapi.format("json", json_objects)
    schemathesis.openapi.format("json-object", json_objects)
    schema = schemathesis.openapi.from_path(spec.OPENAPI_PATH)
    found = [result.ok() for result in schema.get_all_operations()]
    return {op.definition.raw["operationId"]: op for op in found}


def test_every_operation_is_visible(loaded: dict[str, object]) -> None:
    assert set(loaded) == {op["operationId"] for _, _, op in operations()}


BODY_OPERATIONS = sorted(op["operationId"] for _, _, op in operations() if "requestBody" in op)


@pytest.mark.parametrize("operation_id", BODY_OPERATIONS)
def test_generated_bodies_pass_our_validator(loaded: dict, operation_id: str) -> None:
    """schemathesis resolves the external $refs like spec.validator does: what it generates as
    valid, our validator accepts (an absent optional body aside)."""
    operation = loaded[operation_id]
    body = operation.definition.raw["requestBody"]["content"]["application/json"]["schema"]
    validator = spec.validator(body["$ref"].removeprefix("schemas/"))
    rejected: list[object] = []
    bodies: list[object] = []

    @given(operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def generate(case: schemathesis.Case) -> None:
        if isinstance(case.body, dict):
            bodies.append(case.body)
            if not validator.is_valid(case.body):
                rejected.append(case.body)

    generate()
    assert bodies, f"no body generated for {operation_id}"
    assert not rejected, f"{operation_id}: {rejected[:3]}"
