"""`--on-drift`: what a plan does with remote edits that git did not make.

A field is *drift* when the configuration declares it alike at the base ref (`--base-ref`) and
now, yet the remote value differs: someone edited the object outside git (`origins` labels each
change's `drift_fields`). The policy decides what happens to those fields:

- `revert` (the default): the plan reverts them, as it reverts any difference; the labels only
  say which reverted fields were remote edits.
- `keep`: the plan leaves them as they are remotely; an update keeps its other fields, and one
  left with nothing to change is dropped (listed as skipped, with the kept fields). A field the
  API can only set together with a changed one is reverted, with a warning.
- `fail`: apply refuses a plan that would revert any (plan shows it as a warning).

Creates and removals are never drift here: an object missing remotely is created again, and
removals follow `--prune`. `keep` and `fail` need a base ref: without one, git cannot tell a
remote edit from a change the configuration made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from enum import StrEnum

from reconciler.engine import next_steps
from reconciler.engine.refresh import Refreshed
from reconciler.errors import PlanError
from reconciler.model import Action, Change, FieldChange, Plan, Skipped
from reconciler.providers.base import UpdatePlan

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
    """The plan without its drift fields: each update sends only the fields git changed.

    A drift field the provider would send anyway with the others (Prevail sets start and zone
    together, and a replace schedules the whole session anew) cannot be kept: it stays in the
    change, still labelled, and a warning says so.
    """
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
        provider = side.provider
        remaining = [field for field in change.fields if field.name not in change.drift_fields]
        drifted = [field for field in change.fields if field.name in change.drift_fields]
        without = provider.update_plan(current, desired, remaining) if remaining else None
        forced = [
            field
            for field in drifted
            if without is not None
            and _same_effect(without, provider.update_plan(current, desired, [*remaining, field]))
        ]
        kept = [field.name for field in drifted if field not in forced]
        if forced and without is not None:
            anew = f" ({without.reason})" if without.action is Action.REPLACE else ""
            warnings.append(
                f"{change.address}: the remote edit to {_names(forced)} cannot be kept: "
                f"{provider.name} sets it with {_names(remaining)}{anew}; it is reverted"
            )
        if not kept:
            changes.append(change)
            continue
        sent = [field for field in change.fields if field.name not in kept]
        skipped.append(
            Skipped(
                change.address,
                f"remote edit to {', '.join(kept)} kept (--on-drift keep)"
                + (f"; {_names(sent)} updated" if sent else ""),
            )
        )
        if not sent:
            continue
        update = provider.update_plan(current, desired, sent)
        changes.append(
            replace(
                change,
                action=update.action,
                reason=update.reason,
                fields=tuple(sent),
                requests=update.requests,
                drift_fields=tuple(field.name for field in forced),
            )
        )
    return replace(plan, changes=tuple(changes), skipped=tuple(skipped), warnings=tuple(warnings))


def _same_effect(one: UpdatePlan, other: UpdatePlan) -> bool:
    """Whether two ways to update send the same requests (the reason may be worded apart)."""
    return one.action is other.action and one.requests == other.requests


def _names(fields: Sequence[FieldChange]) -> str:
    return ", ".join(field.name for field in fields)


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
        f"{next_steps.command('drift', '--write')}, or apply with --on-drift keep or revert"
    )
