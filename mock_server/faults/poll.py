"""Faults of the poller seam: subclasses of ``Poller``, changing how a poll waits or how a
WebSocket session starts."""

from __future__ import annotations

import time

from flask import Response

from mock_server.api.base import Call
from mock_server.api.messages import Poller, long_poll
from mock_server.faults.declare import declare
from mock_server.models import Channel, Instance, Message
from mock_server.store import Subscription


# POLL
@declare(
    "poll-not-waiting",
    "POLL-004",
    "A poll with nothing to return answers 204 at once instead of waiting.",
)
class PollNotWaiting(Poller):
    def wait(
        self, inst: Instance, channel: Channel, room: str | None, last_id: int | None
    ) -> Message | None:
        return None


@declare(
    "poll-timeout-answers-newest",
    "POLL-005",
    "A poll that times out answers 200 with the newest stored message of its channel "
    "(room) instead of 204.",
)
class PollTimeoutAnswersNewest(Poller):
    def wait(
        self, inst: Instance, channel: Channel, room: str | None, last_id: int | None
    ) -> Message | None:
        message = super().wait(inst, channel, room, last_id)
        if message is not None:
            return message
        newest = self.store.messages(
            inst, channel, room, min_id=None, max_id=None, ascending=False, limit=1
        )
        return newest[0] if newest else None


@declare(
    "poll-woken-at-timeout",
    "POLL-006",
    "A poll with last_id sleeps for the whole poll timeout and then looks for a message, "
    "so a publish does not wake it.",
)
class PollWokenAtTimeout(Poller):
    def wait(
        self, inst: Instance, channel: Channel, room: str | None, last_id: int | None
    ) -> Message | None:
        if last_id is None:
            return super().wait(inst, channel, room, last_id)
        subscription = self.store.subscribe(inst, channel, room, last_id, capacity=1)
        try:
            time.sleep(self.timeout)
            return subscription.take(0)
        finally:
            self.store.unsubscribe(subscription)


# WS
@declare(
    "websocket-skips-stored",
    "WS-002",
    "A WebSocket session ignores last_id and sends live messages only.",
)
class WebsocketSkipsStored(Poller):
    def session(
        self, inst: Instance, channel: Channel, room: str | None, last_id: int | None
    ) -> Subscription:
        return super().session(inst, channel, room, None)


@declare(
    "websocket-plain-request-polls",
    "WS-005",
    "transport=websocket without a WebSocket handshake is served as an ordinary long "
    "poll instead of 400.",
)
class WebsocketPlainRequestPolls(Poller):
    def without_handshake(
        self, call: Call, channel: Channel, room: str | None, last_id: int | None
    ) -> Response:
        return long_poll(call, channel, room, last_id)
