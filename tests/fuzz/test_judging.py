"""How one generated exchange is judged (conformance.fuzz.judging, conformance.fuzz.spec_input), on
hand-made exchanges: each allowance holds, and each requirement can fail."""

from __future__ import annotations

import json
from typing import Any

import hypothesis
import pytest
import requests
from schemathesis import Case, GenerationMode, Response
from schemathesis.core.parameters import ParameterLocation

from conformance.fuzz import explore
from conformance.fuzz.judging import judge, state_conflict
from conformance.fuzz.spec_input import spec_accepts

PATHS = {"instance": "inst", "channel": "chat"}
MESSAGE = {
    "id": 3,
    "created_at": "2024-03-01T09:30:00.000001Z",
    "action": "custom",
    "author": {"admin": 1},
    "metadata": {"type": "message"},
    "payload": {"text": "hi"},
    "links": {"self": "/v1.1/instances/inst/channels/chat/history/3/"},
}


def case(operation_id: str, **fields: Any) -> Case:
    media = {"media_type": "application/json"} if "body" in fields else {}
    return explore.operations()[operation_id].Case(**fields, **media)


def answer(sent: Case, status: int, body: Any, content_type: str = "application/json") -> Response:
    """The response a target gave to ``sent`` (nothing goes over the network)."""
    kwargs = sent.as_transport_kwargs(base_url="http://127.0.0.1:9")
    prepared = requests.Request(
        kwargs["method"], kwargs["url"], headers=kwargs["headers"], params=kwargs["params"],
        json=kwargs.get("json"), data=kwargs.get("data"),
    ).prepare()  # fmt: skip
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"content-type": [content_type]} if content else {}
    return Response(status, headers, content, prepared, elapsed=0.01, verify=True)


def problems(sent: Case, response: Response) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in judge(sent, response, "admin"):
        found.setdefault(finding.requirement, []).append(finding.problem)
    return found


def test_a_correct_publish_answer_has_no_finding() -> None:
    sent = case("publishMessage", path_parameters=PATHS, body={"payload": {"text": "hi"}})
    assert problems(sent, answer(sent, 201, MESSAGE)) == {}


def test_a_message_without_metadata_breaks_the_response_schema() -> None:
    sent = case("publishMessage", path_parameters=PATHS, body={"payload": {"text": "hi"}})
    broken = {k: v for k, v in MESSAGE.items() if k != "metadata"}
    assert set(problems(sent, answer(sent, 201, broken))) == {"GEN-005"}


def test_a_server_error_breaks_gen_001_and_the_documented_statuses() -> None:
    sent = case("listHistory", path_parameters=PATHS)
    found = problems(sent, answer(sent, 500, {"detail": "A server error occurred."}))
    assert {"GEN-001", "GEN-003"} <= set(found)


def test_an_html_error_breaks_gen_002() -> None:
    sent = case("getChannel", path_parameters=PATHS)
    found = problems(sent, answer(sent, 404, b"<h1>Not Found</h1>", "text/html"))
    assert "GEN-002" in found


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"name": ["This field must be unique."]}, True),
        ({"group": ['Invalid pk "7" - object does not exist.']}, True),
        ({"room": "This field is required for channels with separate rooms."}, True),
        ({"name": ["This field must be unique.", "Value has to start with a letter."]}, False),
        ({"room": ["This field may not be blank."]}, False),
    ],
)
def test_state_conflicts_are_told_from_input_errors(body: Any, expected: bool) -> None:
    sent = case("createChannel", path_parameters={"instance": "inst"}, body={"name": "a"})
    assert state_conflict(answer(sent, 400, body)) is expected


def test_a_state_conflict_is_only_a_400() -> None:
    sent = case("createChannel", path_parameters={"instance": "inst"}, body={"name": "a"})
    assert not state_conflict(answer(sent, 403, {"detail": "This field must be unique."}))


@pytest.mark.parametrize(
    ("operation_id", "fields", "expected"),
    [
        ("publishMessage", {"body": {"payload": '{"a": 1}'}}, True),
        ("publishMessage", {"body": {"payload": "[1]"}}, False),
        ("publishMessage", {"body": {"payload": "not json"}}, False),
        ("pollChannel", {"query": {"last_id": " 5.0 "}}, True),
        ("pollChannel", {"query": {"last_id": "\x1c5"}}, False),
        ("createDataObject", {}, True),
        ("createChannel", {}, False),
        ("getChannel", {"path_parameters": {"instance": "inst", "channel": "a.b"}}, False),
    ],
)
def test_the_spec_validators_decide_what_input_is_valid(
    operation_id: str, fields: dict[str, Any], expected: bool
) -> None:
    paths = {"instance": "inst", "channel": "chat", "class": "items"}
    names = {p.name for p in explore.operations()[operation_id].path_parameters}
    fields.setdefault("path_parameters", {k: v for k, v in paths.items() if k in names})
    sent = case(operation_id, **fields)
    assert spec_accepts(sent, answer(sent, 200, {})) is expected


def test_an_accepted_invalid_body_breaks_gen_006() -> None:
    """A generated case whose body is the invalid part (and really invalid), answered 201."""
    strategy = explore.operations()["publishMessage"].as_strategy(
        GenerationMode.NEGATIVE, path_parameters=PATHS
    )
    drawn: list[Case] = []

    @hypothesis.given(strategy)
    @hypothesis.settings(
        max_examples=100,
        database=None,
        phases=[hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.seed(0)
    def draw(generated: Case) -> None:
        body_only = generated.meta is not None and {
            location
            for location, info in generated.meta.components.items()
            if info.mode.is_negative
        } == {ParameterLocation.BODY}
        if body_only and not drawn and not spec_accepts(generated, answer(generated, 201, {})):
            drawn.append(generated)

    draw()
    assert drawn, "no generated case with only an invalid body"
    assert "GEN-006" in problems(drawn[0], answer(drawn[0], 201, MESSAGE))


@pytest.mark.parametrize(("length", "finding"), [(9000, False), (100, True)])
def test_a_414_is_a_finding_only_for_a_short_request_target(length: int, finding: bool) -> None:
    sent = case("pollChannel", path_parameters=PATHS, query={"last_id": "1" * length})
    found = problems(sent, answer(sent, 414, b""))
    assert ("GEN-003" in found) is finding


def test_a_state_conflict_may_quote_any_value() -> None:
    sent = case("createDataObject", path_parameters={"instance": "inst", "class": "items"})
    body = {"channel": ["Object with name=a\nb does not exist."]}
    assert state_conflict(answer(sent, 400, body))
