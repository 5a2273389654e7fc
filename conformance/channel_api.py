"""The channel operations the checks use, bound to one instance, and the multi-step sequences
several checks share (walking cursor pages, a poll woken by a publish)."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from conformance import expect
from conformance.client import Client, Paths, Principal, Reply

MISSING: Any = object()
SETTLE = 0.3
SCENARIO_TRIES = 5


class ChannelApi:
    """Channel, publish, poll and history calls of one instance."""

    def __init__(
        self,
        client: Client,
        paths: Paths,
        poll_timeout: float | None,
        max_wait: float,
        created: list[str] | None = None,
    ):
        self.client = client
        self.paths = paths
        self.created = created if created is not None else []
        self.poll_timeout = poll_timeout
        self.wait_timeout = (poll_timeout if poll_timeout is not None else max_wait) + 10

    def create(self, principal: Principal, body: Any) -> Reply:
        """POST /channels/; a created channel is remembered for clean-up."""
        reply = self.client.post(self.paths.channels, principal, json_body=body)
        if reply.status == 201 and isinstance(reply.json_or_none(), dict):
            self.created.append(reply.json()["name"])
        return reply

    def detail(self, channel: str, principal: Principal, **params: Any) -> Reply:
        return self.client.get(self.paths.channel(channel), principal, params=params or None)

    def update(
        self, method: str, channel: str, principal: Principal, body: dict[str, Any]
    ) -> Reply:
        return self.client.request(method, self.paths.channel(channel), principal, json_body=body)

    def delete(self, channel: str, principal: Principal) -> Reply:
        return self.client.delete(self.paths.channel(channel), principal)

    def list(self, principal: Principal, **params: Any) -> Reply:
        return self.client.get(self.paths.channels, principal, params=params or None)

    def publish(
        self, channel: str, principal: Principal, payload: Any = MISSING, room: Any = MISSING
    ) -> Reply:
        body: dict[str, Any] = {}
        if payload is not MISSING:
            body["payload"] = payload
        if room is not MISSING:
            body["room"] = room
        return self.client.post(self.paths.publish(channel), principal, json_body=body)

    def poll(
        self,
        channel: str,
        principal: Principal,
        last_id: Any = None,
        room: str | None = None,
        timeout: float | None = None,
        **params: Any,
    ) -> Reply:
        """One poll; ``timeout`` is how long the client waits for the whole answer (the
        client's request deadline unless the poll may wait)."""
        query = dict(params)
        if last_id is not None:
            query["last_id"] = last_id
        if room is not None:
            query["room"] = room
        return self.client.get(self.paths.poll(channel), principal, params=query, timeout=timeout)

    def history(self, channel: str, principal: Principal, **params: Any) -> Reply:
        return self.client.get(self.paths.history(channel), principal, params=params or None)

    def history_item(
        self, channel: str, message_id: Any, principal: Principal, **params: Any
    ) -> Reply:
        return self.client.get(
            self.paths.history_item(channel, message_id), principal, params=params or None
        )

    def published(
        self, channel: str, principal: Principal, payload: Any, room: Any = MISSING
    ) -> dict[str, Any]:
        """Publish and return the message; fails the check unless the target answers 201."""
        reply = self.publish(channel, principal, payload, room)
        expect.status(reply, 201)
        return expect.body_of(reply)

    def follow(self, link: str, principal: Principal, keep: dict[str, Any]) -> Reply:
        """GET a cursor link (a relative path), adding back query parameters it dropped."""
        parts = urlsplit(link)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        for name, value in keep.items():
            query.setdefault(name, str(value))
        return self.client.get(f"{parts.path}?{urlencode(query)}", principal)

    def walk(
        self,
        first: Reply,
        principal: Principal,
        keep: dict[str, Any],
        limit: int = 200,
        req: expect.Req = None,
    ) -> tuple[list[dict[str, Any]], list[Reply]]:
        """Every object of a paginated listing, following ``next`` from ``first``; a page that
        is not one fails ``req``."""
        replies = [first]
        objects: list[dict[str, Any]] = []
        reply = first
        while True:
            expect.status(reply, 200, req)
            page = expect.body_of(reply, req)
            expect.check(
                isinstance(page, dict) and isinstance(page.get("objects"), list),
                'a page {"next", "prev", "objects": [...]}',
                reply,
                req,
            )
            objects.extend(page["objects"])
            link = page.get("next")
            if not link or len(replies) >= limit:
                return objects, replies
            reply = self.follow(link, principal, keep)
            replies.append(reply)

    def listed_names(self, principal: Principal, prefix: str) -> tuple[set[str] | None, Reply]:
        """Names of the listed channels that start with ``prefix`` (None when the list is
        refused). The filter is also applied here, so a target without it still works."""
        keep = {"name__startswith": prefix, "page_size": 100}
        first = self.list(principal, **keep)
        if first.status != 200:
            return None, first
        objects, _ = self.walk(first, principal, keep)
        return {o.get("name") for o in objects if str(o.get("name", "")).startswith(prefix)}, first


def while_polling(
    api: ChannelApi,
    channel: str,
    principal: Principal,
    action: Callable[[], Any],
    last_id: Any = None,
    room: str | None = None,
    pollers: int = 1,
) -> tuple[list[Reply], Any]:
    """Start ``pollers`` polls, let them settle into waiting, run ``action`` (typically a
    publish) and return the poll replies and the action's result.

    The whole scenario is run again when it proved nothing: a poll without last_id that the
    target throttled (429) was sent again later and may have missed the action, and a poll
    that timed out before the action even returned (its requests waited out 429s) could not
    have seen it."""
    for _ in range(SCENARIO_TRIES):
        with ThreadPoolExecutor(max_workers=pollers) as pool:
            futures = [
                pool.submit(api.poll, channel, principal, last_id, room, api.wait_timeout)
                for _ in range(pollers)
            ]
            time.sleep(SETTLE)
            result = action()
            acted_at = time.monotonic()
            replies = [future.result() for future in futures]
        missed = last_id is None and any(reply.throttled for reply in replies)
        if not missed and not any(r.status == 204 and r.received_at < acted_at for r in replies):
            break
    return replies, result


def woken(api: ChannelApi, reply: Reply, message_id: int, what: str) -> dict[str, Any]:
    """A waiting poll's answer: 200 with the expected message, released by the publish rather
    than at the poll timeout (checked when the target's timeout is known)."""
    expect.status(reply, 200)
    message = expect.body_of(reply)
    got = message.get("id") if isinstance(message, dict) else None
    expect.check(got == message_id, f"{what}: message {message_id}", reply)
    if api.poll_timeout is not None:
        waited = reply.received_at - reply.sent_at
        expect.check(
            waited < api.poll_timeout,
            f"released by the publish, before the {api.poll_timeout:g} s poll timeout "
            f"(answered after {waited:.2f} s)",
            reply,
        )
    return message
