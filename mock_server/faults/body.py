"""Faults of the request-body seam: subclasses of ``RequestBody``, replacing its size gate or
the media type it parses the body as."""

from __future__ import annotations

from mock_server.faults.declare import declare
from mock_server.parsing import JSON_TYPES, RequestBody


# PUB
@declare(
    "publish-limit-off-by-one",
    "PUB-002",
    "The size gate refuses a body of exactly 65536 bytes (>= instead of >).",
)
class PublishLimitOffByOne(RequestBody):
    def exceeds(self, limit: int) -> bool:
        return super().exceeds(limit - 1)


# ERR
@declare(
    "empty-content-type-as-json",
    "ERR-006",
    "A body with an empty Content-Type is parsed as JSON instead of being refused with 415.",
)
class EmptyContentTypeAsJson(RequestBody):
    def media_type(self) -> str:
        return super().media_type() or JSON_TYPES[0]
