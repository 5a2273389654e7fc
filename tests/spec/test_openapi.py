"""openapi.yaml: valid OpenAPI 3.1, and it covers what the requirements document.

The expected tables below are read from spec/requirements.yaml (the status codes of GEN-003 and
of each area, the query parameters of CHAN, POLL and HIST, the 405s of ERR-002, the credential
sources of AUTH-004 to AUTH-006); each test fails if the document leaves out part of them.
"""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

import spec
from tests.spec.openapi_walk import (
    OPENAPI_URI,
    component,
    openapi_registry,
    operation,
    operations,
    parameter_names,
    pointer,
    refs,
    validator_at,
)

# operationId -> status codes the requirements document for it.
DOCUMENTED_STATUSES = {
    "listChannels": {200, 400, 403, 404, 429},
    "createChannel": {201, 400, 403, 404, 415, 429},
    "getChannel": {200, 403, 404, 429},
    "updateChannel": {200, 400, 403, 404, 429},
    "partialUpdateChannel": {200, 400, 403, 404, 429},
    "deleteChannel": {204, 403, 404, 429},
    "publishMessage": {201, 400, 403, 404, 413, 415, 429},
    "pollChannel": {200, 204, 400, 403, 404, 429},
    "listHistory": {200, 400, 403, 404, 429},
    "getHistoryMessage": {200, 400, 403, 404, 429},
    "listInstances": {200, 400, 403, 429},
    "createInstance": {201, 400, 403},
    "listApiKeys": {200, 400, 403, 404, 429},
    "listUsers": {200, 400, 403, 404, 429},
    "listGroups": {200, 400, 403, 404, 429},
    "listGroupUsers": {200, 400, 403, 404, 429},
    "getGroupUser": {200, 403, 404, 429},
    "listUserGroups": {200, 400, 403, 404, 429},
    "listClasses": {200, 400, 403, 404, 429},
    "listDataObjects": {200, 400, 403, 404, 429},
    "getDataObject": {200, 403, 404, 429},
    "createApiKey": {201, 403, 404},
    "createUser": {201, 400, 403, 404},
    "authUser": {200, 401, 403, 404},
    "createGroup": {201, 403, 404},
    "addGroupUser": {201, 400, 403, 404},
    "addUserGroup": {201, 400, 403, 404},
    "deleteGroupUser": {204, 403, 404},
    "createClass": {201, 400, 403, 404},
    "createDataObject": {201, 400, 403, 404},
    "updateDataObject": {200, 403, 404},
    "updateDataObjectByPost": {200, 403, 404},
    "deleteDataObject": {204, 403, 404},
    "getMockStats": {200, 403},
    "getOpenApi": {200},
    "getOpenApiJson": {200},
}

# operationId -> query parameters the requirements document for it (CHAN-031 to CHAN-037,
# POLL-007 to POLL-012, area HIST).
DOCUMENTED_QUERY = {
    "listChannels": {"ordering", "page_size", "direction", "last_pk", "fields", "excluded_fields"},
    "getChannel": {"fields", "excluded_fields"},
    "pollChannel": {"last_id", "room", "transport"},
    "listHistory": {
        "room",
        "last_id",
        "ordering",
        "page_size",
        "direction",
        "last_pk",
        "fields",
        "excluded_fields",
    },
    "getHistoryMessage": {"room", "fields", "excluded_fields"},
}

# path suffix -> methods that answer 405 (ERR-002).
DOCUMENTED_405 = {
    "/channels/{channel}/publish/": {"GET", "PUT"},
    "/channels/{channel}/poll/": {"POST"},
    "/channels/{channel}/history/": {"POST", "DELETE", "PUT"},
    "/channels/{channel}/history/{id}/": {"DELETE"},
    "/channels/{channel}/": {"POST"},
}


def test_openapi_spec_validator_reports_no_error() -> None:
    document, base_uri = read_from_filename(str(spec.OPENAPI_PATH))
    validate(document, base_uri=base_uri)


