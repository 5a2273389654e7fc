"""Set-up endpoints (AUTH-012..014): instances, API keys, users, user login, groups and
memberships. They exist so that a test can build any principal through the public API.

The CLI's account key is the admin and the owner of every instance it creates.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from flask import Blueprint, Response, request

from mock_server import coerce
from mock_server.api.base import ROUTE_METHODS, Call, parse_id
from mock_server.errors import ApiError, detail, field_errors, not_found
from mock_server.models import Group, User
from mock_server.pagination import envelope, select_rows
from mock_server.representations import (
    api_key_json,
    group_json,
    instance_json,
    user_json,
)
from mock_server.responses import json_response, no_content
from mock_server.store import Conflict

blueprint = Blueprint("setup", __name__)
INSTANCES = "/<version:version>/instances/"
INSTANCE = INSTANCES + "<instance>/"
UNIQUE = "This field must be unique."
MAX_GROUPS_PER_USER = 32
API_KEY_FLAGS = ("ignore_acl", "allow_user_create", "allow_group_create", "allow_anonymous_read")


def listing(
    call: Call,
    rows: list[Any],
    render: Callable[[Any], dict[str, Any]],
    key: Callable[[Any], int] = attrgetter("id"),
) -> Response:
    """A paginated list of set-up records, ordered (and cursored) by ``key``, their id."""
    pq = call.page("list-query.json", default_ascending=True)
    page = select_rows(pq, rows, key=key)
    return json_response(envelope(request.path, pq, page, [render(r) for r in page.items]))


def found(record: Any, message: str = "Not found.") -> Any:
    """A looked-up record, or 404."""
    if record is None:
        raise not_found(message)
    return record


# instances
@blueprint.route(INSTANCES, methods=ROUTE_METHODS)
def instance_list(version: str) -> Response:
    """GET the admin's instances; POST creates one (the admin becomes its owner)."""
    call = Call(version, ("GET", "POST"), "Instance List")
    who = call.authenticate()
    call.require(who.admin is not None)
    admin = who.admin
    assert admin is not None

    def create() -> Response:
        data = call.data("instance-create.json")
        name = str(data["name"])
        description = str(data.get("description", ""))
        try:
            created = call.store.create_instance(
                admin.id, name, description, data.get("metadata") or {}
            )
        except Conflict:
            raise field_errors({"name": [UNIQUE]}) from None
        return json_response(instance_json(version, created, admin, role="api_key"), status=201)

    def list_instances() -> Response:
        rows = call.store.instances_of(admin.id)
        pq = call.page("list-query.json", default_ascending=True)
        page = select_rows(pq, rows, key=lambda row: row.uid)
        objects = [instance_json(version, row, admin) for row in page.items]
        return json_response(envelope(request.path, pq, page, objects))

    return call.dispatch({"GET": list_instances, "POST": create}, {"POST": "instance-create.json"})


@blueprint.route(INSTANCE, methods=ROUTE_METHODS)
def instance_detail(version: str, instance: str) -> Response:
    """GET or DELETE one instance (its owner only)."""
    call = Call(version, ("GET", "DELETE"), "Instance Instance")
    inst = call.resolve_instance(instance)
    who = call.authenticate()
    call.require(who.is_admin)
    call.throttle()
    owner = who.admin
    assert owner is not None

    def delete() -> Response:
        call.store.delete_instance(inst.name)
        return no_content()

    return call.dispatch(
        {"GET": lambda: json_response(instance_json(version, inst, owner)), "DELETE": delete}
    )


def instance_call(
    version: str,
    instance: str,
    allowed: tuple[str, ...],
    view_name: str,
    permitted: Callable[[Call], bool],
) -> Call:
    """The checks every instance-scoped set-up view starts with."""
    call = Call(version, allowed, view_name)
    call.resolve_instance(instance)
    call.authenticate()
    call.require(permitted(call))
    call.throttle()
    return call


def manage(call: Call) -> bool:
    """Admins and ignore_acl keys administer an instance."""
    return call.mock.access.manage(call.who)


