"""Right before the first write: what the plan changes is read again, and an edit made since the
plan was read is not overwritten.

    plan (read) ─▶ shown, confirmed ─▶ re-read ─▶ compare ─▶ refuse, or keep the edits ─▶ writes

A person reads the plan while a colleague edits an object in the web UI, then types `yes`; a
saved plan is applied hours after it was made. The re-read lists, per provider written to, the
objects the plan writes over their window only (the read-back's lists, `Provider.read_back`,
given the plan's view of each object so that it is looked for where the plan saw it): one list
request a kind, as a rule. Each change is then compared with the state the plan was computed
from (`Refreshed`: the plan's refresh, or a saved plan's verifying one):

- an update: the fields it writes (those it changes, and those its request carries along, as
  Prevail sends date, time and zone together), the object's id, state and marker. A field it
  does not write may change meanwhile: the update leaves it as the colleague set it. A written
  field moved to the very value the plan writes is no conflict: it is left out of the request.
- a cancel, delete or replace: the whole object. Removing it discards whatever was edited, and
  the person confirmed the removal of the object as the plan showed it. One already gone
  needs nothing more, and is left out.
- a create: an object of its key that appeared meanwhile (another apply, a colleague) is not
  created a second time.

`--on-drift` decides what a conflict does, as it does for the drift a plan shows: `keep` leaves
the edit as it is (the update sends its other fields; a removal or create is dropped) and says
so; `fail` refuses the apply before any write, naming each object and field; so does `revert`,
which reverts the edits a plan *shows*: this one was never shown, and the next plan shows it.
Changes that `--target` or the safety rails already left out are not read again.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from reconciler.engine.adoption import ADOPT_NOTE
from reconciler.engine.diff import field_changes, same
from reconciler.engine.drift_policy import DriftPolicy
from reconciler.engine.refresh import Refreshed, by_scope
from reconciler.model import (
    Action,
    Change,
    DesiredObject,
    FieldChange,
    Plan,
    RemoteObject,
    Skipped,
)
from reconciler.providers.base import Provider

# How many conflicts a refusal names before it counts the rest.
NAMED = 10
WHOLE_OBJECT = frozenset({Action.CANCEL, Action.DELETE, Action.REPLACE})


@dataclass(frozen=True, kw_only=True)
class Conflict:
    """A planned change whose object moved since the plan was read: what moved, in words."""

    change: Change
    moved: str

    def __str__(self) -> str:
        return f"{self.change.address} ({self.moved})"


@dataclass(frozen=True, kw_only=True)
class PreWrite:
    """What the re-read found: the plan to send now, the conflicts, what was left out and why,
    and the refusal (None: the writes may go ahead)."""

    plan: Plan
    conflicts: tuple[Conflict, ...] = ()
    left_out: tuple[Skipped, ...] = ()
    refusal: str | None = None


def check_before_write(
    plan: Plan, then: Mapping[str, Refreshed], *, policy: DriftPolicy
) -> PreWrite:
    """Read again what `plan` writes and compare it with `then`, the state it was made from."""
    checked = [change for change in plan.changes if change.note != ADOPT_NOTE]
    if not checked:
        return PreWrite(plan=plan)
    now = reread(checked, then)
    conflicts: list[Conflict] = []
    left_out: list[Skipped] = []
    sending: dict[int, Change | None] = {}
    for change in checked:
        side, fresh = then[change.provider], now[change.provider]
        verdict = _compare(change, side, fresh)
        if isinstance(verdict, Skipped):
            left_out.append(verdict)
            sending[id(change)] = None
        elif isinstance(verdict, Conflict):
            conflicts.append(verdict)
            kept = _keep(verdict, side, fresh) if policy is DriftPolicy.KEEP else change
            if kept is not change:
                left_out.append(Skipped(change.address, _kept_reason(verdict, kept)))
            sending[id(change)] = kept
        elif verdict is not change:
            sending[id(change)] = verdict
            if verdict is None:
                left_out.append(
                    Skipped(
                        change.address,
                        "already as declared: edited remotely "
                        "to the planned values after the plan was read",
                    )
                )
    refusal = None
    if conflicts and policy is not DriftPolicy.KEEP:
        named = "; ".join(str(conflict) for conflict in conflicts[:NAMED])
        more = f"; and {len(conflicts) - NAMED} more" if len(conflicts) > NAMED else ""
        refusal = (
            f"changed remotely after the plan was read, and the apply would overwrite it: "
            f"{named}{more}; nothing was sent. Run apply again to review the new plan (with "
            "--base-ref, --on-drift keep leaves such edits as they are)"
        )
    changes = tuple(
        sent for change in plan.changes if (sent := sending.get(id(change), change)) is not None
    )
    return PreWrite(
        plan=replace(plan, changes=changes, skipped=(*plan.skipped, *left_out)),
        conflicts=tuple(conflicts),
        left_out=tuple(left_out),
        refusal=refusal,
    )


def reread(changes: Sequence[Change], then: Mapping[str, Refreshed]) -> dict[str, Refreshed]:
    """Each written provider's objects read again over the window of `changes` alone, the
    providers side by side."""
    by_provider: dict[str, list[Change]] = {}
    for change in changes:
        by_provider.setdefault(change.provider, []).append(change)

    def one(name: str) -> Refreshed:
        side = then[name]
        keys = {change.address.key for change in by_provider[name]}
        declared = {key: side.desired[key] for key in sorted(keys) if key in side.desired}
        seen = [remote for key in sorted(keys) if (remote := side.remote(key)) is not None]
        found = side.provider.read_back(list(declared.values()), also=seen)
        return by_scope(side.provider, declared, found)

    with ThreadPoolExecutor(max_workers=len(by_provider), thread_name_prefix="reread") as pool:
        # As refresh: each walk in a copy of the caller's context (a clock pin holds there).
        futures = {
            name: pool.submit(contextvars.copy_context().run, one, name) for name in by_provider
        }
        return {name: future.result() for name, future in futures.items()}


def _compare(change: Change, then: Refreshed, now: Refreshed) -> Change | Conflict | Skipped | None:
    """The change as it may go now (itself, narrowed, or None when nothing is left to write), a
    conflict, or a removal left out because its object is gone."""
    key = change.address.key
    before, after = then.remote(key), now.remote(key)
    if change.action is Action.CREATE:
        if after is None:
            return change
        return Conflict(change=change, moved=f"an object with this key appeared: {after.remote_id}")
    if before is None:
        return change  # nothing was read to compare with (an adoption's unmanaged object)
    if after is None or after.remote_id != before.remote_id:
        if change.action.is_removal:
            return Skipped(change.address, "already gone when the apply was about to remove it")
        gone = "deleted, or moved away" if after is None else f"replaced by {after.remote_id}"
        return Conflict(change=change, moved=gone)
    if change.action in WHOLE_OBJECT:
        moved = _whole_object_moved(before, after)
        return Conflict(change=change, moved=", ".join(moved)) if moved else change
    marker = _marker_moved(before, after)
    if marker:
        return Conflict(change=change, moved=", ".join(marker))
    provider, desired = then.provider, then.desired.get(key)
    if desired is None:
        return change
    moved = [
        name
        for name in written(provider, change, before, then)
        if not same(before.fields.get(name), after.fields.get(name))
    ]
    if not moved:
        return change
    differing = {item.name for item in _still_differing(provider, desired, after)}
    clashing = [name for name in moved if name in differing]
    if clashing:
        return Conflict(change=change, moved=", ".join(clashing))
    # Every moved field now holds the planned value: the request leaves it out.
    return _narrowed(change, provider, after, then, drop=set(moved))


def written(
    provider: Provider, change: Change, current: RemoteObject, side: Refreshed
) -> list[str]:
    """The fields an update's requests write: those it changes, and the declared ones its
    request carries along (the request is the same whether or not they are named)."""
    names = [item.name for item in change.fields]
    desired = side.desired.get(change.address.key)
    if desired is None:
        return names
    base = provider.update_plan(current, desired, change.fields)
    for name, value in desired.fields.items():
        if name in names:
            continue
        named = [*change.fields, FieldChange(name, current.fields.get(name), value)]
        alongside = provider.update_plan(current, desired, named)
        if alongside.action is base.action and alongside.requests == base.requests:
            names.append(name)
    return names


def _still_differing(
    provider: Provider, desired: DesiredObject, current: RemoteObject
) -> list[FieldChange]:
    """The fields a plan made now would change (those it ignores left out)."""
    return [
        item
        for item in field_changes(desired, current, merge_fields=provider.merge_fields)
        if item.name not in desired.ignore_changes
    ]


def _whole_object_moved(before: RemoteObject, after: RemoteObject) -> list[str]:
    names = sorted(
        name
        for name in before.fields.keys() | after.fields.keys()
        if not same(before.fields.get(name), after.fields.get(name))
    )
    return (
        names
        + _marker_moved(before, after)
        + (["its owned fields"] if before.owned != after.owned else [])
    )


def _marker_moved(before: RemoteObject, after: RemoteObject) -> list[str]:
    moved = []
    if before.state != after.state:
        moved.append(f"state {before.state} → {after.state}")
    if before.scope != after.scope or before.protected != after.protected:
        moved.append("its scope mark")
    return moved


def _narrowed(
    change: Change, provider: Provider, current: RemoteObject, side: Refreshed, *, drop: set[str]
) -> Change | None:
    """The update without the fields in `drop`, planned against `current` (None: no field left)."""
    desired = side.desired[change.address.key]
    fields = tuple(item for item in change.fields if item.name not in drop)
    if not fields:
        return None
    update = provider.update_plan(current, desired, fields)
    return replace(
        change,
        action=update.action,
        reason=update.reason,
        fields=fields,
        requests=update.requests,
        drift_fields=tuple(n for n in change.drift_fields if n not in drop),
    )


def _keep(conflict: Conflict, then: Refreshed, now: Refreshed) -> Change | None:
    """`--on-drift keep`: the change without what would overwrite the edit, or None (dropped)."""
    change = conflict.change
    key = change.address.key
    before, after = then.remote(key), now.remote(key)
    if (
        change.action is not Action.UPDATE
        or before is None
        or after is None
        or _marker_moved(before, after)
        or after.remote_id != before.remote_id
    ):
        return None
    provider, desired = then.provider, then.desired.get(key)
    if desired is None:
        return None
    moved = {
        name
        for name in written(provider, change, before, then)
        if not same(before.fields.get(name), after.fields.get(name))
    }
    narrowed = _narrowed(change, provider, after, then, drop=moved)
    if narrowed is None:
        return None
    # A kept field the request would still send with the others (Prevail's date, time and
    # zone) cannot be kept apart: the change is left out whole.
    if moved & set(written(provider, narrowed, after, then)):
        return None
    return narrowed


def _kept_reason(conflict: Conflict, kept: Change | None) -> str:
    what = f"remote edit made after the plan was read kept ({conflict.moved}; --on-drift keep)"
    if kept is None:
        return what + ": not changed"
    return what + f"; {', '.join(item.name for item in kept.fields)} updated"
