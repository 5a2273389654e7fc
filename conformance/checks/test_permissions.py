"""Permission handling (area PERM): the decision table for every caller, permission pair and
operation; anonymous-read keys; writes; group membership."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from conformance import expect
from conformance.channel_api import ChannelApi
from conformance.client import Principal, Reply
from conformance.fixtures import MATRIX_PRINCIPALS, World
from conformance.permissions import LEVELS, OPERATIONS, Cell, Outcome, expected
from conformance.provision import Provisioner, unique_name
from conformance.requirements import requirement_set
from spec import protocol

UNKNOWN_USER_KEY = "AUTH-009"
CELLS = [
    Cell(principal, other, group, operation)
    for operation in OPERATIONS
    for principal in MATRIX_PRINCIPALS
    for other in LEVELS
    for group in LEVELS
]


@dataclass(frozen=True)
class Matrix:
    """One channel per (other_permissions, group_permissions), in the world's group, each with
    one stored message; the channels share a name prefix so lists can be narrowed to them."""

    prefix: str
    channels: dict[tuple[str, str], tuple[str, int]]

    def channel(self, other: str, group: str) -> tuple[str, int]:
        return self.channels[(other, group)]


@pytest.fixture(scope="module")
def matrix(provisioner: Provisioner, world: World) -> Matrix:
    prefix = unique_name("pm") + "-"
    channels = {}
    for other in LEVELS:
        for group in LEVELS:
            name = provisioner.create_channel(
                world.instance,
                f"{prefix}{other[0]}{group[0]}",
                group=world.group.id,
                group_permissions=group,
                other_permissions=other,
                custom_publish=True,
            )
            seed = provisioner.publish(world.instance, name, {"seed": name})
            channels[(other, group)] = (name, seed["id"])
    return Matrix(prefix, channels)


def _allowed_read(operation: str, reply: Any, channel: str, seed: int) -> None:
    """The evidence of an allowed read: the channel, or its stored message."""
    if operation == "detail":
        expect.status(reply, 200)
        expect.check(expect.body_of(reply).get("name") == channel, f"the channel {channel}", reply)
    elif operation == "poll":
        expect.status(reply, 200)
        expect.check(expect.body_of(reply).get("id") == seed, f"the stored message {seed}", reply)
    else:
        expect.status(reply, 200)
        ids = [m.get("id") for m in expect.body_of(reply).get("objects", [])]
        expect.check(seed in ids, f"history holding the stored message {seed}", reply)


def _answer(reply: Reply) -> tuple[int, Any]:
    """What a refusal says: its status and (for an error) its body."""
    return reply.status, reply.json_or_none() if reply.status >= 400 else None


def _judged_as_the_key_alone(reply: Reply, alone: Reply, outcome: Outcome) -> None:
    """An unknown user key is ignored (AUTH-009): the answer is the one the key alone gets,
    whatever that is; that the key alone is refused is the rule of the cell's other ids."""
    key_rules = [i for i in outcome.ids if i != UNKNOWN_USER_KEY]
    expect.each(
        reply,
        [
            (
                UNKNOWN_USER_KEY,
                _answer(reply) == _answer(alone)
                and reply.json_or_none() != {"detail": protocol.NO_SUCH_KEY},
                f"the answer the key alone gets: {alone.status} {alone.text[:200]}",
            ),
            (
                key_rules,
                _answer(reply) == (403, {"detail": outcome.refusal}),
                f'403 with body {{"detail": "{outcome.refusal}"}}',
            ),
        ],
    )


def read(api: ChannelApi, operation: str, channel: str, principal: Any) -> Any:
    """Run a read operation of the table on one channel."""
    if operation == "detail":
        return api.detail(channel, principal)
    if operation == "poll":
        return api.poll(channel, principal, last_id=0)
    return api.history(channel, principal)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The decision table's cells with their expected outcomes, each marked with the ids it
    verifies, read from the run's requirement set."""
    if metafunc.definition.name == "test_decision_table":
        requirements = requirement_set(metafunc.config)
        outcomes = [(cell, expected(cell, requirements)) for cell in CELLS]
        metafunc.parametrize(
            ("cell", "outcome"),
            [
                pytest.param(c, o, id=c.id, marks=pytest.mark.requirement(*o.ids))
                for c, o in outcomes
            ],
        )


