"""What the team's policies say of a plan: findings and their levels, shared by the stages.

`reconciler.policy` makes them, the Plan carries them, renderers and the Action show them, and
apply refuses a plan with a mandatory one.
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
