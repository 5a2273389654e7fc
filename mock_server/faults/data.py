"""Faults of the data-object-messages seam: subclasses of ``ObjectMessages``, changing what
the message of a data-object write carries or whether it is published."""

from __future__ import annotations

from typing import Any

from mock_server.api.base import Call
from mock_server.api.data import ObjectMessages
from mock_server.faults.declare import declare
from mock_server.models import DataObject
from mock_server.representations import object_payload


@declare(
    "data-update-whole-object",
    "DATA-003",
    "The update message of a data object carries the whole object, not only the "
    "changed fields and the id.",
)
class DataUpdateWholeObject(ObjectMessages):
    def update_payload(self, base: str, obj: DataObject, changed: list[str]) -> dict[str, Any]:
        return object_payload(base, obj)


@declare(
    "data-delete-whole-object",
    "DATA-004",
    "The delete message of a data object carries the whole object instead of its id alone.",
)
class DataDeleteWholeObject(ObjectMessages):
    def delete_payload(self, base: str, obj: DataObject) -> dict[str, Any]:
        return object_payload(base, obj)


@declare(
    "data-needs-custom-publish",
    "DATA-014",
    "Data-object messages go through the custom publish path and are dropped on "
    "channels whose custom_publish is false.",
)
class DataNeedsCustomPublish(ObjectMessages):
    def announce(self, call: Call, obj: DataObject, action: str, payload: dict[str, Any]) -> None:
        channel = self.store.channel(call.inst, obj.channel) if obj.channel else None
        if channel is None or channel.custom_publish:
            super().announce(call, obj, action, payload)
