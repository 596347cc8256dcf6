"""The changes each provider's objects need: create, update (or replace) and removal.

Pure over the refreshed state, and only ever over this configuration's scope: for every declared
object, a create when no twin was found, or the provider's update for the fields (and the marker)
that differ; for every object of the scope no longer declared, a removal when `--prune` asks for
one (or when its series dropped the occurrence), but never of a kind the configuration declares
nothing of; and for every extra object of a key (a duplicate), a removal that keeps the oldest.
An object marked before scopes existed is taken into the scope only with `--adopt-unscoped`.
The plan these make is not sealed yet: `engine.plan` runs the other passes, then seals it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.config import DesiredState
from reconciler.config.recurrence import Membership, Series, membership, series_sizes
from reconciler.engine.diff import field_changes
from reconciler.engine.refresh import Refreshed
from reconciler.model import (
    KINDS,
    Action,
    Address,
    Change,
    DesiredObject,
    FieldChange,
    Plan,
    RemoteObject,
    ScopeReport,
    Skipped,
    duplicate_key,
)
from reconciler.providers.base import Provider

log = logging.getLogger(__name__)

ADOPT_SCOPE_NOTE = "adopt scope"
ADOPT_UNSCOPED_HINT = "`--adopt-unscoped` takes it into this configuration's scope"


@dataclass
class _Found:
    """What one provider's pass found: changes, held-back entries and notes for the user."""

    changes: list[Change] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def plan_changes(
    state: DesiredState,
    refreshed: Mapping[str, Refreshed],
    *,
    prune: bool = False,
    adopt_unscoped: bool = False,
) -> Plan:
    """The minimal changes that bring this scope's managed objects to the declared state."""
    found = _Found()
    for side in refreshed.values():
        series = state.series.get(side.provider.kind, {})
        _changes_for(side, found, prune=prune, adopt_unscoped=adopt_unscoped, series=series)
    found.changes.sort(key=lambda change: change.sort_key)
    kept, held = _hold_back(found.changes, refreshed)
    found.skipped.extend(held)
    report = scope_report(state, refreshed)
    if report is not None:
        found.warnings.extend(_elsewhere_hint(state, refreshed, report))
    return Plan(
        changes=kept,
        state_checksum="",
        providers=tuple(sorted(refreshed)),
        skipped=tuple(found.skipped),
        warnings=tuple(found.warnings),
        series_sizes=series_sizes(state.series),
        scope=report,
        duplicates=tuple(d for side in refreshed.values() for d in side.duplicates),
    )


def scope_report(state: DesiredState, refreshed: Mapping[str, Refreshed]) -> ScopeReport | None:
    """The scope, and the objects of other owners that refresh found and left alone."""
    if state.scope is None:
        return None
    sides = sorted(refreshed.values(), key=lambda side: KINDS.index(side.provider.kind))
    return ScopeReport(
        name=state.scope.name,
        origin=state.scope.origin,
        others={side.provider.kind: dict(side.others) for side in sides if side.others},
        unscoped={side.provider.kind: side.unscoped_count for side in sides if side.unscoped_count},
    )


def _changes_for(
    side: Refreshed,
    found: _Found,
    *,
    prune: bool,
    adopt_unscoped: bool,
    series: Mapping[str, Series],
) -> None:
    provider = side.provider
    for key, desired in side.desired.items():
        current = side.current.get(key)
        legacy = side.unscoped.get(key) if current is None else None
        if current is not None:
            change = _update(provider, desired, current, found)
        elif legacy is not None and adopt_unscoped:
            change = _update(provider, desired, legacy, found, adopting=True)
        elif legacy is not None:
            found.skipped.append(
                Skipped(
                    desired.address,
                    f"managed before scopes ({legacy.remote_id} carries this key but no scope), "
                    f"so it is left alone: {ADOPT_UNSCOPED_HINT}",
                )
            )
            change = None
        elif (twin := _identical_elsewhere(provider, desired, side)) is not None:
            found.skipped.append(Skipped(desired.address, _claimed_elsewhere(provider, twin)))
            change = None
        else:
            change = _create(provider, desired)
        if change is not None:
            found.changes.append(change)
    # A configuration that declares nothing of a kind never removes anything of it: a file that
    # only holds events must not prune every session of its scope.
    if side.desired or series:
        for key, current in side.current.items():
            if key not in side.desired:
                removal = _removal(provider, current, prune=prune, series=series)
                if removal is not None:
                    found.changes.append(removal)
    elif prune and side.current:
        found.warnings.append(
            f"--prune: the configuration declares no {provider.kind}, so none of the "
            f"{len(side.current)} managed {provider.kind} of its scope is removed"
        )
    for duplicate in side.duplicates:
        for extra_id in duplicate.extras:
            extra = side.extras[duplicate_key(duplicate.address.key, extra_id)]
            found.changes.append(_duplicate_removal(provider, extra, duplicate.kept))


