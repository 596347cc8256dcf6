"""`apply --adopt`: imported entries become marking-only updates, never a second create.

Planning an entry that `reconciler import` wrote (it has `remote_id`) finds no managed twin, so it
would be a create; `plan_adoptions` turns that create into an adoption when `--adopt` is given
(Prospero: a merge patch of the customFields markers only) and into a skipped entry otherwise, so
an imported object is never created a second time. Previsto assignments are found by
`select: {id}` and only gain the two reserved metadata keys. Prevail cannot adopt
(additional_details, where the key lives, is not editable): such entries are skipped with the
reason.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from reconciler.engine import next_steps
from reconciler.engine.diff import field_changes
from reconciler.engine.refresh import Refreshed
from reconciler.model import Action, Change, Plan, RemoteObject, Skipped
from reconciler.providers.base import Provider

log = logging.getLogger(__name__)

ADOPT_NOTE = "adopt"
SINGULAR = {"sessions": "session", "events": "event", "assignments": "assignment"}


def plan_adoptions(plan: Plan, refreshed: Mapping[str, Refreshed], *, adopt: bool) -> Plan:
    """The plan with imported entries adopted (`adopt`) or skipped, never created again."""
    sides = {side.provider.kind: side for side in refreshed.values()}
    changes: list[Change] = []
    skipped = list(plan.skipped)
    warnings = list(plan.warnings)
    pools: dict[str, dict[str, RemoteObject]] = {}
    for change in plan.changes:
        side = sides.get(change.address.kind)
        desired = side.desired.get(change.address.key) if side else None
        remote_id = desired.lookup.get("remote_id") if desired else None
        if side is None or desired is None or change.action is not Action.CREATE or not remote_id:
            changes.append(change)
            continue
        provider, what = side.provider, SINGULAR.get(side.provider.kind, "object")
        refusal = provider.adoption_refusal()
        if refusal is not None:
            skipped.append(Skipped(change.address, f"remote_id {remote_id}: {refusal}"))
            continue
        if not adopt:
            skipped.append(
                Skipped(
                    change.address,
                    f"imported from the {provider.name} {what} {remote_id}, not managed yet: "
                    f"{next_steps.command('apply', '--adopt')} marks it (it is never created "
                    "again)",
                )
            )
            continue
        if provider.kind not in pools:  # one list walk per kind, only when adopting
            pools[provider.kind] = {r.remote_id: r for r in provider.list_unmanaged()}
        found = pools[provider.kind].get(str(remote_id))
        if found is None:
            skipped.append(
                Skipped(
                    change.address,
                    f"remote_id {remote_id}: no unmanaged {what} has this id (deleted, or managed "
                    "under another key); delete remote_id to create it anew",
                )
            )
            continue
        differing = field_changes(desired, found, merge_fields=provider.merge_fields)
        if differing:
            names = ", ".join(field.name for field in differing)
            warnings.append(
                f"{change.address}: adopted as it is; {names} differ from the configuration, "
                "and the next plan updates them"
            )
        changes.append(
            _adoption(change, provider, provider.adopt_calls(found, desired), found)
        )
    if adopt:
        changes.extend(_unmarked(sides, {change.address for change in changes}))
    changes.sort(key=lambda change: change.sort_key)
    return replace(
        plan,
        changes=tuple(changes),
        skipped=tuple(skipped),
        warnings=tuple(warnings),
    )


def _unmarked(sides: Mapping[str, Refreshed], planned: set[Any]) -> list[Change]:
    """Declared objects found by a lookup (Previsto's select) but not yet marked as ours.

    A change to one marks it anyway; one already as declared gets a marking-only request.
    """
    found = []
    for side in sides.values():
        for key, current in side.current.items():
            desired = side.desired.get(key)
            # Previsto reports a selected but unmarked assignment in this state.
            if desired is None or current.state != "unmarked" or desired.address in planned:
                continue
            calls = side.provider.adopt_calls(current, desired)
            template = Change(
                address=desired.address,
                provider=side.provider.name,
                action=Action.UPDATE,
                reason="",
                location=desired.location,
            )
            found.append(_adoption(template, side.provider, calls, current))
    return found


def _adoption(
    change: Change, provider: Provider, calls: tuple[Any, ...], found: RemoteObject
) -> Change:
    remote_id = found.remote_id
    what = SINGULAR.get(provider.kind, "object")
    return replace(
        change,
        action=Action.UPDATE,
        reason=f"adopt the existing {what} {remote_id}: mark it as managed, nothing else changes",
        fields=(),
        requests=calls,
        remote_id=remote_id,
        note=ADOPT_NOTE,
        before=found.fields,
        after=found.fields,  # only the marker changes
    )


