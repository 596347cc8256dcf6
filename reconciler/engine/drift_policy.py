"""`--on-drift`: what a plan does with remote edits that git did not make.

A field is *drift* when the configuration declares it alike at the base ref (`--base-ref`) and
now, yet the remote value differs: someone edited the object outside git (`origins` labels each
change's `drift_fields`). The policy decides what happens to those fields:

- `revert` (the default): the plan reverts them, as it reverts any difference; the labels only
  say which reverted fields were remote edits.
- `keep`: the plan leaves them as they are remotely; an update keeps its other fields, and one
  left with nothing to change is dropped (listed as skipped, with the kept fields).
- `fail`: apply refuses a plan that would revert any (plan shows it as a warning).

Creates and removals are never drift here: an object missing remotely is created again, and
removals follow `--prune`. `keep` and `fail` need a base ref: without one, git cannot tell a
remote edit from a change the configuration made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from enum import StrEnum

from reconciler.engine.refresh import Refreshed
from reconciler.errors import PlanError
from reconciler.model import Action, Change, Plan, Skipped

# How many drifted objects a refusal names before it counts the rest.
NAMED = 10


class DriftPolicy(StrEnum):
    REVERT = "revert"
    KEEP = "keep"
    FAIL = "fail"


def require_base(policy: DriftPolicy, *, has_base: bool) -> None:
    if policy is not DriftPolicy.REVERT and not has_base:
        raise PlanError(
            f"--on-drift {policy.value} needs --base-ref REF (the commit last applied, e.g. the "
            "push's previous commit): drift is what changed remotely while git did not"
        )


def keep_remote_edits(plan: Plan, refreshed: Mapping[str, Refreshed]) -> Plan:
    """The plan without its drift fields: each update sends only the fields git changed."""
    sides = {side.provider.kind: side for side in refreshed.values()}
    changes: list[Change] = []
    skipped = list(plan.skipped)
    warnings = list(plan.warnings)
    for change in plan.changes:
        side = sides.get(change.address.kind)
        desired = side.desired.get(change.address.key) if side else None
        current = side.current.get(change.address.key) if side else None
        if not change.drift_fields or side is None or desired is None or current is None:
            changes.append(change)
            continue
        kept = ", ".join(change.drift_fields)
        remaining = [field for field in change.fields if field.name not in change.drift_fields]
        if not remaining:
            skipped.append(
                Skipped(change.address, f"remote edit to {kept} kept (--on-drift keep)")
            )
            continue
        update = side.provider.update_plan(current, desired, remaining)
        if update.action is Action.REPLACE:
            # Scheduled anew from the configuration: the remote values cannot survive it.
            warnings.append(
                f"{change.address}: the remote edit to {kept} cannot be kept ({update.reason}); "
                "it is reverted"
            )
            changes.append(change)
            continue
        skipped.append(
            Skipped(
                change.address,
                f"remote edit to {kept} kept (--on-drift keep); "
                f"{', '.join(field.name for field in remaining)} updated",
            )
        )
        changes.append(
            replace(
                change,
                action=update.action,
                reason=update.reason,
                fields=tuple(remaining),
                requests=update.requests,
                drift_fields=(),
            )
        )
    return replace(plan, changes=tuple(changes), skipped=tuple(skipped), warnings=tuple(warnings))


def drift_refusal(plan: Plan) -> str | None:
    """Why `--on-drift fail` refuses the plan: the remote edits it would revert (None: none)."""
    drifted = [change for change in plan.changes if change.drift_fields]
    if not drifted:
        return None
    named = "; ".join(
        f"{change.address} ({', '.join(change.drift_fields)})" for change in drifted[:NAMED]
    )
    more = f"; and {len(drifted) - NAMED} more" if len(drifted) > NAMED else ""
    return (
        f"the plan would revert remote edits (--on-drift fail): {named}{more}; adopt them with "
        "`reconciler drift --write`, or apply with --on-drift keep or revert"
    )
