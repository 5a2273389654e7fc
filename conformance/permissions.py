"""The core decision table of area PERM as data: for a caller, a channel's
other_permissions / group_permissions and an operation, what the target must answer and which
requirements that cell verifies. The checks in test_permissions.py replay it."""

from __future__ import annotations

from dataclasses import dataclass

from conformance.requirements import RequirementSet
from spec.protocol import NO_SUCH_KEY, PERMISSION_DENIED

LEVELS = ("none", "subscribe", "publish")
RANK = {level: rank for rank, level in enumerate(LEVELS)}
OPERATIONS = ("list", "detail", "publish", "poll", "history")
READS = {"detail": 0, "poll": 1, "history": 2}
USERS = ("member", "non_member")


@dataclass(frozen=True)
class Cell:
    """One cell: a caller, the channel's two permission levels, an operation."""

    principal: str
    other: str
    group: str
    operation: str

    @property
    def id(self) -> str:
        return f"{self.operation}-{self.principal}-other_{self.other}-group_{self.group}"


@dataclass(frozen=True)
class Outcome:
    """What the target must do: refuse with a 403 detail, or allow (and list the channel)."""

    refusal: str | None
    listed: bool
    ids: tuple[str, ...]


def level(cell: Cell) -> str:
    """The user's effective level L (PERM-039 to PERM-043); the channel's group is the member's."""
    if cell.principal == "member" and RANK[cell.group] > RANK[cell.other]:
        return cell.group
    return cell.other


def _user(cell: Cell) -> Outcome:
    granted = level(cell)
    if cell.operation == "list":
        return Outcome(None, RANK[granted] >= 1, ("PERM-004",))
    member_only = cell.principal == "member" and cell.other == "none"
    if cell.operation == "publish":
        if granted != "publish":
            return Outcome(
                PERMISSION_DENIED, False, ("PERM-025" if granted == "subscribe" else "PERM-026",)
            )
        extra = ("PERM-040",) if member_only and cell.group == "publish" else ()
        if cell.principal == "member" and cell.group == "subscribe" and cell.other == "publish":
            extra = ("PERM-043",)
        return Outcome(None, True, ("PERM-024", *extra))
    index = READS[cell.operation]
    if RANK[granted] >= 1:
        ids = [("PERM-018", "PERM-019", "PERM-020")[index]]
        if member_only and cell.group == "subscribe" and cell.operation != "poll":
            ids.append("PERM-039")
        if cell.other == "publish":
            ids.append("PERM-044")
        return Outcome(None, True, tuple(ids))
    ids = [("PERM-021", "PERM-022", "PERM-023")[index]]
    if cell.principal == "non_member" and cell.group == "publish" and cell.operation == "detail":
        ids.append("PERM-041")
    return Outcome(PERMISSION_DENIED, False, tuple(ids))


def _key_without_user(cell: Cell) -> Outcome:
    if cell.operation == "publish":
        return Outcome(
            PERMISSION_DENIED, False, ("PERM-015",) if cell.other == "publish" else ("PERM-036",)
        )
    if cell.operation == "list" or cell.other != "none":
        return Outcome(PERMISSION_DENIED, False, ("PERM-035",))
    return Outcome(PERMISSION_DENIED, False, ("PERM-034",))


def expected(cell: Cell, requirements: RequirementSet) -> Outcome:
    """The outcome of one cell of the decision table; an unknown user key's cell judges AUTH-009
    too where the run's ``requirements`` judge the key alone by core requirements only."""
    allowed_ids = {
        "admin": {"list": "PERM-001", "publish": "PERM-009"},
        "ignore_acl": {"list": "PERM-002", "publish": "PERM-008"},
    }
    if cell.principal in allowed_ids:
        table = allowed_ids[cell.principal]
        default = "PERM-005" if cell.principal == "admin" else "PERM-006"
        return Outcome(None, True, (table.get(cell.operation, default),))
    if cell.principal in USERS:
        return _user(cell)
    if cell.principal == "no_key":
        return Outcome(
            PERMISSION_DENIED, False, ("PERM-038" if cell.operation == "publish" else "PERM-037",)
        )
    if cell.principal == "invalid_key":
        return Outcome(NO_SUCH_KEY, False, ("AUTH-001",))
    bare = _key_without_user(cell)
    if cell.principal == "invalid_user_key" and requirements.all_core(bare.ids):
        return Outcome(bare.refusal, False, ("AUTH-009", *bare.ids))
    return bare
