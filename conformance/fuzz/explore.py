"""Generated requests from spec/openapi.yaml (schemathesis on Hypothesis), sent to the target.

Hand-written checks find the bugs we thought of; these find the rest. Every operation of the
document (except the mock-only ones) gets positive and negative cases; a stateful run follows
the document's links (create channel -> publish -> history -> poll). Each exchange is judged by
``conformance.fuzz.judging``; a run's findings are kept per process, so the tests of one
operation (one per requirement) share a single run.

Safety on a shared target: everything happens in an instance the fuzz creates for itself and
deletes at the end (the ``instance`` path parameter is never generated), and every instance a
generated createInstance makes is deleted at once.

Long polls cannot hang the run: a poll gets a short client timeout, and one that is still waiting
then counts as "no answer yet" (not a finding).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from schemathesis import Case, GenerationMode, Response
from schemathesis.core.parameters import ParameterLocation

import spec
from conformance.client import ANONYMOUS, Client, DeadlinePassed, Principal
from conformance.fuzz.judging import Findings, judge
from conformance.provision import Instance, Provisioner
from conformance.requirements import OPTION_GROUP

DEFAULT_EXAMPLES = 12
POLL_WAIT = 0.3
REMOTE_POLL_WAIT = 2.0
REQUEST_FIELDS = frozenset(
    {"method", "url", "headers", "params", "cookies", "json", "data", "files"}
)
STATEFUL_STEPS = 8
MOCK_ONLY = "mock-only"
POLL = "pollChannel"
STATEFUL = "links"
CREATE_INSTANCE = "createInstance"
KEY_HEADERS = ("X-API-KEY", "Authorization", "X-USER-KEY")
STATEFUL_OPERATIONS = (
    "createChannel",
    "getChannel",
    "partialUpdateChannel",
    "deleteChannel",
    "publishMessage",
    "pollChannel",
    "listHistory",
    "getHistoryMessage",
)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def add_options(parser: pytest.Parser) -> None:
    """The fuzzing options (called from the plugin's pytest_addoption)."""
    group = parser.getgroup(*OPTION_GROUP)
    group.addoption(
        "--fuzz-examples",
        type=_positive_int,
        default=DEFAULT_EXAMPLES,
        help=f"generated cases per operation, and stateful scenarios (default {DEFAULT_EXAMPLES}); "
        "500 for a deep run",
    )
    group.addoption(
        "--fuzz-seed",
        type=int,
        help="seed of the generated requests (default: one per run, shown in failures)",
    )


@dataclass(frozen=True)
class Settings:
    """How much to generate, from which seed, and how long a poll may wait."""

    examples: int
    seed: int
    poll_wait: float

    @classmethod
    def from_config(cls, config: pytest.Config, run_name: str, embedded: bool) -> Settings:
        seed = config.getoption("fuzz_seed")
        return cls(
            examples=config.getoption("fuzz_examples"),
            seed=seed if seed is not None else zlib.crc32(run_name.encode()),
            poll_wait=POLL_WAIT if embedded else REMOTE_POLL_WAIT,
        )

    def hypothesis(self, examples: int, **extra: Any) -> hypothesis.settings:
        """No example database (nothing is written to disk), no deadline, no shrinking."""
        return hypothesis.settings(
            max_examples=examples,
            database=None,
            deadline=None,
            derandomize=False,
            suppress_health_check=list(HealthCheck),
            phases=(Phase.explicit, Phase.generate),
            print_blob=False,
            **extra,
        )


def _json_text() -> st.SearchStrategy[str]:
    """Strings that parse as JSON objects: the spec's ``json`` and ``json-object`` formats."""
    scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
    return st.dictionaries(st.text(max_size=8), scalars, max_size=4).map(json.dumps)


@cache
def load_schema() -> schemathesis.BaseSchema:
    """The OpenAPI document as schemathesis reads it, with the spec's own string formats."""
    schemathesis.openapi.format("json", _json_text())
    schemathesis.openapi.format("json-object", _json_text())
    config = schemathesis.Config.from_dict(
        {
            "output": {"sanitization": {"enabled": False}},
            "checks": {
                "negative_data_rejection": {
                    "expected-statuses": ["400", "403", "404", "405", "413", "415", "429"]
                }
            },
        }
    )
    return schemathesis.openapi.from_path(spec.OPENAPI_PATH, config=config)


@cache
def operations() -> dict[str, schemathesis.APIOperation]:
    """Every operation a target must serve, by operationId (mock-only ones left out)."""
    found = (result.ok() for result in load_schema().get_all_operations())
    return {
        op.definition.raw["operationId"]: op
        for op in found
        if MOCK_ONLY not in op.definition.raw.get("tags", [])
    }


def operation_ids() -> list[str]:
    """The operations in document order (read from the file, no schemathesis needed)."""
    return [
        op["operationId"]
        for item in spec.openapi()["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op and MOCK_ONLY not in op.get("tags", [])
    ]


@dataclass(frozen=True)
class Ground:
    """The fuzz's own instance, its callers, and real values for path parameters."""

    instance: Instance
    callers: tuple[Principal, ...]
    message_channels: tuple[str, ...]
    settings_channels: tuple[str, ...]
    ids: dict[str, tuple[Any, ...]]

    def known(self, operation: schemathesis.APIOperation, parameter: str) -> tuple[Any, ...]:
        """Real values for one path parameter of one operation (none: always generated)."""
        if parameter == "instance":
            return (self.instance.name,)
        if parameter == "channel":
            if operation.method.upper() == "DELETE":
                return ()
            tags = operation.definition.raw.get("tags", [])
            return self.message_channels if "messages" in tags else self.settings_channels
        if parameter == "id" and "messages" in operation.definition.raw.get("tags", []):
            return self.ids.get("message", ())
        return self.ids.get(parameter, ())


def build_ground(provisioner: Provisioner) -> Ground:
    """A fresh instance with a group, a member, keys, channels, messages and a data object."""
    instance = provisioner.create_instance()
    client = provisioner.client
    admin = provisioner.admin
    group = provisioner.create_group(instance)
    member = provisioner.create_user(instance)
    provisioner.add_member(instance, group, member)
    plain = provisioner.create_api_key(instance)
    ignore_acl = provisioner.create_api_key(instance, ignore_acl=True)
    shared = {"custom_publish": True, "group": group.id, "group_permissions": "publish"}
    chat = provisioner.create_channel(instance, **shared)
    rooms = provisioner.create_channel(instance, type="separate_rooms", **shared)
    settings_channels = (
        provisioner.create_channel(instance, **shared),
        provisioner.create_channel(instance, type="separate_rooms", **shared),
    )
    messages = [provisioner.publish(instance, chat, {"n": n})["id"] for n in range(3)]
    messages += [provisioner.publish(instance, rooms, {"n": 0}, room="lobby")["id"]]
    data_class = "fuzz_items"  # a target without data objects answers 404s here: no finding
    client.post(
        f"{instance.paths.instance_root}classes/",
        admin,
        json_body={"name": data_class, "schema": [{"name": "title", "type": "string"}]},
    )
    created = client.post(
        f"{instance.paths.instance_root}classes/{data_class}/objects/",
        admin,
        json_body={"title": "fuzz", "channel": chat},
    ).json_or_none()
    objects = (created["id"],) if isinstance(created, dict) and "id" in created else ()
    user_principal = plain.principal("key + user").with_user("user in the group", member.user_key)
    return Ground(
        instance=instance,
        callers=(admin, admin, ignore_acl.principal("ignore_acl key"), user_principal, ANONYMOUS),
        message_channels=(chat, rooms),
        settings_channels=settings_channels,
        ids={
            "message": tuple(messages),
            "group": (group.id,),
            "user": (member.id,),
            "class": (data_class,),
            "id": objects,
        },
    )


class Sender:
    """Sends generated cases to the target, each as a given caller, with a bounded wait for
    polls."""

    def __init__(self, client: Client, provisioner: Provisioner, settings: Settings) -> None:
        self.client = client
        self.provisioner = provisioner
        self.settings = settings

    def send(self, case: Case, caller: Principal) -> Response | None:
        """The target's answer, or None for a poll that is still waiting. The suite's client
        sends it, with its deadlines, re-sends and 429 handling."""
        for name in KEY_HEADERS:
            case.headers.pop(name, None)
        poll = case.operation.definition.raw.get("operationId") == POLL
        serialized = case.as_transport_kwargs(
            base_url=self.client.base_url, headers=caller.auth_headers(self.client.auth_style)
        )
        prepared = requests.Request(
            **{k: v for k, v in serialized.items() if k in REQUEST_FIELDS}
        ).prepare()
        try:
            reply = self.client.send(
                prepared, caller.label, self.settings.poll_wait if poll else None
            )
        except DeadlinePassed:
            if poll:
                return None
            raise
        response = Response(
            status_code=reply.status,
            headers={name: [value] for name, value in reply.headers.items()},
            content=reply.body,
            request=prepared,
            elapsed=reply.elapsed_ms / 1000,
            verify=True,
        )
        self._forget_created_instance(case, response)
        return response

    def _forget_created_instance(self, case: Case, response: Response) -> None:
        """An instance a generated createInstance made is deleted at once."""
        if case.operation.definition.raw.get("operationId") != CREATE_INSTANCE:
            return
        if response.status_code != 201:
            return
        with contextlib.suppress(ValueError, KeyError, TypeError):
            name = json.loads(response.content)["name"]
            self.provisioner.delete_instance(Instance(name, self.provisioner.admin, True))


def _path_variants(operation: schemathesis.APIOperation, ground: Ground) -> list[dict[str, Any]]:
    """Fixed path parameters to generate with: every combination of real values, and the
    instance alone (the other parameters generated)."""
    names = [p.name for p in operation.path_parameters]
    if "instance" not in names:
        return [{}]
    choices = [[(name, v) for v in ground.known(operation, name)] for name in names]
    real = [dict(combo) for combo in itertools.product(*[c for c in choices if c])]
    alone = {"instance": ground.instance.name}
    return real + ([alone] if alone not in real else [])


def _case_strategy(operation: schemathesis.APIOperation, ground: Ground) -> st.SearchStrategy:
    return st.one_of(
        [
            operation.as_strategy(mode, path_parameters=variant)
            for variant in _path_variants(operation, ground)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ]
    )


def explore_operation(
    operation_id: str, ground: Ground, sender: Sender, settings: Settings
) -> Findings:
    """Generate ``settings.examples`` cases for one operation and judge every answer."""
    operation = operations()[operation_id]
    findings = Findings()

    @hypothesis.seed(settings.seed + zlib.crc32(operation_id.encode()))
    @settings.hypothesis(settings.examples)
    @hypothesis.given(_case_strategy(operation, ground), st.sampled_from(ground.callers))
    def explore(case: Case, caller: Principal) -> None:
        findings.cases += 1
        response = sender.send(case, caller)
        if response is None:
            findings.unanswered_polls += 1
            return
        for finding in judge(case, response, caller.label):
            findings.add(finding)

    explore()
    return findings


class _NoAnswerYet(Exception):
    """A poll in a scenario is still waiting after the bounded wait."""


def explore_links(ground: Ground, sender: Sender, settings: Settings) -> Findings:
    """``settings.examples`` scenarios along the document's links, data flowing between steps.

    Every step runs in the fuzz's instance, and a step whose channel no link supplied goes to
    one of the fuzz's message channels (a generated name would only give 404s). Link values come
    from live responses, so Hypothesis may find its own replay inconsistent (``Flaky``); the run
    then goes on with a fresh seed for the scenarios still due.
    """
    findings = Findings()
    base = load_schema().include(operation_id=list(STATEFUL_OPERATIONS)).as_state_machine()
    caller = ground.callers[0]
    finished = [0]

    class Scenario(base):  # type: ignore[misc, valid-type]
        def step(self, input: Any) -> Any:
            case = input.case
            case.path_parameters["instance"] = ground.instance.name
            linked = (ParameterLocation.PATH, "channel") in input.applied_parameters
            if "channel" in case.path_parameters and not linked:
                channels = ground.message_channels
                case.path_parameters["channel"] = channels[findings.cases % len(channels)]
            try:
                return super().step(input)
            except _NoAnswerYet:
                findings.unanswered_polls += 1
                return None

        def call(self, case: Case, **kwargs: Any) -> Response:
            findings.cases += 1
            response = sender.send(case, caller)
            if response is None:
                raise _NoAnswerYet
            return response

        def validate_response(self, response: Response, case: Case, **kwargs: Any) -> None:
            for finding in judge(case, response, caller.label):
                findings.add(finding)

        def teardown(self) -> None:
            finished[0] += 1

    for attempt in itertools.count():
        due = settings.examples - finished[0]
        if due <= 0:
            break
        hypothesis.seed(settings.seed + attempt)(Scenario)
        try:
            Scenario.run(settings=settings.hypothesis(due, stateful_step_count=STATEFUL_STEPS))
            break
        except Flaky:
            finished[0] += 1
    return findings


class Runs:
    """This process's fuzz runs, each made once (an error too) and shared by the tests that
    read it."""

    def __init__(self, ground: Ground, sender: Sender, settings: Settings) -> None:
        self.ground = ground
        self.sender = sender
        self.settings = settings
        self._done: dict[str, Findings | Exception] = {}

    def _once(self, name: str, run: Callable[[], Findings]) -> Findings:
        if name not in self._done:
            try:
                self._done[name] = run()
            except Exception as exc:
                self._done[name] = exc
        done = self._done[name]
        if isinstance(done, Exception):
            raise done
        return done

    def operation(self, operation_id: str) -> Findings:
        return self._once(
            operation_id,
            lambda: explore_operation(operation_id, self.ground, self.sender, self.settings),
        )

    def links(self) -> Findings:
        return self._once(STATEFUL, lambda: explore_links(self.ground, self.sender, self.settings))