# API keys
@blueprint.route(INSTANCE + "api_keys/", methods=ROUTE_METHODS)
def api_key_list(version: str, instance: str) -> Response:
    """GET the API keys; POST creates one."""
    call = instance_call(
        version, instance, ("GET", "POST"), "Api Key List", lambda c: c.who.is_admin
    )

    def create() -> Response:
        data = call.data("api-key-create.json")
        flags = {name: coerce.boolean(data[name]) for name in API_KEY_FLAGS if name in data}
        created = call.store.create_api_key(
            call.inst, description=str(data.get("description", "")), **flags
        )
        return json_response(api_key_json(call.base, created), status=201)

    return call.dispatch(
        {
            "GET": lambda: listing(
                call, call.store.api_keys(call.inst), lambda k: api_key_json(call.base, k)
            ),
            "POST": create,
        },
        {"POST": "api-key-create.json"},
    )


@blueprint.route(INSTANCE + "api_keys/<segment:key_id>/", methods=ROUTE_METHODS)
def api_key_detail(version: str, instance: str, key_id: str) -> Response:
    """GET or DELETE one API key."""
    call = instance_call(
        version, instance, ("GET", "DELETE"), "Api Key Instance", lambda c: c.who.is_admin
    )
    number = parse_id(key_id)

    def lookup() -> Any:
        return found(call.store.api_key(call.inst, number) if number else None)

    def delete() -> Response:
        call.store.delete_api_key(call.inst, lookup().id)
        return no_content()

    return call.dispatch(
        {"GET": lambda: json_response(api_key_json(call.base, lookup())), "DELETE": delete}
    )


@blueprint.route(INSTANCE + "api_keys/<segment:key_id>/reset_key/", methods=ROUTE_METHODS)
def api_key_reset(version: str, instance: str, key_id: str) -> Response:
    """POST gives an API key a new key string."""
    call = instance_call(version, instance, ("POST",), "Api Key Reset", lambda c: c.who.is_admin)
    number = parse_id(key_id)

    def reset() -> Response:
        api_key = found(call.store.reset_api_key(call.inst, number) if number else None)
        return json_response(api_key_json(call.base, api_key))

    return call.dispatch({"POST": reset})


# users
def render_user(call: Call, user: User) -> dict[str, Any]:
    """A user with its profile and groups."""
    profile = call.store.data_object(call.inst, "user_profile", user.profile_id)
    assert profile is not None
    return user_json(call.base, user, profile, call.store.groups_of(call.inst, user.id))


def find_user(call: Call, user_id: str) -> User:
    """The user of a URL segment, or 404."""
    number = parse_id(user_id)
    return found(call.store.user(call.inst, number) if number else None)


@blueprint.route(INSTANCE + "users/", methods=ROUTE_METHODS)
def user_list(version: str, instance: str) -> Response:
    """GET the users; POST creates one (admin, ignore_acl or allow_user_create keys)."""
    call = instance_call(
        version,
        instance,
        ("GET", "POST"),
        "User List",
        lambda c: c.mock.access.create_user(c.who) if c.method == "POST" else manage(c),
    )

    def create() -> Response:
        data = call.data("user-create.json")
        try:
            user = call.store.create_user(call.inst, str(data["username"]), str(data["password"]))
        except Conflict:
            raise field_errors({"username": [UNIQUE]}) from None
        return json_response(render_user(call, user), status=201)

    return call.dispatch(
        {
            "GET": lambda: listing(
                call, call.store.users(call.inst), lambda u: render_user(call, u)
            ),
            "POST": create,
        },
        {"POST": "user-create.json"},
    )


@blueprint.route(INSTANCE + "users/<segment:user_id>/", methods=ROUTE_METHODS)
def user_detail(version: str, instance: str, user_id: str) -> Response:
    """GET or DELETE one user."""
    call = instance_call(version, instance, ("GET", "DELETE"), "User Instance", manage)

    def delete() -> Response:
        call.store.delete_user(call.inst, find_user(call, user_id).id)
        return no_content()

    return call.dispatch(
        {
            "GET": lambda: json_response(render_user(call, find_user(call, user_id))),
            "DELETE": delete,
        }
    )


