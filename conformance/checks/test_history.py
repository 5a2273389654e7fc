"""History (area HIST): envelope, ordering, last_id, cursor pagination, room rules, detail."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from conformance import expect, shapes
from conformance.channel_api import MISSING, ChannelApi
from conformance.client import ANONYMOUS, Reply
from conformance.fixtures import World
from spec import protocol

BAD_PAGE = "Incorrect page parameter provided."


def _page(reply: Reply, req: expect.Req = None) -> dict[str, Any]:
    expect.status(reply, 200, req)
    page = expect.body_of(reply, req)
    expect.check(
        isinstance(page, dict)
        and set(page) == {"next", "prev", "objects"}
        and isinstance(page["objects"], list),
        'exactly {"next", "prev", "objects": [...]}',
        reply,
        req,
    )
    return page


def _ids(reply: Reply) -> list[int]:
    return [m.get("id") for m in _page(reply)["objects"]]


def _publish_many(
    api: ChannelApi, world: World, channel: str, count: int, room: Any = MISSING
) -> list[int]:
    return [api.published(channel, world.admin, {"n": n}, room)["id"] for n in range(count)]


@pytest.mark.requirement("HIST-001", "HIST-006")
def test_history_envelope_and_items(api: ChannelApi, world: World, chat: str) -> None:
    _publish_many(api, world, chat, 2)
    reply = api.history(chat, world.admin)
    page = _page(reply, "HIST-001")
    expect.check(
        len(page["objects"]) == 2 and page["next"] is None and page["prev"] is None,
        "2 messages, next and prev null",
        reply,
        "HIST-001",
    )
    for message in page["objects"]:
        shapes.check_message(
            message, reply, links_to=(api.paths, chat), req="HIST-001", parts={"links": "HIST-006"}
        )


@pytest.mark.parametrize(
    ("params", "order"),
    [
        pytest.param({}, "desc", id="default", marks=pytest.mark.requirement("HIST-002")),
        pytest.param(
            {"ordering": "desc"}, "desc", id="desc", marks=pytest.mark.requirement("HIST-002")
        ),
        pytest.param(
            {"ordering": "asc"}, "asc", id="asc", marks=pytest.mark.requirement("HIST-003")
        ),
        pytest.param(
            {"ordering": "ASC"}, "asc", id="ASC", marks=pytest.mark.requirement("HIST-003")
        ),
    ],
)
def test_history_ordering(
    params: dict[str, str], order: str, api: ChannelApi, world: World, chat: str
) -> None:
    ids = _publish_many(api, world, chat, 4)
    wanted = ids if order == "asc" else ids[::-1]
    reply = api.history(chat, world.admin, **params)
    expect.check(_ids(reply) == wanted, f"{wanted} ({order})", reply)


@pytest.mark.requirement("HIST-004")
@pytest.mark.parametrize("ordering", ["desc", "asc"])
def test_history_last_id_is_exclusive(
    ordering: str, api: ChannelApi, world: World, chat: str
) -> None:
    first, second, third = _publish_many(api, world, chat, 3)
    wanted = [third, second] if ordering == "desc" else [second, third]
    reply = api.history(chat, world.admin, last_id=first, ordering=ordering)
    expect.check(_ids(reply) == wanted, f"only the messages after {first}: {wanted}", reply)


@pytest.mark.requirement("HIST-005")
def test_history_ignores_a_non_integer_last_id(api: ChannelApi, world: World, chat: str) -> None:
    ids = _publish_many(api, world, chat, 2)
    reply = api.history(chat, world.admin, last_id="abc")
    expect.check(_ids(reply) == ids[::-1], "200, unfiltered", reply)


@pytest.mark.requirement("HIST-007", "HIST-009")
def test_history_page_size_and_next(api: ChannelApi, world: World, chat: str) -> None:
    """Page sizes and next links are HIST-007's; what following next walks through, HIST-009's."""
    published = _publish_many(api, world, chat, 5)
    reply = api.history(chat, world.admin, page_size=2)
    seen: list[Any] = []
    page_req = "HIST-007"  # the first page answers the page_size request; the others, next
    while True:
        page = _page(reply, page_req)
        seen += [m.get("id") for m in page["objects"]]
        full = len(page["objects"]) == 2
        expect.check(
            len(page["objects"]) <= 2 and (page["next"] is not None) == full,
            "at most 2 messages, next set exactly when the page is full",
            reply,
            "HIST-007",
        )
        if not page["next"]:
            break
        expect.check(
            page["next"].startswith("/v1.1/"), "next is a relative /v1.1/ path", reply, "HIST-009"
        )
        reply = api.follow(page["next"], world.admin, {})
        page_req = "HIST-009"
    wanted = published[::-1]
    expect.check(
        seen == wanted, f"{wanted} in order, without repeats or gaps, got {seen}", reply, "HIST-009"
    )


@pytest.mark.requirement("HIST-008")
def test_history_cursor_links_drop_room_and_last_id(
    api: ChannelApi, world: World, rooms: str
) -> None:
    ids = _publish_many(api, world, rooms, 4, "r1")
    reply = api.history(
        rooms, world.admin, room="r1", last_id=ids[0] - 1, page_size=2, ordering="asc"
    )
    link = _page(reply)["next"]
    expect.check(link, "a next link", reply)
    query = parse_qs(urlsplit(link).query)
    expect.check(
        "room" not in query and "last_id" not in query, "next without room and last_id", reply
    )
    expect.check(
        query.get("page_size") == ["2"] and query.get("ordering") == ["asc"],
        "next keeping page_size and ordering",
        reply,
    )


@pytest.mark.requirement("HIST-009")
@pytest.mark.parametrize("ordering", ["desc", "asc"])
@pytest.mark.parametrize("kind", ["default", "separate_rooms"])
def test_history_pagination_neither_skips_nor_repeats(
    kind: str, ordering: str, api: ChannelApi, world: World, new_channel: Any
) -> None:
    channel = new_channel(type=kind, custom_publish=True)
    room = "r1" if kind == "separate_rooms" else MISSING
    ids = _publish_many(api, world, channel, 7, room)
    keep = {"room": room} if room is not MISSING else {}
    first = api.history(channel, world.admin, page_size=3, ordering=ordering, **keep)
    objects, replies = api.walk(first, world.admin, keep)
    seen = [m.get("id") for m in objects]
    wanted = ids if ordering == "asc" else ids[::-1]
    expect.check(seen == wanted, f"{wanted} over the pages, got {seen}", replies[-1])
    expect.check(len(replies) == 3, f"3 pages, got {len(replies)}", replies[-1])


@pytest.mark.requirement("HIST-010")
def test_history_page_size_is_capped_at_100(api: ChannelApi, world: World, chat: str) -> None:
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: api.published(chat, world.admin, {"n": n}), range(101)))
    reply = api.history(chat, world.admin, page_size=1000)
    page = _page(reply)
    expect.check(
        len(page["objects"]) == 100 and page["next"], "100 messages and a next link", reply
    )


@pytest.mark.requirement("HIST-011")
@pytest.mark.parametrize("page_size", ["abc", "-1"])
def test_history_rejects_bad_page_size(
    page_size: str, api: ChannelApi, world: World, chat: str
) -> None:
    expect.detail(api.history(chat, world.admin, page_size=page_size), 400, BAD_PAGE)


@pytest.mark.parametrize(
    "caller",
    [
        pytest.param("member", marks=pytest.mark.requirement("HIST-012")),
        pytest.param("non_member", marks=pytest.mark.requirement("HIST-012")),
        pytest.param("admin", marks=pytest.mark.requirement("HIST-013")),
        pytest.param("ignore_acl", marks=pytest.mark.requirement("HIST-013")),
    ],
)
def test_history_of_separate_rooms_needs_a_room(
    caller: str, api: ChannelApi, world: World, new_channel: Any
) -> None:
    channel = new_channel(type="separate_rooms", custom_publish=True, other_permissions="subscribe")
    api.published(channel, world.admin, {"r": 1}, "r1")
    expect.json_reply(api.history(channel, world.principal(caller)), 400, expect.ROOM_REQUIRED_BODY)


@pytest.mark.requirement("HIST-014", "HIST-022")
def test_history_detail(api: ChannelApi, world: World, chat: str) -> None:
    published = api.published(chat, world.admin, {"d": 1})
    reply = api.history_item(chat, published["id"], world.admin)
    expect.each(
        reply,
        [
            ("HIST-014", reply.status == 200, "status 200 with the message"),
            # A message not found at once may be missing from history, or the detail broken.
            ("HIST-022", reply.status != 404, "the message in history once its publish answered"),
        ],
    )
    body = expect.body_of(reply, "HIST-014")
    message = shapes.check_message(body, reply, links_to=(api.paths, chat), req="HIST-014")
    expect.check(message == published, f"the published message {published}", reply, "HIST-014")


@pytest.mark.requirement("HIST-015")
@pytest.mark.parametrize("message_id", ["999999999", "abc"])
def test_history_detail_of_unknown_message(
    message_id: str, api: ChannelApi, world: World, chat: str
) -> None:
    api.published(chat, world.admin, {"d": 1})
    expect.detail(api.history_item(chat, message_id, world.admin), 404, protocol.NOT_FOUND)


@pytest.mark.requirement("HIST-016")
def test_history_detail_of_separate_rooms_needs_a_room(
    api: ChannelApi, world: World, rooms: str
) -> None:
    message = api.published(rooms, world.admin, {"r": 1}, "r1")
    expect.json_reply(
        api.history_item(rooms, message["id"], world.admin), 400, expect.ROOM_REQUIRED_BODY
    )


@pytest.mark.parametrize(
    "caller",
    [
        pytest.param("admin", marks=pytest.mark.requirement("HIST-017")),
        pytest.param("no_key", marks=pytest.mark.requirement("HIST-018")),
        pytest.param("invalid_key", marks=pytest.mark.requirement("HIST-018")),
    ],
)
def test_history_of_unknown_channel(caller: str, api: ChannelApi, world: World) -> None:
    principal = ANONYMOUS if caller == "no_key" else world.principal(caller)
    expect.detail(api.history("no-such-channel", principal), 404, protocol.CHANNEL_NOT_FOUND)


@pytest.mark.requirement("HIST-019")
def test_recreated_channel_has_empty_history(api: ChannelApi, world: World, chat: str) -> None:
    _publish_many(api, world, chat, 2)
    expect.status(api.delete(chat, world.admin), 204)
    expect.status(api.create(world.admin, {"name": chat, "custom_publish": True}), 201)
    reply = api.history(chat, world.admin)
    expect.check(_ids(reply) == [], "an empty history", reply)


@pytest.mark.requirement("HIST-020")
def test_history_prev_leads_back(api: ChannelApi, world: World, chat: str) -> None:
    _publish_many(api, world, chat, 5)
    first = api.history(chat, world.admin, page_size=2)
    first_page = _page(first)
    expect.check(first_page["prev"] is None, "prev null on the first page", first)
    second = api.follow(first_page["next"], world.admin, {})
    prev = _page(second)["prev"]
    expect.check(prev, "a prev link on the second page", second)
    back = api.follow(prev, world.admin, {})
    expect.check(_ids(back) == _ids(first), f"prev returns the first page {_ids(first)}", back)