def test_every_ref_in_the_document_resolves() -> None:
    resolver = openapi_registry().resolver(base_uri=OPENAPI_URI)
    found = list(refs(spec.openapi()))
    assert found
    for location, ref in found:
        assert ref.startswith(("#/components/", "schemas/")), f"{pointer(location)}: {ref}"
        resolver.lookup(ref)


def test_document_is_openapi_3_1_served_on_loopback() -> None:
    document = spec.openapi()
    assert document["openapi"].startswith("3.1.")
    assert document["servers"] == [{"url": "http://127.0.0.1:8000"}]


def test_operation_ids_are_unique_and_complete() -> None:
    ids = [op.get("operationId") for _, _, op in operations()]
    assert None not in ids, "an operation has no operationId"
    assert len(ids) == len(set(ids)), "duplicate operationIds"
    assert set(ids) == set(DOCUMENTED_STATUSES)


def test_api_paths_are_full_with_trailing_slash() -> None:
    mock_paths = {"/__mock__/stats", "/openapi.yaml", "/openapi.json"}
    for path in spec.openapi()["paths"]:
        if path in mock_paths:
            continue
        assert path.startswith("/v1.1/instances/"), path
        assert path.endswith("/"), path


def test_path_templates_match_declared_path_parameters() -> None:
    for path, method, op in operations():
        declared = [
            component(p)
            for p in spec.openapi()["paths"][path].get("parameters", []) + op.get("parameters", [])
        ]
        in_path = {p["name"] for p in declared if p["in"] == "path"}
        assert in_path == set(re.findall(r"{([^}]+)}", path)), (method, path)


@pytest.mark.parametrize("operation_id", sorted(DOCUMENTED_STATUSES))
def test_documented_status_codes_are_described(operation_id: str) -> None:
    _, _, op = operation(operation_id)
    described = {int(code) for code in op["responses"]}
    missing = DOCUMENTED_STATUSES[operation_id] - described
    assert not missing, f"{operation_id} lacks responses {sorted(missing)}"


@pytest.mark.parametrize("operation_id", sorted(DOCUMENTED_STATUSES))
def test_error_and_success_bodies_have_schemas(operation_id: str) -> None:
    """Every response other than 101/204 has a JSON (or YAML) body schema."""
    _, _, op = operation(operation_id)
    for code, response in op["responses"].items():
        content = component(response).get("content")
        if code in {"101", "204"}:
            assert content is None, f"{operation_id} {code} must have no body"
            continue
        assert content, f"{operation_id} {code} has no body schema"
        assert all("schema" in media for media in content.values())


@pytest.mark.parametrize("operation_id", sorted(DOCUMENTED_QUERY))
def test_documented_query_parameters_are_declared(operation_id: str) -> None:
    path, method, _ = operation(operation_id)
    assert DOCUMENTED_QUERY[operation_id] <= parameter_names(path, method)


def test_security_schemes_cover_every_credential_source() -> None:
    schemes = spec.openapi()["components"]["securitySchemes"]
    where = {(s["type"], s["in"], s["name"]) for s in schemes.values()}
    assert where == {
        ("apiKey", "header", "X-API-KEY"),
        ("apiKey", "query", "api_key"),
        ("apiKey", "header", "Authorization"),
        ("apiKey", "header", "X-USER-KEY"),
        ("apiKey", "query", "user_key"),
    }


def test_operations_require_a_key_except_the_served_spec() -> None:
    assert {} not in spec.openapi()["security"]
    for _, _, op in operations():
        if op["operationId"] in {"getOpenApi", "getOpenApiJson"}:
            assert op["security"] == []
        else:
            assert "security" not in op, op["operationId"]