@blueprint.route(INSTANCE + "users/<segment:user_id>/reset_key/", methods=ROUTE_METHODS)
def user_reset_key(version: str, instance: str, user_id: str) -> Response:
    """POST gives a user a new user key."""
    call = instance_call(version, instance, ("POST",), "User Reset Key", manage)

    def reset() -> Response:
        user = call.store.reset_user_key(call.inst, find_user(call, user_id).id)
        assert user is not None
        return json_response(render_user(call, user))

    return call.dispatch({"POST": reset})


@blueprint.route(INSTANCE + "user/auth/", methods=ROUTE_METHODS)
def user_auth(version: str, instance: str) -> Response:
    """POST logs a user in with username and password and returns it with its user key."""
    call = instance_call(
        version, instance, ("POST",), "User Auth", lambda c: c.mock.access.any_key(c.who)
    )

    def login() -> Response:
        data = call.data("user-auth.json")
        user = call.store.user_by_username(call.inst, str(data["username"]))
        if user is None:
            raise detail(401, "Invalid username.")
        if user.password != str(data["password"]):
            raise detail(401, "Invalid password.")
        return json_response(render_user(call, user))

    return call.dispatch({"POST": login}, {"POST": "user-auth.json"})


@blueprint.route(INSTANCE + "user/", methods=ROUTE_METHODS)
def user_account(version: str, instance: str) -> Response:
    """GET the user of the user key (with an API key)."""
    call = instance_call(
        version,
        instance,
        ("GET",),
        "User Account",
        lambda c: c.who.api_key is not None and c.who.user is not None,
    )
    user = call.who.user
    assert user is not None
    return call.dispatch({"GET": lambda: json_response(render_user(call, user))})


# groups
def find_group(call: Call, group_id: str, message: str = "Not found.") -> Group:
    """The group of a URL segment, or 404."""
    number = parse_id(group_id)
    return found(call.store.group(call.inst, number) if number else None, message)


@blueprint.route(INSTANCE + "groups/", methods=ROUTE_METHODS)
def group_list(version: str, instance: str) -> Response:
    """GET the groups; POST creates one (admin, ignore_acl or allow_group_create keys)."""
    call = instance_call(
        version,
        instance,
        ("GET", "POST"),
        "Group List",
        lambda c: c.mock.access.create_group(c.who) if c.method == "POST" else manage(c),
    )

    def create() -> Response:
        data = call.data("group-create.json")
        name = data.get("name")
        try:
            group = call.store.create_group(
                call.inst,
                None if name is None else str(name),
                str(data.get("label", "")),
                str(data.get("description", "")),
            )
        except Conflict:
            raise field_errors({"name": [UNIQUE]}) from None
        return json_response(group_json(call.base, group), status=201)

    return call.dispatch(
        {
            "GET": lambda: listing(
                call, call.store.groups(call.inst), lambda g: group_json(call.base, g)
            ),
            "POST": create,
        },
        {"POST": "group-create.json"},
    )


@blueprint.route(INSTANCE + "groups/<segment:group_id>/", methods=ROUTE_METHODS)
def group_detail(version: str, instance: str, group_id: str) -> Response:
    """GET or DELETE one group."""
    call = instance_call(version, instance, ("GET", "DELETE"), "Group Instance", manage)

    def delete() -> Response:
        call.store.delete_group(call.inst, find_group(call, group_id).id)
        return no_content()

    return call.dispatch(
        {
            "GET": lambda: json_response(group_json(call.base, find_group(call, group_id))),
            "DELETE": delete,
        }
    )


# memberships, from both sides
def add_membership(call: Call, group: Group, user: User) -> None:
    """Put a user in a group, with the platform's two refusals."""
    if len(call.store.groups_of(call.inst, user.id)) >= MAX_GROUPS_PER_USER:
        raise detail(400, f"User's group count exceeded ({MAX_GROUPS_PER_USER}).")
    try:
        call.store.add_member(call.inst, group.id, user.id)
    except Conflict:
        raise detail(400, "User is already a part of that group.") from None


def referenced(call: Call, schema: str, field: str, lookup: Callable[[int], Any]) -> Any:
    """The user or group a membership body names by id (400 if there is none)."""
    value = coerce.pk(call.data(schema)[field])
    record = lookup(value) if value is not None else None
    if record is None:
        raise ApiError(400, {field: [f'Invalid pk "{value}" - object does not exist.']})
    return record


