"""The one plan pipeline, for `plan`, `apply`, a saved plan and the Action alike, and the seal.

    refresh ─▶ changes ─▶ adoptions ─▶ targets ─▶ origins ─▶ drift policy ─▶ checks ─▶ rails ─▶ seal
                                                                                      ─▶ policies

The changes come with the recurring series' warnings (a start the rule does not produce, a
series with no occurrence within its horizon), which the configuration alone decides. After
the checks, the schedule now and after the apply are compared: the overlaps the plan introduces
or resolves (`engine.conflicts`).

Each pass takes the plan and returns a new one; none computes the checksum. `seal` does, once,
over the changes that survived every pass: the checksum covers the remote state of every object
the plan touches, so a saved plan is refused when one of them changed since (`StalePlanError`),
while edits to objects the plan does not touch leave it valid.

A saved plan goes through the same passes (`recheck_saved`): it is re-derived from the
configuration and the live state with the options it was made with, and `engine.verify` checks
that every saved change is one the pipeline derives now before the rails run again on exactly
what will be sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler.config import DesiredState
from reconciler.config.recurrence import series_notes
from reconciler.config.windows import ChangeWindow
from reconciler.engine.adoption import plan_adoptions
from reconciler.engine.changes import plan_changes
from reconciler.engine.conflicts import plan_conflicts
from reconciler.engine.drift_policy import (
    DriftPolicy,
    drift_refusal,
    keep_remote_edits,
    require_base,
)
from reconciler.engine.fingerprint import Fingerprint
from reconciler.engine.origins import label_origins
from reconciler.engine.planfile import SavedPlan
from reconciler.engine.refresh import Refreshed, refresh_all, state_checksum
from reconciler.engine.safety import Rails, guard
from reconciler.engine.scheduling import checked_plan
from reconciler.engine.targets import require_known, restrict
from reconciler.engine.verify import check_configuration, check_confined, match_derived
from reconciler.model import Address, Plan
from reconciler.policy import PolicyContext, PolicySet, judge
from reconciler.policy.windows import window_findings
from reconciler.providers.base import Provider


@dataclass(frozen=True, kw_only=True)
class PlanOptions:
    """What the user asked of a plan: the command-line options that shape it."""

    prune: bool = False
    adopt: bool = False
    # Take objects marked before scopes existed, and declared here, into this scope.
    adopt_unscoped: bool = False
    strict: bool = False
    rails: Rails = field(default_factory=Rails)
    on_drift: DriftPolicy = DriftPolicy.REVERT
    # The canonical declared fields at a git base ref (`--base-ref`), to label each change's origin.
    base_declared: Mapping[Address, Mapping[str, Any]] | None = None
    # `--target`: only these objects (or series) are planned; empty means all.
    targets: tuple[Address, ...] = ()
    # The team's policy sets and what they are told of the run; judged on the sealed plan.
    policies: tuple[PolicySet, ...] = ()
    policy_context: PolicyContext | None = None
    windows: tuple[ChangeWindow, ...] = ()  # when apply may write; judged with the policies


@dataclass(frozen=True, kw_only=True)
class PlanResult:
    """A sealed plan, the refreshed state it was made from, and what stands in apply's way.

    `violations` are the rails `--force` overrides; `drift_refusal` is `--on-drift fail`'s
    reason to refuse, which nothing overrides.
    """

    plan: Plan
    refreshed: Mapping[str, Refreshed]
    violations: tuple[str, ...]
    drift_refusal: str | None = None


def build_plan(
    state: DesiredState, providers: Mapping[str, Provider], options: PlanOptions
) -> PlanResult:
    """Refresh, then every pass in its one order, then the seal."""
    require_base(options.on_drift, has_base=options.base_declared is not None)
    refreshed = refresh_all(state, providers)
    return _guarded(derive(state, refreshed, options), refreshed, options)


def derive(state: DesiredState, refreshed: Mapping[str, Refreshed], options: PlanOptions) -> Plan:
    """The passes before the rails: the changes the configuration calls for, labelled."""
    plan = plan_changes(
        state, refreshed, prune=options.prune, adopt_unscoped=options.adopt_unscoped
    )
    notes = tuple(str(note) for note in series_notes(state.series))
    plan = replace(plan, warnings=(*notes, *plan.warnings))
    plan = plan_adoptions(plan, refreshed, adopt=options.adopt)
    if options.targets:
        require_known(options.targets, refreshed)
        plan = restrict(plan, options.targets)
    if options.base_declared is not None:
        plan = label_origins(plan, refreshed, options.base_declared)
    if options.on_drift is DriftPolicy.KEEP:
        plan = keep_remote_edits(plan, refreshed)
    plan = checked_plan(plan, refreshed, state.working_hours, strict=options.strict)
    return replace(plan, conflicts=plan_conflicts(plan, refreshed))


def recheck_saved(
    saved: SavedPlan,
    state: DesiredState,
    providers: Mapping[str, Provider],
    *,
    fingerprint: Fingerprint,
    rails: Rails,
    read_base: Callable[[str], Mapping[Address, Mapping[str, Any]] | None],
    policies: tuple[PolicySet, ...] = (),
    policy_context: PolicyContext | None = None,
) -> PlanResult:
    """A saved plan verified against the configuration and the live state, then guarded again.

    The configuration and the requests' destinations are checked before anything else (no
    request); then the declared state at the plan's base commit is read (`read_base`, git
    only), and the refresh that follows only lists. The plan is re-derived with the options it
    was made with.
    """
    check_configuration(saved, fingerprint)
    check_confined(saved.plan, providers, what=str(saved.path))
    options = PlanOptions(
        prune=saved.prune,
        adopt=saved.adopt,
        adopt_unscoped=saved.adopt_unscoped,
        strict=saved.strict,
        rails=rails,
        on_drift=saved.on_drift,
        base_declared=read_base(saved.base_commit) if saved.base_commit else None,
        policies=policies,
        policy_context=policy_context,
        windows=state.windows,
    )
    require_base(options.on_drift, has_base=options.base_declared is not None)
    refreshed = refresh_all(state, providers)
    selected = match_derived(saved, derive(state, refreshed, options), refreshed)
    return _guarded(selected, refreshed, options)


def _guarded(plan: Plan, refreshed: Mapping[str, Refreshed], options: PlanOptions) -> PlanResult:
    """The rails over what will be sent, the drift policy's refusal, and the seal."""
    guarded, violations = guard(plan, refreshed, options.rails)
    # What will be sent, whatever made it (a remote id could carry `../`): below base_url only.
    providers = {side.provider.name: side.provider for side in refreshed.values()}
    check_confined(guarded, providers, what="the plan")
    refusal = drift_refusal(guarded) if options.on_drift is DriftPolicy.FAIL else None
    sealed = seal(guarded, refreshed)
    context = options.policy_context
    if context is not None and (options.policies or options.windows):
        # On exactly what apply would send: a saved plan is judged on its derived changes,
        # never on what its file says (findings included).
        findings = judge(sealed, options.policies, context)
        closed = window_findings(sealed, options.windows, scope=context.scope, now=context.now)
        sealed = replace(
            sealed,
            findings=(*closed, *findings),
            policy_sets=tuple(policy_set.folder for policy_set in options.policies),
        )
    return PlanResult(
        plan=sealed,
        refreshed=refreshed,
        violations=tuple(violations),
        drift_refusal=refusal,
    )


def seal(plan: Plan, refreshed: Mapping[str, Refreshed]) -> Plan:
    """The plan with the checksum of the remote state of exactly the changes it holds."""
    return replace(
        plan, state_checksum=state_checksum(refreshed, [change.address for change in plan.changes])
    )