def test_mock_only_operations_are_tagged() -> None:
    for operation_id, path, method in (
        ("getMockStats", "/__mock__/stats", "get"),
        ("getOpenApi", "/openapi.yaml", "get"),
        ("getOpenApiJson", "/openapi.json", "get"),
    ):
        assert operation(operation_id)[:2] == (path, method)
        assert "mock-only" in operation(operation_id)[2]["tags"]


def test_reset_is_served_but_left_out_of_paths() -> None:
    """A tool that calls every documented operation (stock schemathesis) must not wipe the
    state it builds midway, so the reset is described in info.description only."""
    assert "/__mock__/reset" not in spec.openapi()["paths"]
    assert "POST /__mock__/reset" in spec.openapi()["info"]["description"]


@pytest.mark.parametrize("suffix", sorted(DOCUMENTED_405))
def test_unmapped_methods_are_listed_and_not_defined(suffix: str) -> None:
    path = "/v1.1/instances/{instance}" + suffix
    item = spec.openapi()["paths"][path]
    listed = set(item["x-methods-not-allowed"])
    assert DOCUMENTED_405[suffix] <= listed
    assert not {method.lower() for method in listed} & set(item)


def test_every_path_lists_its_unmapped_methods() -> None:
    for path, item in spec.openapi()["paths"].items():
        if path.startswith("/v1.1/"):
            assert item.get("x-methods-not-allowed"), path


@pytest.mark.parametrize("target", ["publishMessage", "pollChannel", "listHistory"])
def test_channel_creation_links_to_publish_poll_and_history(target: str) -> None:
    _, _, create = operation("createChannel")
    links = create["responses"]["201"]["links"].values()
    chained = [link for link in links if link["operationId"] == target]
    assert chained, f"no link from createChannel to {target}"
    assert chained[0]["parameters"]["channel"] == "$response.body#/name"
    assert chained[0]["parameters"]["instance"] == "$request.path.instance"


def test_every_link_targets_a_real_operation_and_its_parameters() -> None:
    for _, _, op in operations():
        for response in op["responses"].values():
            for name, link in component(response).get("links", {}).items():
                path, method, _ = operation(link["operationId"])
                unknown = set(link["parameters"]) - parameter_names(path, method)
                assert not unknown, f"link {name} passes unknown parameters {unknown}"


def test_request_bodies_reference_schema_files() -> None:
    for _, _, op in operations():
        body = op.get("requestBody")
        if body is None:
            continue
        assert set(body["content"]) == {"application/json"}
        ref = body["content"]["application/json"]["schema"]["$ref"]
        assert ref.startswith("schemas/") and ".json" in ref, ref


SELECTED_200 = [
    ("getChannel", {"name": "chat", "type": "default"}, True),
    ("getChannel", {}, True),
    ("getChannel", {"name": "chat", "nosuchfield": 1}, False),
    ("getChannel", {"custom_publish": "yes"}, False),
    ("listChannels", {"next": None, "prev": None, "objects": [{"name": "default"}, {}]}, True),
    ("getHistoryMessage", {"id": 12, "action": "custom"}, True),
    ("getHistoryMessage", {"metadata": {"type": "object", "class": "items"}}, True),
    ("getHistoryMessage", {"action": "shout"}, False),
    (
        "listHistory",
        {"next": None, "prev": None, "objects": [{"id": 16, "payload": {"pg": 4}}]},
        True,
    ),
    ("listHistory", {"next": None, "prev": None, "objects": [{"id": "16"}]}, False),
]


@pytest.mark.parametrize(("operation_id", "body", "valid"), SELECTED_200)
def test_responses_narrowed_by_fields_are_described(
    operation_id: str, body: dict[str, object], valid: bool
) -> None:
    """CHAN-036: ?fields= / ?excluded_fields= answer a subset of the keys (e.g. `{}` for an
    unknown name, as observed), each key still as in the full representation."""
    path, method, _ = operation(operation_id)
    location = ("paths", path, method, "responses", "200", "content", "application/json", "schema")
    assert validator_at(location).is_valid(body) is valid
