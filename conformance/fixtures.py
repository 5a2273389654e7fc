"""Fixtures of the conformance checks: the target, the HTTP client, and the principals and
channels each check needs, all provisioned through the public API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from conformance import plugin
from conformance.channel_api import ChannelApi
from conformance.client import ANONYMOUS, Client, Paths, Principal
from conformance.provision import (
    ApiKey,
    Group,
    Instance,
    Provisioner,
    User,
    random_key,
)

MATRIX_PRINCIPALS = (
    "admin",
    "ignore_acl",
    "member",
    "non_member",
    "key_without_user",
    "no_key",
    "invalid_key",
    "invalid_user_key",
)


@dataclass(frozen=True)
class World:
    """One instance with every kind of caller the checks use (principals: see requirements.yaml)."""

    instance: Instance
    ignore_acl: ApiKey
    plain: ApiKey
    anon_read: ApiKey
    group: Group
    member: User
    non_member: User
    invalid_key: str
    invalid_user_key: str

    @property
    def paths(self) -> Paths:
        return self.instance.paths

    @property
    def admin(self) -> Principal:
        return self.instance.admin

    def principal(self, code: str) -> Principal:
        """The caller named by ``code`` (the ids used in parametrized checks)."""
        plain = self.plain.principal("key without user")
        ignore_acl = self.ignore_acl.principal("ignore_acl key")
        anon_read = self.anon_read.principal("allow_anonymous_read key")
        callers = {
            "admin": self.admin,
            "ignore_acl": ignore_acl,
            "ignore_acl_user": ignore_acl.with_user("ignore_acl key + user", self.member.user_key),
            "member": plain.with_user("user in the channel's group", self.member.user_key),
            "non_member": plain.with_user("user outside the group", self.non_member.user_key),
            "key_without_user": plain,
            "no_key": ANONYMOUS,
            "invalid_key": Principal("unknown key", self.invalid_key),
            "invalid_user_key": plain.with_user("unknown user key", self.invalid_user_key),
            "anon_read": anon_read,
            "anon_read_user": anon_read.with_user(
                "allow_anonymous_read key + user outside the group", self.non_member.user_key
            ),
        }
        return callers[code]


def build_world(provisioner: Provisioner, instance: Instance) -> World:
    """Provision the keys, users and group of one world."""
    group = provisioner.create_group(instance)
    member = provisioner.create_user(instance)
    provisioner.add_member(instance, group, member)
    invalid_key, invalid_user_key = random_key("api"), random_key("api")
    provisioner.client.secrets.add(invalid_key, "made-up key")
    provisioner.client.secrets.add(invalid_user_key, "made-up key")
    return World(
        instance=instance,
        ignore_acl=provisioner.create_api_key(instance, ignore_acl=True),
        plain=provisioner.create_api_key(instance),
        anon_read=provisioner.create_api_key(instance, allow_anonymous_read=True),
        group=group,
        member=member,
        non_member=provisioner.create_user(instance),
        invalid_key=invalid_key,
        invalid_user_key=invalid_user_key,
    )


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> plugin.Target:
    """The implementation under test (a --target-url or the bundled mock)."""
    return plugin.current_target(request.config)


@pytest.fixture(scope="session")
def client(request: pytest.FixtureRequest, target: plugin.Target) -> Client:
    return plugin.client_for(request.config)


@pytest.fixture(scope="session")
def provisioner(client: Client, target: plugin.Target) -> Provisioner:
    return Provisioner(client, target.account_key)


@pytest.fixture(scope="session")
def world(provisioner: Provisioner, target: plugin.Target) -> Iterator[World]:
    """This process's callers in the run's instance (each xdist worker has its own)."""
    instance = Instance(
        target.instance, provisioner.admin, target.instance_created, target.owner_id
    )
    built = build_world(provisioner, instance)
    yield built
    if not instance.created_here:
        provisioner.clean_up(instance)


@pytest.fixture(scope="session")
def other_world(provisioner: Provisioner) -> Iterator[World]:
    """A second, fresh instance: for isolation between instances and for built-in channels."""
    instance = provisioner.create_instance()
    yield build_world(provisioner, instance)
    provisioner.delete_instance(instance)


@pytest.fixture
def paths(world: World) -> Paths:
    return world.paths


@pytest.fixture
def api(client: Client, world: World, target: plugin.Target) -> ChannelApi:
    """Channel, publish, poll and history calls on the run's instance."""
    return ChannelApi(
        client, world.paths, target.poll_timeout, target.max_wait, world.instance.channels
    )


@pytest.fixture
def new_channel(provisioner: Provisioner, world: World) -> Callable[..., str]:
    """Create a channel with a unique name in the run's instance, as admin."""

    def create(**fields: Any) -> str:
        return provisioner.create_channel(world.instance, **fields)

    return create


@pytest.fixture
def chat(new_channel: Callable[..., str]) -> str:
    """A fresh default-type channel that accepts custom messages."""
    return new_channel(custom_publish=True)


@pytest.fixture
def rooms(new_channel: Callable[..., str]) -> str:
    """A fresh separate_rooms channel that accepts custom messages."""
    return new_channel(type="separate_rooms", custom_publish=True)


@pytest.fixture
def measure(request: pytest.FixtureRequest) -> Callable[[str, float], None]:
    """Record a figure shown in the report, e.g. the poll wake-up latency in ms."""

    def record(name: str, value: float) -> None:
        plugin.record_measurement(request.node, name, value)

    return record
