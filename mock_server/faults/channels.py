"""Faults of the channel-serializer seam: subclasses of ``ChannelSerializer``, changing how a
channel body becomes stored fields."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from mock_server.api.channels import ChannelSerializer
from mock_server.faults.declare import declare
from mock_server.models import Instance


@declare(
    "channel-group-unchecked",
    "CHAN-017",
    "A group id is stored without checking that the group exists in the instance.",
)
class ChannelGroupUnchecked(ChannelSerializer):
    def check_group(self, inst: Instance, fields: dict[str, Any]) -> None:
        return None


@declare(
    "put-as-patch",
    "CHAN-023",
    "PUT is handled like PATCH: omitted permissions and custom_publish keep their values "
    "instead of being reset (platform profile).",
)
class PutAsPatch(ChannelSerializer):
    put_defaults: Mapping[str, Any] = MappingProxyType({})


@declare(
    "channel-type-writable",
    "CHAN-024",
    "Only name is read-only on update; PATCH or PUT with type changes the channel's type.",
)
class ChannelTypeWritable(ChannelSerializer):
    read_only_on_update = ("name",)
