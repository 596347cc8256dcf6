"""What a run reports besides the Plan: each change's outcome in apply, the drift report and
`reconciler doctor`'s checks; and how counts read in what the tool prints (`counted`: `1
session`, `2 sessions`, never `1 sessions` or `change(s)`; and one spelling of the past of
cancel, `cancelled`, while Prevail's API spells the state `canceled`, kept as the API sends it).

Plain frozen values like `model.py`'s, which they are built from; kept apart because only apply,
`drift` and `doctor` (and what reports them) read them, while every stage reads the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reconciler.model import Address, Change, FieldChange, HttpCall, Location

# -- counts in words ---------------------------------------------------------------------------

# A kind (as the configuration names it) and the other nouns counted in messages, singular.
SINGULAR = {
    "sessions": "session",
    "events": "event",
    "assignments": "assignment",
    "changes": "change",
    "requests": "request",
    "objects": "object",
    "problems": "problem",
    "files": "file",
    "values": "value",
    "secret values": "secret value",
    "zone spellings": "zone spelling",
}


def counted(count: int, plural: str) -> str:
    """`1 session`, `0 sessions`, `1,200 events`: the count, and the noun that agrees with it
    (`plural` as the configuration or the message names many)."""
    noun = SINGULAR.get(plural, plural) if count == 1 else plural
    return f"{count:,} {noun}"


# -- doctor --------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Check:
    """One `reconciler doctor` finding: what the client relies on, and what the account showed.

    `required` checks are ones the client depends on (a differing one fails the run); the others
    inform (a page size the server refused, a rate limit it does not report).
    """

    provider: str
    name: str
    ok: bool
    seen: str
    required: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "check": self.name,
            "ok": self.ok,
            "seen": self.seen,
            "required": self.required,
        }


# -- drift ---------------------------------------------------------------------------------------


class Direction(StrEnum):
    """Which side of a drifted field moved, as git tells it."""

    REMOTE = "remote"  # git declares it alike at HEAD (and the base): it was edited remotely
    GIT = "git"  # the YAML differs from HEAD or the base: edited in git, not applied yet
    UNKNOWN = "unknown"  # no git record to tell (no repository, a file git does not track)


@dataclass(frozen=True, kw_only=True)
class DriftItem:
    """One object out of sync. `fields` hold before = remote, after = declared; `directions`
    says which side moved for each field judged (a field not in it: remote)."""

    address: Address
    status: str  # "drifted" | "missing" | "undeclared" | "ignored" | "duplicate"
    fields: tuple[FieldChange, ...] = ()
    ignored: tuple[FieldChange, ...] = ()
    remote_id: str | None = None
    updated_at: str | None = None
    location: Location | None = None
    directions: Mapping[str, Direction] = field(default_factory=dict)

    def direction(self, name: str) -> Direction:
        return self.directions.get(name, Direction.REMOTE)

    def moved(self) -> frozenset[Direction]:
        """The directions among the drifted fields."""
        return frozenset(self.direction(change.name) for change in self.fields)

    def to_json(self) -> dict[str, Any]:
        return {
            "address": str(self.address),
            "status": self.status,
            "remote_id": self.remote_id,
            "last_updated": self.updated_at,
            "location": str(self.location) if self.location else None,
            "fields": [
                {
                    "field": f.name,
                    "remote": f.before,
                    "declared": f.after,
                    "direction": self.direction(f.name).value,
                }
                for f in self.fields
            ],
            "ignored": [
                {"field": f.name, "remote": f.before, "declared": f.after} for f in self.ignored
            ],
        }


@dataclass(frozen=True)
class DriftReport:
    items: tuple[DriftItem, ...]
    # Why the directions could not be told, when git had no record to tell them by.
    notes: tuple[str, ...] = ()

    @property
    def in_sync(self) -> bool:
        return all(item.status == "ignored" for item in self.items)

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    def count_moved(self, direction: Direction) -> int:
        """Drifted objects with at least one field that moved this way."""
        return sum(
            1 for item in self.items if item.status == "drifted" and direction in item.moved()
        )


# -- apply ---------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What happened to one change when apply sent its requests."""

    change: Change
    ok: bool
    message: str = ""
    remote_id: str | None = None
    # True when a lost response was recovered by finding the object the request created.
    adopted: bool = False
    # The create request whose answer was lost: it may have landed, so the outcome is not
    # decided until apply has looked for the object (`engine.apply`).
    lost: HttpCall | None = None
    # Refused for want of permission (403): the provider's other writes would be refused alike.
    denied: bool = False
