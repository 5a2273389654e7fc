"""Protocol facts the mock and the suite both need, written once: the platform's error texts,
the publish size limit, the key-parity rule, the timestamp format and the mock's ready line.

The mock answers with these and the suite expects them, so the two cannot disagree. Each fact
names the requirements that state it (spec/requirements.yaml).
"""

from __future__ import annotations

import re

# Error texts, exactly as the platform writes them (ERR-001 and the requirement beside each).
PERMISSION_DENIED = "You do not have permission to perform this action."  # AUTH-009
NO_SUCH_KEY = "No such API Key."  # AUTH-001, AUTH-002, AUTH-003
NOT_FOUND = "Not found."  # ERR-010
INSTANCE_NOT_FOUND = "Instance was not found."  # ERR-008
CHANNEL_NOT_FOUND = "Channel was not found."  # HIST-017
ROOM_REQUIRED = "This field is required for channels with separate rooms."  # PUB-012
CUSTOM_PUBLISH_NOT_ALLOWED = "Custom publish not allowed on this channel."  # CPUB-001
BAD_PAGE = "Incorrect page parameter provided."  # CHAN-034, HIST-011
THROTTLED = "Request was throttled. Expected available in 1 second."  # THR-001

# PUB-001, PUB-002: a publish body of more than this many bytes is refused with 413.
PUBLISH_LIMIT = 65536


def request_too_large(limit: int = PUBLISH_LIMIT) -> str:
    """The 413 text, which names the limit."""
    return f"Request size limit exceeded ({limit})."


# AUTH-001, AUTH-002: a key is 40 hex characters; the parity of its last hex digit tells its kind.
KEY_LENGTH = 40
ACCOUNT_KEY_LAST_DIGITS = "02468ace"
API_KEY_LAST_DIGITS = "13579bdf"

# CHAN-004: created_at and updated_at, UTC with microseconds, e.g. 2026-11-28T00:28:08.937427Z.
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")

# The line `channels-mock serve` prints once it listens (and the benchmark servers alike).
READY_LINE = re.compile(
    r"(?P<name>[\w-]+) listening on (?P<url>http://(?P<host>[\d.]+):(?P<port>\d+))"
    r"(?: \(account key (?P<key>[0-9a-f]+)\))?"
)