def _hold_back(
    changes: list[Change], refreshed: Mapping[str, Refreshed]
) -> tuple[tuple[Change, ...], tuple[Skipped, ...]]:
    """The changes requests can make, and the others skipped with the provider's reason (the
    object a change names may be this scope's, a duplicate or one adopted from before scopes)."""
    sides = {side.provider.kind: side for side in refreshed.values()}
    kept: list[Change] = []
    held: list[Skipped] = []
    for change in changes:
        side = sides[change.address.kind]
        current = side.remote(change.address.key)
        why = side.provider.held_back(current) if current is not None else None
        if why is None:
            kept.append(change)
        else:
            held.append(Skipped(change.address, f"{change.reason}, but {why}"))
    return tuple(kept), tuple(held)


def _identical_elsewhere(
    provider: Provider, desired: DesiredObject, side: Refreshed
) -> RemoteObject | None:
    """Another scope's object of this key that already holds every declared field.

    One key in two scopes is two objects; but one that is this object to the last field is most
    likely this scope's own, its scope mark changed by hand: creating it again would make a
    second (and, for Prevail, invite everyone again). It is left for the user to decide.
    """
    twin = side.elsewhere.get(desired.key)
    if twin is None or field_changes(desired, twin, merge_fields=provider.merge_fields):
        return None
    return twin


def _claimed_elsewhere(provider: Provider, twin: RemoteObject) -> str:
    return (
        f"not created: {provider.name} holds {twin.remote_id} with this key and every declared "
        f"field, marked for the scope {twin.scope!r}. If it is this configuration's, its scope "
        f"mark was changed: set it back to {provider.scope!r} in {provider.name} (or remove "
        "the mark and run with --adopt-unscoped); if it is that scope's own, give this object "
        "another key"
    )


def _create(provider: Provider, desired: DesiredObject) -> Change:
    return Change(
        address=desired.address,
        provider=provider.name,
        action=Action.CREATE,
        reason="declared but not found remotely",
        fields=tuple(FieldChange(name, None, value) for name, value in desired.fields.items()),
        requests=provider.create_calls(desired),
        location=desired.location,
        note="request" if desired.via == "request" else None,
        time_zone=desired.time_zone,
        starts_at=desired.starts_at,
        after=desired.fields,
    )


def _update(
    provider: Provider,
    desired: DesiredObject,
    current: RemoteObject,
    found: _Found,
    *,
    adopting: bool = False,
) -> Change | None:
    # A value the server normalises (as its docs say) is compared as it holds it, and said.
    compared, cannot_hold = provider.settled(desired, current)
    found.warnings.extend(cannot_hold)
    differing = field_changes(compared, current, merge_fields=provider.merge_fields)
    applied = [c for c in differing if c.name not in desired.ignore_changes]
    ignored = tuple(c for c in differing if c.name in desired.ignore_changes)
    # A selected but unmarked object (Previsto) is marked by adoption or by its first change.
    remark = current.state != "unmarked" and provider.marker_stale(current, desired)
    if remark and not adopting and not provider.marker_editable:
        found.warnings.append(_unrecordable_protection(provider, desired, current))
        remark = False
    # A rename re-marks the object with its new key, in the same write as any field change;
    # where the marker cannot be written, the old key goes on finding it (unless it is
    # scheduled anew for another reason, which writes the new key).
    rekey = current.moved_from is not None and provider.marker_editable
    kept_key = current.moved_from if not rekey else None
    if not applied and not remark and not rekey:
        if kept_key is not None:
            found.warnings.append(_unrecordable_move(provider, desired, kept_key))
        if ignored:
            log.info("%s: changes to %s are ignored", desired.address, ignored)
        return None
    update = provider.update_plan(current, desired, applied)
    if kept_key is not None and update.action is Action.UPDATE:
        found.warnings.append(_unrecordable_move(provider, desired, kept_key))
    reason = update.reason if applied else _marker_reason(desired, current)
    if adopting:
        reason = (
            f"managed before scopes: take it into the scope {provider.scope} (--adopt-unscoped)"
            + (f"; {update.reason}" if applied or update.action is not Action.UPDATE else "")
        )
    return Change(
        address=desired.address,
        provider=provider.name,
        action=update.action,
        reason=reason,
        fields=tuple(applied),
        requests=update.requests,
        remote_id=current.remote_id,
        ignored=ignored,
        location=desired.location,
        note=ADOPT_SCOPE_NOTE if adopting else None,
        time_zone=desired.time_zone,
        starts_at=desired.starts_at,
        moved_from=Address(current.kind, current.moved_from) if current.moved_from else None,
        before=current.fields,
        after={**current.fields, **{change.name: change.after for change in applied}},
    )