def test_decision_table(
    cell: Cell, outcome: Outcome, matrix: Matrix, api: ChannelApi, world: World
) -> None:
    """One cell of the core decision table. A cell's ids all describe its one expected answer,
    so a wrong answer breaks them all; only an unknown user key's cell judges AUTH-009 apart."""
    principal = world.principal(cell.principal)
    channel, seed = matrix.channel(cell.other, cell.group)
    if cell.operation == "list":
        names, reply = api.listed_names(principal, matrix.prefix)
        if outcome.refusal:
            expect.detail(reply, 403, outcome.refusal)
            return
        state = "listed" if outcome.listed else "not listed"
        expect.check(
            names is not None and (channel in names) == outcome.listed, f"{channel} {state}", reply
        )
        return

    def request(caller: Principal) -> Reply:
        if cell.operation == "publish":
            return api.publish(channel, caller, {"cell": cell.id})
        return read(api, cell.operation, channel, caller)

    reply = request(principal)
    if outcome.refusal and UNKNOWN_USER_KEY in outcome.ids:
        _judged_as_the_key_alone(reply, request(world.principal("key_without_user")), outcome)
    elif outcome.refusal:
        expect.detail(reply, 403, outcome.refusal)
    elif cell.operation == "publish":
        expect.status(reply, 201)
        expect.check(
            expect.body_of(reply).get("payload") == {"cell": cell.id},
            "the published payload",
            reply,
        )
    else:
        _allowed_read(cell.operation, reply, channel, seed)


@pytest.mark.parametrize(
    ("principal", "visible"),
    [
        pytest.param(
            "anon_read",
            ("subscribe", "publish"),
            id="anon_read",
            marks=pytest.mark.requirement("PERM-003"),
        ),
        pytest.param(
            "anon_read_user",
            ("subscribe", "publish"),
            id="anon_read_user",
            marks=pytest.mark.requirement("PERM-004"),
        ),
    ],
)
def test_anonymous_read_list(
    principal: str, visible: tuple[str, ...], matrix: Matrix, api: ChannelApi, world: World
) -> None:
    """An anonymous-read key lists exactly the channels others may subscribe to."""
    names, reply = api.listed_names(world.principal(principal), matrix.prefix)
    wanted = {name for (other, _), (name, _) in matrix.channels.items() if other in visible}
    expect.check(
        names == wanted, f"exactly {sorted(wanted)} listed, got {sorted(names or [])}", reply
    )


@pytest.mark.parametrize("other", ["subscribe", "publish"])
@pytest.mark.parametrize(
    "operation",
    [
        pytest.param("detail", marks=pytest.mark.requirement("PERM-010")),
        pytest.param("poll", marks=pytest.mark.requirement("PERM-011")),
        pytest.param("history", marks=pytest.mark.requirement("PERM-012")),
    ],
)
def test_anonymous_read_reads_open_channels(
    operation: str, other: str, matrix: Matrix, api: ChannelApi, world: World
) -> None:
    channel, seed = matrix.channel(other, "none")
    _allowed_read(
        operation, read(api, operation, channel, world.principal("anon_read")), channel, seed
    )


@pytest.mark.requirement("PERM-016")
@pytest.mark.parametrize("principal", ["anon_read", "anon_read_user"])
@pytest.mark.parametrize("operation", ["detail", "poll", "history"])
def test_anonymous_read_reads_closed_channels(
    operation: str, principal: str, matrix: Matrix, api: ChannelApi, world: World
) -> None:
    """Platform quirk: the anonymous-read flag opens reads of every channel."""
    channel, seed = matrix.channel("none", "none")
    _allowed_read(
        operation, read(api, operation, channel, world.principal(principal)), channel, seed
    )


@pytest.mark.requirement("PERM-017")
@pytest.mark.parametrize("operation", ["detail", "poll", "history"])
def test_anonymous_read_refused_on_closed_channels(
    operation: str, matrix: Matrix, api: ChannelApi, world: World
) -> None:
    """The documented rule: anonymous reads need other_permissions of subscribe or more."""
    channel, _ = matrix.channel("none", "none")
    expect.denied(read(api, operation, channel, world.principal("anon_read")))


@pytest.mark.parametrize(
    ("caller", "other"),
    [
        pytest.param("anon_read", "none", marks=pytest.mark.requirement("PERM-014")),
        pytest.param("anon_read", "subscribe", marks=pytest.mark.requirement("PERM-014")),
        pytest.param("anon_read", "publish", marks=pytest.mark.requirement("PERM-015")),
        pytest.param("anon_read_user", "none", marks=pytest.mark.requirement("PERM-046")),
        pytest.param("anon_read_user", "subscribe", marks=pytest.mark.requirement("PERM-046")),
    ],
)
def test_anonymous_read_key_cannot_publish(
    caller: str, other: str, matrix: Matrix, api: ChannelApi, world: World
) -> None:
    """Without a user (or with a user below publish) the anonymous-read flag gives no publish."""
    channel, _ = matrix.channel(other, "none")
    expect.denied(api.publish(channel, world.principal(caller), {"a": 1}))


@pytest.mark.requirement("PERM-024")
def test_user_publishes_through_anonymous_read_key(
    matrix: Matrix, api: ChannelApi, world: World
) -> None:
    channel, _ = matrix.channel("publish", "none")
    reply = api.publish(channel, world.principal("anon_read_user"), {"via": "anon key"})
    expect.status(reply, 201)


WRITES = ("create", "put", "patch", "delete")