USER_FORM = "membership-create.json#/$defs/user-form"
GROUP_FORM = "membership-create.json#/$defs/group-form"


@blueprint.route(INSTANCE + "groups/<segment:group_id>/users/", methods=ROUTE_METHODS)
def group_users(version: str, instance: str, group_id: str) -> Response:
    """GET the members of a group; POST ``{"user": id}`` adds one."""
    call = instance_call(version, instance, ("GET", "POST"), "Membership List", manage)

    def add() -> Response:
        group = find_group(call, group_id, "Group was not found.")
        user = referenced(call, USER_FORM, "user", lambda n: call.store.user(call.inst, n))
        add_membership(call, group, user)
        body = {
            "user": render_user(call, user),
            "links": {"self": f"{call.base}/groups/{group.id}/users/{user.id}/"},
        }
        return json_response(body, status=201)

    def members() -> Response:
        group = find_group(call, group_id, "Group was not found.")
        return listing(
            call,
            call.store.members_of(call.inst, group.id),
            lambda u: {
                "user": render_user(call, u),
                "links": {"self": f"{call.base}/groups/{group.id}/users/{u.id}/"},
            },
        )

    return call.dispatch({"GET": members, "POST": add}, {"POST": USER_FORM})


def membership_detail(
    call: Call, group_id: str, user_id: str, render: Callable[[Group, User], dict[str, Any]]
) -> Response:
    """GET or DELETE one membership, seen from the group or from the user."""

    def pair() -> tuple[Group, User]:
        group = find_group(call, group_id, "Group was not found.")
        user = find_user(call, user_id)
        if not call.store.is_member(call.inst, group.id, user.id):
            raise not_found()
        return group, user

    def delete() -> Response:
        group, user = pair()
        call.store.remove_member(call.inst, group.id, user.id)
        return no_content()

    return call.dispatch({"GET": lambda: json_response(render(*pair())), "DELETE": delete})


@blueprint.route(
    INSTANCE + "groups/<segment:group_id>/users/<segment:user_id>/", methods=ROUTE_METHODS
)
def group_user(version: str, instance: str, group_id: str, user_id: str) -> Response:
    """GET or DELETE one membership of a group."""
    call = instance_call(version, instance, ("GET", "DELETE"), "Membership Instance", manage)
    return membership_detail(
        call,
        group_id,
        user_id,
        lambda group, user: {
            "user": render_user(call, user),
            "links": {"self": f"{call.base}/groups/{group.id}/users/{user.id}/"},
        },
    )


@blueprint.route(INSTANCE + "users/<segment:user_id>/groups/", methods=ROUTE_METHODS)
def user_groups(version: str, instance: str, user_id: str) -> Response:
    """GET the groups of a user; POST ``{"group": id}`` adds the user to one."""
    call = instance_call(version, instance, ("GET", "POST"), "User Group List", manage)

    def add() -> Response:
        user = find_user(call, user_id)
        group = referenced(call, GROUP_FORM, "group", lambda n: call.store.group(call.inst, n))
        add_membership(call, group, user)
        body = {
            "group": group_json(call.base, group),
            "links": {"self": f"{call.base}/users/{user.id}/groups/{group.id}/"},
        }
        return json_response(body, status=201)

    def groups() -> Response:
        user = find_user(call, user_id)
        return listing(
            call,
            call.store.groups_of(call.inst, user.id),
            lambda g: {
                "group": group_json(call.base, g),
                "links": {"self": f"{call.base}/users/{user.id}/groups/{g.id}/"},
            },
        )

    return call.dispatch({"GET": groups, "POST": add}, {"POST": GROUP_FORM})


@blueprint.route(
    INSTANCE + "users/<segment:user_id>/groups/<segment:group_id>/", methods=ROUTE_METHODS
)
def user_group(version: str, instance: str, user_id: str, group_id: str) -> Response:
    """GET or DELETE one membership of a user."""
    call = instance_call(version, instance, ("GET", "DELETE"), "User Group Instance", manage)
    return membership_detail(
        call,
        group_id,
        user_id,
        lambda group, user: {
            "group": group_json(call.base, group),
            "links": {"self": f"{call.base}/users/{user.id}/groups/{group.id}/"},
        },
    )
