"""Creates what the checks need (instance, API keys, users, groups, memberships, channels) through
the public API only, so the suite runs unchanged against any implementation."""

from __future__ import annotations

import itertools
import os
import secrets
from dataclasses import dataclass, field
from typing import Any

from conformance.client import API_PREFIX, Client, Paths, Principal, Reply
from spec.protocol import ACCOUNT_KEY_LAST_DIGITS, API_KEY_LAST_DIGITS, KEY_LENGTH

_counter = itertools.count(1)


class ProvisionError(RuntimeError):
    """The target refused a set-up call the suite depends on."""

    def __init__(self, what: str, reply: Reply) -> None:
        super().__init__(
            f"cannot {what}: {reply.method} {reply.path} -> {reply.status} {reply.text[:300]}"
        )
        self.reply = reply


def unique_name(prefix: str = "c") -> str:
    """A name no other test, worker or run uses: starts with a letter, slug characters, ≤ 64."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")
    return f"{prefix}-{worker}-{next(_counter)}-{secrets.token_hex(3)}".lower()


def random_key(kind: str) -> str:
    """A well-formed key nobody issued. The last hex digit's parity tells the kind:
    even for an account key, odd for an instance API key."""
    digits = API_KEY_LAST_DIGITS if kind == "api" else ACCOUNT_KEY_LAST_DIGITS
    return secrets.token_hex(KEY_LENGTH // 2)[: KEY_LENGTH - 1] + secrets.choice(digits)


def _created(reply: Reply, what: str, status: int = 201) -> dict[str, Any]:
    if reply.status != status:
        raise ProvisionError(what, reply)
    return reply.json()


@dataclass(frozen=True)
class ApiKey:
    id: int
    key: str = field(repr=False)

    def principal(self, label: str) -> Principal:
        return Principal(label, self.key)


@dataclass(frozen=True)
class User:
    id: int
    username: str
    user_key: str = field(repr=False)


@dataclass(frozen=True)
class Group:
    id: int


@dataclass
class Instance:
    """One instance on the target and what the suite created in it."""

    name: str
    admin: Principal
    created_here: bool
    owner_id: int | None = None
    channels: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)

    @property
    def paths(self) -> Paths:
        return Paths(self.name)


class Provisioner:
    """Set-up calls, all made with the account key."""

    def __init__(self, client: Client, account_key: str) -> None:
        self.client = client
        self.admin = Principal("admin", account_key)

    def create_instance(self, name: str | None = None) -> Instance:
        name = name or unique_name("ct")
        body = _created(
            self.client.post(f"{API_PREFIX}/instances/", self.admin, json_body={"name": name}),
            "create an instance",
        )
        owner = body.get("owner") if isinstance(body, dict) else None
        owner_id = owner.get("id") if isinstance(owner, dict) else None
        return Instance(body.get("name", name), self.admin, True, owner_id)

    def use_instance(self, name: str) -> Instance:
        reply = self.client.get(Paths(name).channels, self.admin, params={"page_size": 1})
        _created(reply, f"use the instance {name!r}", status=200)
        return Instance(name, self.admin, False)

    def delete_instance(self, instance: Instance) -> None:
        """Best effort: a target that does not allow deleting instances keeps them."""
        self.client.delete(instance.paths.instance_root, self.admin)

    def clean_up(self, instance: Instance) -> None:
        """Delete what the suite created in an instance it did not create (best effort)."""
        paths = [instance.paths.channel(name) for name in instance.channels]
        for path in paths + instance.resources[::-1]:
            self.client.delete(path, self.admin)

    def create_api_key(self, instance: Instance, **flags: bool) -> ApiKey:
        body = _created(
            self.client.post(
                f"{instance.paths.instance_root}api_keys/",
                self.admin,
                json_body={"description": "conformance", **flags},
            ),
            f"create an API key {flags}",
        )
        instance.resources.append(f"{instance.paths.instance_root}api_keys/{body['id']}/")
        self.client.secrets.add(body["api_key"], "API key")
        return ApiKey(body["id"], body["api_key"])

    def create_user(self, instance: Instance) -> User:
        username = unique_name("u")
        body = _created(
            self.client.post(
                f"{instance.paths.instance_root}users/",
                self.admin,
                json_body={"username": username, "password": secrets.token_hex(8)},
            ),
            "create a user",
        )
        instance.resources.append(f"{instance.paths.instance_root}users/{body['id']}/")
        self.client.secrets.add(body["user_key"], "user key")
        return User(body["id"], body.get("username", username), body["user_key"])

    def create_group(self, instance: Instance) -> Group:
        body = _created(
            self.client.post(
                f"{instance.paths.instance_root}groups/",
                self.admin,
                json_body={"label": unique_name("g")},
            ),
            "create a group",
        )
        instance.resources.append(f"{instance.paths.instance_root}groups/{body['id']}/")
        return Group(body["id"])

    def add_member(self, instance: Instance, group: Group, user: User) -> None:
        _created(
            self.client.post(
                f"{instance.paths.instance_root}groups/{group.id}/users/",
                self.admin,
                json_body={"user": user.id},
            ),
            "add a user to a group",
        )

    def remove_member(self, instance: Instance, group: Group, user: User) -> None:
        reply = self.client.delete(
            f"{instance.paths.instance_root}groups/{group.id}/users/{user.id}/", self.admin
        )
        if reply.status != 204:
            raise ProvisionError("remove a user from a group", reply)

    def create_channel(self, instance: Instance, name: str | None = None, **fields: Any) -> str:
        """Create a channel as admin and return its name (lowercase, unique)."""
        name = name or unique_name()
        body = _created(
            self.client.post(
                instance.paths.channels, self.admin, json_body={"name": name, **fields}
            ),
            f"create a channel {fields}",
        )
        instance.channels.append(body["name"])
        return body["name"]

    def publish(
        self, instance: Instance, channel: str, payload: dict[str, Any], room: str | None = None
    ) -> dict[str, Any]:
        """Publish as admin (the channel must allow custom publish) and return the message."""
        body: dict[str, Any] = {"payload": payload}
        if room is not None:
            body["room"] = room
        return _created(
            self.client.post(instance.paths.publish(channel), self.admin, json_body=body),
            "publish a message",
        )
