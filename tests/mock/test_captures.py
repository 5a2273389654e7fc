"""The golden exchanges: every capture run replayed against an in-process mock.

Under ``--compat platform`` the mock must answer each exchange as the platform did (status,
body, headers; keys, datetimes and global ids mapped). Under ``--compat core`` the same holds
except for the quirk cells, which are listed below with the answer core mode gives instead.
Every exchange the mock deliberately does not match is listed with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

import pytest

from tests.mock.replay import Exchange, Outcome, Replayer, Run, load_runs

RUNS = load_runs()
SKIPPED_RUNS = {
    6: "throttling run: its exchanges are single requests out of concurrent bursts inside one "
    "wall-clock second against a 60/s plan; throttling is off by default and is checked by "
    "test_throttle.py instead",
}
REPLAYED_RUNS = sorted(set(RUNS) - set(SKIPPED_RUNS))
NOT_SENT = {
    "register_admin": "account registration is optional and not served: the mock's admin is "
    "the CLI account key (the captured admin's key and id are mapped to it)",
}
WEBSOCKET_SESSION = (
    "WebSocket sessions (101) need a real socket: test_websocket.py checks "
    "them against the served mock; their HTTP refusals are replayed here"
)
FILLERS = {
    # The capture recorded only the first and the last of these publishes (see its notes).
    (4, "publish_bulk_100"): 99,
    (7, "publish_many_104"): 103,
}
V1_1 = (
    "the mock serves /v1/ and /v1.1/ only (/v2/ is an ACL-based API outside the reference); "
    "the publish is replayed under /v1.1/ to keep the ids in step"
)
EMPTY_IS_ABSENT = "core: empty query parameters count as absent (issue #3), ?room= on history too"
OPTIONS_ACTIONS = "OPTIONS describes actions from the request schemas, not DRF field metadata"
Q_ANON_READ = (
    "PERM-016 core: an anonymous-read key reads only channels with other_permissions >= subscribe"
)
Q_ROOM_CASE = "ROOM-005 core: rooms fold to lowercase everywhere, so 'Lobby' wakes 'lobby'"
DEFAULT_ROOM = "core: a room on a default channel is ignored, as publish and poll ignore it"
SCOPED_DETAIL = "HIST-014 core: history detail is scoped to the channel"


@dataclass(frozen=True)
class Deviation:
    """An exchange the mock answers otherwise on purpose, and the answer it gives instead."""

    reason: str
    expect: Callable[[Outcome], bool]
    realign: str | None = None


def status(code: int) -> Callable[[Outcome], bool]:
    return lambda outcome: outcome.status == code


def listing(non_empty: bool) -> Callable[[Outcome], bool]:
    return lambda o: o.status == 200 and bool(o.body["objects"]) is non_empty


def metadata_named(outcome: Outcome) -> bool:
    expected = outcome.exchange.response["body"]
    return (
        outcome.status == 200
        and outcome.body["name"] == expected["name"]
        and set(outcome.body.get("actions", {})) == set(expected.get("actions", {}))
    )


def woken(outcome: Outcome) -> bool:
    return outcome.status == 200 and "X-Last-Id" in outcome.headers


PLATFORM_DEVIATIONS = {
    (2, "publish_v2"): Deviation(V1_1, status(404), realign="/v2/"),
    (2, "history_v2"): Deviation(V1_1, status(404)),
    (2, "poll_v2_existing"): Deviation(V1_1, status(404)),
    (2, "options_channel_detail_admin"): Deviation(OPTIONS_ACTIONS, metadata_named),
    (7, "options_publish_admin"): Deviation(OPTIONS_ACTIONS, metadata_named),
    (7, "options_publish_member"): Deviation(OPTIONS_ACTIONS, metadata_named),
}
CORE_DEVIATIONS = {
    **PLATFORM_DEVIATIONS,
    (7, "history_rooms_empty_room_param"): Deviation(EMPTY_IS_ABSENT, status(400)),
    (7, "history_detail_rooms_empty_room_param"): Deviation(EMPTY_IS_ABSENT, status(400)),
    (7, "history_chat_with_empty_room"): Deviation(EMPTY_IS_ABSENT, listing(non_empty=True)),
    (2, "poll_anon_read_key_private"): Deviation(Q_ANON_READ, status(403)),
    (2, "history_anon_read_key_private"): Deviation(Q_ANON_READ, status(403)),
    (7, "get_channel_private_anon_read_key"): Deviation(Q_ANON_READ, status(403)),
    (7, "poll_private_anon_read_key_last_id_0"): Deviation(Q_ANON_READ, status(403)),
    (7, "poll_wait_private_anon_read_key"): Deviation(Q_ANON_READ, status(403)),
    (7, "history_private_anon_read_key"): Deviation(Q_ANON_READ, status(403)),
    (5, "poll_wait_lobby_dataobject_room_Lobby"): Deviation(Q_ROOM_CASE, woken),
    (7, "poll_wait_lobby_publish_Lobby"): Deviation(Q_ROOM_CASE, woken),
    (2, "history_room_param_on_default_channel"): Deviation(DEFAULT_ROOM, listing(True)),
    (7, "history_chat_with_room"): Deviation(DEFAULT_ROOM, listing(True)),
    (7, "history_detail_temp_old_message_after_recreate"): Deviation(SCOPED_DETAIL, status(404)),
}
DEVIATIONS = {"platform": PLATFORM_DEVIATIONS, "core": CORE_DEVIATIONS}


def trigger_of(run: Run, poll: Exchange) -> Exchange:
    """The write that answered a woken poll: the one its note names, else the publish that
    created the message it got."""
    named = [
        e
        for e in run.exchanges
        if e is not poll and re.search(rf"\b{re.escape(e.name)}\b", poll.note)
    ]
    if named:
        return max(named, key=lambda e: len(e.name))
    last_id = int(poll.response["headers"]["X-Last-Id"])
    return next(
        e
        for e in run.exchanges
        if e.is_write and e.response["status"] == 201 and e.response["body"].get("id") == last_id
    )


def channel_and_room(exchange: Exchange) -> tuple[str, str | None]:
    """The channel path and the (lowercased) room an exchange publishes or polls on."""
    path, _, query = exchange.path.partition("?")
    channel = path.rsplit("/", 2)[0]
    if exchange.method == "GET":
        room = dict(parse_qsl(query)).get("room")
    else:
        body = exchange.request.get("body")
        room = body.get("room") if isinstance(body, dict) else None
    return channel, room.lower() if room else None


def could_wake(write: Exchange, poll: Exchange) -> bool:
    """Whether a write's message would answer a poll (same channel and room)."""
    return write.response["status"] == 201 and channel_and_room(write) == channel_and_room(poll)


