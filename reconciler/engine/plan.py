"""The one plan pipeline, for `plan`, `apply` and the Action alike, and the plan's seal.

    refresh ─▶ changes ─▶ adoptions ─▶ (targets) ─▶ origins ─▶ scheduling checks ─▶ safety ─▶ seal

The changes come with the recurring series' warnings (a start the rule does not produce, a
series with no occurrence within its horizon), which the configuration alone decides.

Each pass takes the plan and returns a new one; none computes the checksum. `seal` does, once,
over the changes that survived every pass: the checksum covers the remote state of every object
the plan touches, so a saved plan is refused when one of them changed since (`StalePlanError`),
while edits to objects the plan does not touch leave it valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reconciler.config import DesiredState
from reconciler.config.recurrence import series_notes
from reconciler.engine.adoption import plan_adoptions
from reconciler.engine.changes import plan_changes
from reconciler.engine.origins import label_origins
from reconciler.engine.planfile import check_fresh
from reconciler.engine.refresh import Refreshed, refresh_all, state_checksum
from reconciler.engine.safety import Rails, guard
from reconciler.engine.scheduling import checked_plan
from reconciler.engine.targets import restrict
from reconciler.model import Address, Plan
from reconciler.providers.base import Provider


@dataclass(frozen=True, kw_only=True)
class PlanOptions:
    """What the user asked of a plan: the command-line options that shape it."""

    prune: bool = False
    adopt: bool = False
    strict: bool = False
    rails: Rails = field(default_factory=Rails)
    # The canonical declared fields at a git base ref (`--base-ref`), to label each change's origin.
    base_declared: Mapping[Address, Mapping[str, Any]] | None = None
    # `--target`: only these objects (or series) are planned; empty means all.
    targets: tuple[Address, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PlanResult:
    """A sealed plan, the refreshed state it was made from, and what the safety rails refuse."""

    plan: Plan
    refreshed: Mapping[str, Refreshed]
    violations: tuple[str, ...]


def build_plan(
    state: DesiredState, providers: Mapping[str, Provider], options: PlanOptions
) -> PlanResult:
    """Refresh, then every pass in its one order, then the seal."""
    refreshed = refresh_all(state, providers)
    plan = plan_changes(state, refreshed, prune=options.prune)
    notes = tuple(str(note) for note in series_notes(state.series))
    plan = replace(plan, warnings=(*notes, *plan.warnings))
    plan = plan_adoptions(plan, refreshed, adopt=options.adopt)
    if options.targets:
        plan = restrict(plan, options.targets)
    if options.base_declared is not None:
        plan = label_origins(plan, refreshed, options.base_declared)
    plan = checked_plan(plan, refreshed, state.working_hours, strict=options.strict)
    plan, violations = guard(plan, refreshed, options.rails)
    return PlanResult(plan=seal(plan, refreshed), refreshed=refreshed, violations=tuple(violations))


def recheck_saved(
    plan: Plan,
    state: DesiredState,
    providers: Mapping[str, Provider],
    *,
    rails: Rails,
    path: Path,
) -> PlanResult:
    """A saved plan (read from `path`) against the live state: checked fresh, guarded again."""
    refreshed = refresh_all(state, providers)
    check_fresh(plan, refreshed, path)
    guarded, violations = guard(plan, refreshed, rails)
    return PlanResult(
        plan=seal(guarded, refreshed), refreshed=refreshed, violations=tuple(violations)
    )


def seal(plan: Plan, refreshed: Mapping[str, Refreshed]) -> Plan:
    """The plan with the checksum of the remote state of exactly the changes it holds."""
    return replace(
        plan, state_checksum=state_checksum(refreshed, [change.address for change in plan.changes])
    )