def _marker_reason(desired: DesiredObject, current: RemoteObject) -> str:
    if current.moved_from is not None:
        return (f"renamed: record the key {desired.key} on the object (it carries "
                f"{current.moved_from})")
    if current.protected != desired.protect:
        return (
            "record protect: true on the object"
            if desired.protect
            else "clear the object's protection (protect: false)"
        )
    return "record this configuration's scope on the object"


def _unrecordable_move(provider: Provider, desired: DesiredObject, old_key: str) -> str:
    noun = desired.kind.removesuffix("s")
    return (
        f"{desired.address} was {desired.kind}.{old_key}: {provider.name} cannot rewrite the "
        f"marker of an existing {noun}, so it keeps the key {old_key}, which identifies it for "
        f"as long as previous_keys lists {old_key} (keep it there while the {noun} is live)"
    )


def _unrecordable_protection(
    provider: Provider, desired: DesiredObject, current: RemoteObject
) -> str:
    if desired.protect:
        return (
            f"{desired.address}: protect: true cannot be recorded on it ({provider.name} keeps "
            "the marker it was created with): it is protected while it is declared so"
        )
    return (
        f"{desired.address}: it was created with protect: true, which {provider.name} cannot "
        "clear: the reconciler never cancels or replaces it (cancel it in "
        f"{provider.name} if it must go)"
    )


def _removal(
    provider: Provider, current: RemoteObject, *, prune: bool, series: Mapping[str, Series]
) -> Change | None:
    # A declared series owns its occurrences: one its rule dropped goes without --prune;
    # one it still has (past, or beyond the horizon) stays even with --prune.
    member = membership(current.key, series)
    if member is Membership.DROPPED:
        reason = "no longer an occurrence of its series (exdates, until or the rule changed)"
    elif prune and member is None:
        reason = "managed but no longer declared (--prune)"
    else:
        return None
    action, calls = provider.removal_calls(current)
    return Change(
        address=current.address,
        provider=provider.name,
        action=action,
        reason=reason,
        requests=calls,
        remote_id=current.remote_id,
        time_zone=current.fields.get("time_zone"),
        starts_at=current.starts_at,
        before=current.fields,
    )


def _duplicate_removal(provider: Provider, extra: RemoteObject, kept: str) -> Change:
    return duplicate_removal(
        provider, extra,
        reason=f"a duplicate: {extra.address} is also carried by {kept}, the oldest, which is kept",
    )


def duplicate_removal(
    provider: Provider, extra: RemoteObject, *, reason: str, silent: bool = False
) -> Change:
    """The removal of a live extra of a key; `silent`: without notifying its participants."""
    action, calls = (provider.silent_removal_calls if silent else provider.removal_calls)(extra)
    return Change(
        address=Address(extra.kind, duplicate_key(extra.key, extra.remote_id)),
        provider=provider.name,
        action=action,
        reason=reason,
        requests=calls,
        remote_id=extra.remote_id,
        time_zone=extra.fields.get("time_zone"),
        starts_at=extra.starts_at,
        before=extra.fields,
    )


def _elsewhere_hint(
    state: DesiredState, refreshed: Mapping[str, Refreshed], report: ScopeReport
) -> list[str]:
    """When a derived scope owns nothing yet while other scopes own objects, say how to join one.

    A derived name follows the clone (its origin remote, its path): a moved folder or a fork
    finds its own objects under another scope, and would create them all again.
    """
    if state.scope is None or state.scope.declared:
        return []
    if any(side.current or side.extras for side in refreshed.values()) or not report.others:
        return []
    totals: dict[str, int] = {}
    for counts in report.others.values():
        for name, count in counts.items():
            totals[name] = totals.get(name, 0) + count
    named = ", ".join(f"{name} ({count})" for name, count in sorted(totals.items())[:3])
    return [
        f"this configuration's scope {state.scope.name!r} has no object yet, while other scopes "
        f"do: {named}; if one of them is this configuration's, set providers.stack to its name"
    ]
