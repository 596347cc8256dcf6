"""What is found of a plan beyond its changes, shared by the stages.

What the team's policies say of it, findings and their levels: `reconciler.policy` makes them,
the Plan carries them, renderers and the Action show them, and apply refuses a plan with a
mandatory one. The overlaps it introduces or resolves, per person and place: `engine.conflicts`
finds them (the double-booking check's rules, run over the managed objects before and after the
apply), the Plan carries them, and every renderer shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class PolicyLevel(StrEnum):
    """How much a policy's finding weighs: a warning, or a refusal nothing overrides."""

    ADVISORY = "advisory"
    MANDATORY = "mandatory"


@dataclass(frozen=True, kw_only=True)
class Finding:
    """What one of the team's policies says of the plan (or of one change: `address`)."""

    rule: str
    level: PolicyLevel
    message: str
    address: str | None = None

    def __str__(self) -> str:
        where = f"{self.address}: " if self.address else ""
        return f"{self.level.value} policy {self.rule}: {where}{self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "level": self.level.value,
            "address": self.address,
            "message": self.message,
        }


def refusals(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """The mandatory findings: apply refuses a plan while it has one."""
    return tuple(finding for finding in findings if finding.level is PolicyLevel.MANDATORY)


# -- the overlaps the plan introduces or resolves -------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Booked:
    """One object of an overlap: its address, its role there, and its times."""

    address: str
    role: str  # deponent, host or invitee (a person); location (a place)
    start: str  # canonical UTC
    end: str
    time_zone: str | None
    span: str  # `Tue 2027-03-02 09:00-11:00 America/New_York`: its own zone, named

    def __str__(self) -> str:
        return f"{self.address} ({self.span}, {self.role})"

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "role": self.role,
            "start": self.start,
            "end": self.end,
            "time_zone": self.time_zone,
        }


@dataclass(frozen=True, kw_only=True)
class Overlap:
    """Two objects that overlap in time with the same person (email) or at the same place."""

    subject: str  # "person" or "location"
    name: str  # the email, or the location's name / address
    first: Booked
    second: Booked

    def __str__(self) -> str:
        return f"{self.subject} {self.name}: {self.first} overlaps {self.second}"

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "name": self.name,
            "objects": [self.first.to_json(), self.second.to_json()],
        }


@dataclass(frozen=True, kw_only=True)
class Conflicts:
    """Overlaps only after the apply (introduced) and only before it (resolved)."""

    introduced: tuple[Overlap, ...] = ()
    resolved: tuple[Overlap, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.introduced or self.resolved)

    def summary(self) -> str:
        """`introduces 2 overlaps, resolves 1`."""
        count = len(self.introduced)
        noun = "overlap" if count == 1 else "overlaps"
        return f"introduces {count:,} {noun}, resolves {len(self.resolved):,}"

    def lines(self) -> list[str]:
        """The summary, then one line per overlap: `+` introduced, `-` resolved."""
        if not self:
            return []
        return [
            f"Conflicts: the plan {self.summary()}.",
            *(f"  + introduces {overlap}" for overlap in self.introduced),
            *(f"  - resolves {overlap}" for overlap in self.resolved),
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "introduced": [overlap.to_json() for overlap in self.introduced],
            "resolved": [overlap.to_json() for overlap in self.resolved],
        }
