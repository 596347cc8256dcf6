"""The changes each provider's objects need: create, update (or replace) and removal.

Pure over the refreshed state: for every declared object, a create when no managed twin was
found, or the provider's update for the fields that differ; for every managed object no longer
declared, a removal when `--prune` asks for one (or when its series dropped the occurrence).
The plan these make is not sealed yet: `engine.plan` runs the other passes, then seals it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from reconciler.config import DesiredState
from reconciler.config.recurrence import Membership, Series, membership, series_sizes
from reconciler.engine.diff import field_changes
from reconciler.engine.refresh import Refreshed
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

log = logging.getLogger(__name__)


def plan_changes(
    state: DesiredState, refreshed: Mapping[str, Refreshed], *, prune: bool = False
) -> Plan:
    """The minimal changes that bring every provider's managed objects to the declared state."""
    changes: list[Change] = []
    for side in refreshed.values():
        series = state.series.get(side.provider.kind, {})
        changes.extend(_changes_for(side, prune=prune, series=series))
    changes.sort(key=lambda change: change.sort_key)
    kept, held = _hold_back(changes, refreshed)
    return Plan(
        changes=kept,
        skipped=held,
        state_checksum="",
        providers=tuple(sorted(refreshed)),
        series_sizes=series_sizes(state.series),
    )


def _changes_for(side: Refreshed, *, prune: bool, series: Mapping[str, Series]) -> list[Change]:
    provider = side.provider
    changes: list[Change] = []
    for key, desired in side.desired.items():
        current = side.current.get(key)
        change = (
            _create(provider, desired) if current is None else _update(provider, desired, current)
        )
        if change is not None:
            changes.append(change)
    for key, current in side.current.items():
        if key not in side.desired:
            removal = _removal(provider, current, prune=prune, series=series)
            if removal is not None:
                changes.append(removal)
    return changes


def _hold_back(
    changes: list[Change], refreshed: Mapping[str, Refreshed]
) -> tuple[tuple[Change, ...], tuple[Skipped, ...]]:
    """The changes requests can make, and the others skipped with the provider's reason."""
    sides = {side.provider.kind: side for side in refreshed.values()}
    kept: list[Change] = []
    held: list[Skipped] = []
    for change in changes:
        side = sides[change.address.kind]
        current = side.current.get(change.address.key)
        why = side.provider.held_back(current) if current is not None else None
        if why is None:
            kept.append(change)
        else:
            held.append(Skipped(change.address, f"{change.reason}, but {why}"))
    return tuple(kept), tuple(held)


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
    )


def _update(provider: Provider, desired: DesiredObject, current: RemoteObject) -> Change | None:
    differing = field_changes(desired, current, merge_fields=provider.merge_fields)
    if not differing:
        return None
    applied = [c for c in differing if c.name not in desired.ignore_changes]
    ignored = tuple(c for c in differing if c.name in desired.ignore_changes)
    if not applied:
        log.info("%s: changes to %s are ignored", desired.address, ignored)
        return None
    update = provider.update_plan(current, desired, applied)
    return Change(
        address=desired.address,
        provider=provider.name,
        action=update.action,
        reason=update.reason,
        fields=tuple(applied),
        requests=update.requests,
        remote_id=current.remote_id,
        ignored=ignored,
        location=desired.location,
        time_zone=desired.time_zone,
        starts_at=desired.starts_at,
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
    )
