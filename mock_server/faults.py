"""Named faults: realistic implementation bugs the mock can be started with, each breaking one
requirement of ``spec/requirements.yaml``, so that the conformance suite can be proved on them
(``tests/faults``): with a fault the suite must fail on that requirement, without it pass.

Each fault is declared once in ``CATALOGUE`` (name, requirement id, one sentence). The code it
breaks asks for it at one named point, ``faults.active("NAME")``, and otherwise runs the correct
path. The answer comes from the mock serving the current request (``MockConfig.faults``), so the
hooks need no plumbing, several mocks in one process keep their own faults, and code running
outside a request (unit tests of the store, benchmarks) always takes the correct path.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

CACHE_SECONDS = 60.0
ID_ROUND_TRIP_SECONDS = 0.002
MEMORY_KEY = "channels_mock_fault_memory"
Value = TypeVar("Value")


@dataclass(frozen=True)
class Fault:
    """One injectable bug: what it breaks and how an implementer would get there."""

    name: str
    requirement: str
    description: str


_FAULTS = (
    # AUTH
    Fault("unknown-account-key-401", "AUTH-001",
          "An unknown account key is refused the way DRF's TokenAuthentication refuses one: "
          '401 "Invalid token." instead of 403 "No such API Key.".'),
    Fault("api-key-of-any-instance", "AUTH-003",
          "API keys are looked up among the keys of every instance, so a key of one instance "
          "is accepted on the URL of another."),
    Fault("user-key-of-any-instance", "AUTH-011",
          "User keys are looked up among the users of every instance, so a user key of another "
          "instance acts as the user with the same id here."),
    # CHAN
    Fault("channel-description-truncated", "CHAN-018",
          "The description is stored in a 255-character column and silently cut."),
    Fault("channel-group-unchecked", "CHAN-017",
          "A group id is stored without checking that the group exists in the instance."),
    Fault("put-as-patch", "CHAN-023",
          "PUT is handled like PATCH: omitted permissions and custom_publish keep their values "
          "instead of being reset (platform profile)."),
    Fault("channel-type-writable", "CHAN-024",
          "Only name is read-only on update; PATCH or PUT with type changes the channel's "
          "type."),
    Fault("updated-at-not-refreshed", "CHAN-025",
          "An update changes the fields but leaves updated_at at its old value."),
    Fault("channel-prefix-filter-ignored", "CHAN-035",
          "The channel list ignores ?name__startswith= and lists every channel."),
    # BUILTIN
    Fault("builtin-default-room-less", "BUILTIN-002",
          "A new instance's built-in channel default is created with type default (as its "
          "name suggests) instead of separate_rooms."),
    # PERM
    Fault("no-key-lists-open-channels", "PERM-037",
          "A request without any key may list the channels whose other_permissions is "
          "subscribe or publish, as an anonymous reader would."),
    Fault("group-permissions-without-group", "PERM-042",
          "A channel without a group grants group_permissions to every user, as if all users "
          "were its members."),
    Fault("membership-cached", "PERM-045",
          f"Group memberships are cached for {CACHE_SECONDS:g} s, so a removal from the "
          "channel's group takes effect late."),
    Fault("anonymous-read-everything", "PERM-017",
          "An allow_anonymous_read key reads every channel, whatever its other_permissions "
          "(the platform quirk, in the strict profile)."),
    # CPUB
    Fault("ignore-acl-skips-custom-publish", "CPUB-002",
          "An ignore_acl key skips every channel check, custom_publish included."),
    Fault("custom-publish-before-permission", "CPUB-004",
          "Publish checks custom_publish before the caller's permission, so a caller without "
          "publish level learns that custom publish is off."),
    Fault("custom-publish-cached", "CPUB-006",
          f"Publish reads custom_publish from a per-channel cache kept for {CACHE_SECONDS:g} "
          "s, so a change takes effect late."),
    # PUB
    Fault("publish-limit-off-by-one", "PUB-002",
          "The size gate refuses a body of exactly 65536 bytes (>= instead of >)."),
    Fault("payload-string-dropped", "PUB-004",
          "Only a JSON object is taken as the payload: one sent as a string holding JSON is "
          "dropped and the message gets payload {}."),
    Fault("publish-metadata-from-body", "PUB-015",
          "The message is built from the whole body, so a metadata key in the body overrides "
          "the server's metadata."),
    Fault("payload-latin1-column", "PUB-016",
          "The payload goes through a latin-1 column, so characters outside latin-1 come back "
          "as '?'."),
    Fault("publish-room-untrimmed", "PUB-017",
          "The room is validated trimmed but stored as sent, surrounding spaces included."),
    # MSG
    Fault("ignore-acl-author-is-admin", "MSG-005",
          "An ignore_acl key acts for the instance's owner, so its messages get the admin as "
          "author instead of the key."),
    Fault("links-use-url-channel-name", "MSG-007",
          "The publish answer's link spells the channel as the request URL did, not as stored "
          "(lowercase)."),
    # ID
    Fault("message-id-lost-update", "ID-002",
          "The instance's id counter is read and written back in two steps with a round trip "
          "between them, so concurrent publishes can get the same id."),
    Fault("message-ids-per-channel", "ID-003",
          "Message ids are counted per channel instead of per instance."),
    Fault("message-ids-global", "ID-004",
          "Message ids come from one sequence shared by all instances, so a new instance's "
          "first message does not get id 1."),
    # POLL
    Fault("poll-last-id-inclusive", "POLL-001",
          "A poll with last_id returns the message whose id equals last_id (>= instead of >)."),
    Fault("poll-not-waiting", "POLL-004",
          "A poll with nothing to return answers 204 at once instead of waiting."),
    Fault("poll-timeout-answers-newest", "POLL-005",
          "A poll that times out answers 200 with the newest stored message of its channel "
          "(room) instead of 204."),
    Fault("poll-woken-at-timeout", "POLL-006",
          "A poll with last_id sleeps for the whole poll timeout and then looks for a message, "
          "so a publish does not wake it."),
    Fault("poll-wakes-one-poller", "POLL-013",
          "Waiting polls are kept in a queue and a publish wakes only the first of them."),
    Fault("poll-woken-by-any-channel", "POLL-017",
          "Wake-ups are keyed by room alone, so a message on any channel of the instance wakes "
          "the polls waiting with the same room (or none)."),
    # ROOM
    Fault("room-wakes-whole-channel", "ROOM-002",
          "Wake-ups are keyed by channel alone, so a message in one room wakes the polls "
          "waiting in every room of the channel."),
    Fault("rooms-case-sensitive", "ROOM-003",
          "Rooms are stored and looked up exactly as sent, so Room1 and ROOM1 are different "
          "rooms."),
    Fault("default-channel-keeps-room", "ROOM-008",
          "A default-type channel stores and looks messages up by room like a separate_rooms "
          "channel."),
    # HIST
    Fault("history-oldest-first", "HIST-002",
          "History is ordered oldest first unless ?ordering= says otherwise."),
    Fault("history-last-id-inclusive", "HIST-004",
          "History with ?last_id=N includes the message N itself (>= instead of >)."),
    Fault("history-cursor-repeats", "HIST-009",
          "The history cursor starts at the last message of the previous page instead of "
          "after it, so each next page repeats one message."),
    # ERR
    Fault("method-not-allowed-wording", "ERR-002",
          'A method a channel route does not map is answered 405 "Method Not Allowed" (the '
          "framework's wording) instead of naming the method."),
    Fault("missing-slash-redirect", "ERR-004",
          "A channel route without its trailing slash is redirected (308) to the slash URL "
          "instead of answering 404."),
    Fault("empty-content-type-as-json", "ERR-006",
          "A body with an empty Content-Type is parsed as JSON instead of being refused with "
          "415."),
    Fault("instance-not-found-wording", "ERR-008",
          'An unknown instance is answered 404 "Not found." instead of "Instance was not '
          'found.".'),
    Fault("instance-name-case-sensitive", "ERR-009",
          "The instance name in the URL is matched exactly, so MyInstance is not myinstance."),
    # DATA
    Fault("data-update-whole-object", "DATA-003",
          "The update message of a data object carries the whole object, not only the "
          "changed fields and the id."),
    Fault("data-delete-whole-object", "DATA-004",
          "The delete message of a data object carries the whole object instead of its id "
          "alone."),
    Fault("data-publish-unchecked", "DATA-012",
          "A user may bind a data object to a channel where its level is below publish."),
    Fault("data-needs-custom-publish", "DATA-014",
          "Data-object messages go through the custom publish path and are dropped on "
          "channels whose custom_publish is false."),
    # WS
    Fault("websocket-skips-stored", "WS-002",
          "A WebSocket session ignores last_id and sends live messages only."),
    Fault("websocket-plain-request-polls", "WS-005",
          "transport=websocket without a WebSocket handshake is served as an ordinary long "
          "poll instead of 400."),
    # THR
    Fault("throttle-without-retry-after", "THR-001",
          "A throttled request is answered 429 without the Retry-After header."),
    # GEN
    Fault("history-last-id-unguarded", "GEN-001",
          "History reads ?last_id= with a bare int(), so a non-integer raises and the server "
          "answers 500."),
    Fault("error-content-type-html", "GEN-002",
          "Error answers keep the framework's default Content-Type, text/html, around their "
          "JSON body."),
)

CATALOGUE: dict[str, Fault] = {fault.name: fault for fault in _FAULTS}


class UnknownFault(ValueError):
    """A fault name that the catalogue does not declare."""


def check_names(names: Iterable[str]) -> frozenset[str]:
    """The given fault names as a set; UnknownFault names the first undeclared one."""
    chosen = frozenset(names)
    unknown = sorted(chosen - CATALOGUE.keys())
    if unknown:
        raise UnknownFault(f"unknown fault {unknown[0]!r} (channels-mock faults lists them)")
    return chosen


def _app() -> Any:
    """The Flask app serving this request, or None outside a request. Flask is not imported
    here: without it no app exists, and ``channels-mock serve`` can check fault names before
    gevent patches the process."""
    flask = sys.modules.get("flask")
    if flask is None or not flask.has_app_context():
        return None
    return flask.current_app


def _enabled() -> frozenset[str]:
    app = _app()
    mock = app.extensions.get("channels_mock") if app is not None else None
    return mock.config.faults if mock is not None else frozenset()


def active(name: str) -> bool:
    """Whether the mock serving this request runs with fault ``name``. Asking for a name the
    catalogue does not declare is a programming error (KeyError), so a hook cannot drift from
    its declaration."""
    if name not in CATALOGUE:
        raise KeyError(f"fault {name!r} is not declared in mock_server.faults")
    return name in _enabled()


def cached(name: str, key: Hashable, fresh: Value) -> Value:
    """For a caching fault: while fault ``name`` is active, the value first seen for ``key`` in
    the last ``CACHE_SECONDS`` (the stale cache entry); otherwise ``fresh`` itself."""
    if not active(name):
        return fresh
    memory: dict[Any, tuple[float, Any]] = _app().extensions.setdefault(MEMORY_KEY, {})
    now = time.monotonic()
    seen = memory.get((name, key))
    if seen is None or now - seen[0] > CACHE_SECONDS:
        memory[(name, key)] = (now, fresh)
        return fresh
    return seen[1]


def describe() -> list[str]:
    """One line per fault for ``channels-mock faults``: name, requirement id, sentence."""
    width = max(len(name) for name in CATALOGUE)
    return [f"{f.name:<{width}}  {f.requirement:<11}  {f.description}" for f in _FAULTS]