def plan(run: Run) -> list[tuple[list[Exchange], list[Exchange]]]:
    """The replay steps: (parked polls, writes) groups, or ([], [one exchange])."""
    groups: dict[int, tuple[list[Exchange], list[Exchange]]] = {}
    grouped: set[int] = set()
    for poll in (e for e in run.exchanges if e.woken_poll):
        trigger = trigger_of(run, poll)
        start = trigger.index
        if trigger.index < poll.index:
            while (
                start > 0
                and run.exchanges[start - 1].is_write
                and not could_wake(run.exchanges[start - 1], poll)
            ):
                start -= 1
        polls, writes = groups.setdefault(start, ([], run.exchanges[start : trigger.index + 1]))
        polls.append(poll)
        grouped.update([poll.index, *(w.index for w in writes)])
    steps: list[tuple[list[Exchange], list[Exchange]]] = []
    for exchange in run.exchanges:
        if exchange.index in groups:
            steps.append(groups[exchange.index])
        elif exchange.index not in grouped:
            steps.append(([], [exchange]))
    return steps


@dataclass
class Report:
    """What one replay did."""

    outcomes: list[Outcome]
    not_sent: dict[str, str]


def replay(run: Run, compat: str) -> Report:
    """Replay a run in order against a fresh app."""
    replayer = Replayer(compat)
    deviations = DEVIATIONS[compat]
    report = Report([], {})
    for polls, writes in plan(run):
        if polls:
            report.outcomes += replayer.parked(polls, writes)
            continue
        exchange = writes[0]
        if exchange.name in NOT_SENT:
            replayer.adopt_admin(exchange)
            report.not_sent[exchange.name] = NOT_SENT[exchange.name]
            continue
        if exchange.websocket and exchange.response["status"] == 101:
            report.not_sent[exchange.name] = WEBSOCKET_SESSION
            continue
        for number in range(1, FILLERS.get((run.number, exchange.name), 0) + 1):
            filler = replayer.publish_filler(exchange, {"payload": {"i": number}})
            assert filler.status_code == 201, f"filler publish {number} of {exchange.name}"
        report.outcomes.append(replayer.outcome(exchange, replayer.send(exchange)))
        deviation = deviations.get((run.number, exchange.name))
        if deviation is not None and deviation.realign:
            replayer.send(exchange, exchange.path.replace(deviation.realign, "/v1.1/"))
    return report


def failures(report: Report, run: Run, compat: str) -> list[str]:
    """Exchanges answered unlike the capture (and not listed), or unlike their listing."""
    found = []
    deviations = DEVIATIONS[compat]
    for outcome in report.outcomes:
        exchange = outcome.exchange
        deviation = deviations.get((run.number, exchange.name))
        if deviation is not None:
            if not deviation.expect(outcome):
                found.append(
                    f"{exchange.name}: listed deviation not met ({deviation.reason}): "
                    f"{outcome.status} {str(outcome.body)[:300]}"
                )
        elif outcome.differences:
            found.append(
                f"{exchange.name} ({exchange.method} {exchange.path}): "
                + "; ".join(outcome.differences)
            )
    return found


@pytest.mark.parametrize("compat", ["platform", "core"])
@pytest.mark.parametrize("run_number", REPLAYED_RUNS)
def test_capture_run_replays(run_number: int, compat: str) -> None:
    run = RUNS[run_number]
    report = replay(run, compat)
    problems = failures(report, run, compat)
    assert not problems, f"run {run_number} ({run.description}):\n" + "\n".join(problems)
    replayed = len(report.outcomes)
    assert replayed + len(report.not_sent) == len(run.exchanges)


def test_deviation_lists_name_real_exchanges() -> None:
    names = {(run.number, e.name) for run in RUNS.values() for e in run.exchanges}
    listed = set(CORE_DEVIATIONS) | set(FILLERS)
    assert listed <= names, sorted(listed - names)


def test_most_exchanges_are_replayed() -> None:
    total = sum(len(RUNS[n].exchanges) for n in REPLAYED_RUNS)
    websocket = sum(
        1
        for n in REPLAYED_RUNS
        for e in RUNS[n].exchanges
        if e.websocket and e.response["status"] == 101
    )
    registered = sum(1 for n in REPLAYED_RUNS for e in RUNS[n].exchanges if e.name in NOT_SENT)
    compared = total - websocket - registered - len(PLATFORM_DEVIATIONS)
    assert compared / sum(len(r.exchanges) for r in RUNS.values()) > 0.75