def _write_rows() -> list[Any]:
    """(caller, write, allowed, refusal detail, ids): the channel is in the world's group with
    group_permissions subscribe and other_permissions none, so the member's L is subscribe and
    the non-member's L is none."""
    rows = []
    for write in WRITES:
        removal = write == "delete"
        rows += [
            ("ignore_acl", write, True, None, "PERM-007"),
            ("anon_read", write, False, protocol.PERMISSION_DENIED, "PERM-013"),
            ("key_without_user", write, False, protocol.PERMISSION_DENIED, "PERM-036"),
            ("no_key", write, False, protocol.PERMISSION_DENIED, "PERM-038"),
            ("invalid_key", write, False, protocol.NO_SUCH_KEY, "AUTH-001"),
        ]
        if write == "create":
            rows += [
                ("member", write, False, protocol.PERMISSION_DENIED, "PERM-032"),
                ("member", write, True, None, "PERM-031"),
            ]
            continue
        rows += [
            (
                "non_member",
                write,
                False,
                protocol.PERMISSION_DENIED,
                "PERM-028" if removal else "PERM-027",
            ),
            ("anon_read_user", write, False, protocol.PERMISSION_DENIED, "PERM-047"),
            ("member", write, False, protocol.PERMISSION_DENIED, "PERM-033"),
            ("member", write, True, None, "PERM-030" if removal else "PERM-029"),
        ]
    return [
        pytest.param(
            caller,
            write,
            allowed,
            refusal,
            id=f"{write}-{caller}-{'allowed' if allowed else 'refused'}",
            marks=pytest.mark.requirement(req),
        )
        for caller, write, allowed, refusal, req in rows
    ]


@pytest.mark.parametrize(("caller", "write", "allowed", "refusal"), _write_rows())
def test_channel_writes(
    caller: str,
    write: str,
    allowed: bool,
    refusal: str | None,
    api: ChannelApi,
    world: World,
    new_channel: Any,
) -> None:
    """Who may create, update and delete channels; a refused write changes nothing."""
    principal = world.principal(caller)
    admin = world.admin
    if write == "create":
        name = unique_name()
        reply = api.create(principal, {"name": name})
        if allowed:
            expect.status(reply, 201)
        else:
            expect.detail(reply, 403, refusal or "")
            expect.status(api.detail(name, admin), 404)
        return
    channel = new_channel(
        description="before",
        group=world.group.id,
        group_permissions="subscribe",
        other_permissions="none",
    )
    if write == "delete":
        reply = api.delete(channel, principal)
        after = api.detail(channel, admin)
        if allowed:
            expect.status(reply, 204)
            expect.status(after, 404)
        else:
            expect.detail(reply, 403, refusal or "")
            expect.status(after, 200)
        return
    body = {"description": "after"}
    if write == "put":
        body |= {
            "group": world.group.id,
            "group_permissions": "subscribe",
            "other_permissions": "none",
            "custom_publish": False,
        }
    reply = api.update(write.upper(), channel, principal, body)
    if allowed:
        expect.status(reply, 200)
    else:
        expect.detail(reply, 403, refusal or "")
    after = expect.body_of(expect.status(api.detail(channel, admin), 200))
    wanted = "after" if allowed else "before"
    expect.check(
        after.get("description") == wanted,
        f"description {wanted!r} afterwards",
        api.detail(channel, admin),
    )


@pytest.mark.requirement("PERM-042")
def test_group_permissions_without_group_grant_nothing(
    api: ChannelApi, world: World, new_channel: Any
) -> None:
    channel = new_channel(
        group_permissions="publish", other_permissions="none", custom_publish=True
    )
    member = world.principal("member")
    expect.denied(api.detail(channel, member))
    expect.denied(api.publish(channel, member, {"a": 1}))


@pytest.mark.requirement("PERM-045")
def test_membership_change_takes_effect_at_once(
    api: ChannelApi, world: World, provisioner: Provisioner, new_channel: Any
) -> None:
    group = provisioner.create_group(world.instance)
    user = provisioner.create_user(world.instance)
    provisioner.add_member(world.instance, group, user)
    channel = new_channel(
        group=group.id, group_permissions="subscribe", other_permissions="none", custom_publish=True
    )
    seed = api.published(channel, world.admin, {"seed": 1})
    caller = world.plain.principal("key without user").with_user(
        "user whose membership changes", user.user_key
    )
    _allowed_read("poll", api.poll(channel, caller, last_id=0), channel, seed["id"])
    provisioner.remove_member(world.instance, group, user)
    expect.denied(api.poll(channel, caller, last_id=0))
    expect.denied(api.detail(channel, caller))
    provisioner.add_member(world.instance, group, user)
    _allowed_read("detail", api.detail(channel, caller), channel, seed["id"])
    _allowed_read("poll", api.poll(channel, caller, last_id=0), channel, seed["id"])
