"""After the last write, read back what was written: every create exists exactly once, every
update holds.

    apply ─▶ refresh (the written kinds only) ─▶ changes ─▶ per applied change:
                                                   found and needing nothing more  ─▶ verified
                                                   a second live object of its key ─▶ removed
                                                   missing, or still differing     ─▶ unverified

A create whose answer was lost may still land after apply has looked for it and sent it again (a
server slower than the settle time), and a write answered 2xx may not hold (a server that
normalises, an edit made meanwhile). The read-back refreshes the written objects alone: for
each kind written to, the lists a plan makes but spanning only their window, and no per-object
reads. A duplicate of a key this run created is removed
at once, the newest extra, without notifying anyone (it is the run's own mistake, and its
invitations went out with it); what cannot be verified is reported, and the run fails.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.config import DesiredState
from reconciler.engine.apply import ApplyReport, Journal
from reconciler.engine.changes import duplicate_removal, plan_changes
from reconciler.engine.refresh import Refreshed, by_scope
from reconciler.errors import ReconcilerError
from reconciler.model import Action, Change, RemoteObject, duplicate_key
from reconciler.providers.base import Provider
from reconciler.reports import Outcome

log = logging.getLogger(__name__)

# The changes whose result a read-back can see: what they made must now be there and hold.
VERIFIED_ACTIONS = frozenset({Action.CREATE, Action.REPLACE, Action.UPDATE})


@dataclass(frozen=True, kw_only=True)
class Unverified:
    """An applied change the read-back could not confirm, and why."""

    change: Change
    reason: str


@dataclass(kw_only=True)
class ReadBack:
    """What the read-back found: the applied changes it confirmed, those it could not, and the
    duplicates of this run's creates it removed (or failed to)."""

    verified: list[Change] = field(default_factory=list)
    unverified: list[Unverified] = field(default_factory=list)
    removed: list[Outcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.unverified and all(outcome.ok for outcome in self.removed)


def read_back(
    state: DesiredState,
    providers: Mapping[str, Provider],
    report: ApplyReport,
    *,
    adopt_unscoped: bool = False,
    journal: Journal | None = None,
) -> ReadBack:
    """Refresh the kinds this apply wrote to and check every applied create and update; each
    finding is journaled."""
    result = _read_back(state, providers, report, adopt_unscoped=adopt_unscoped)
    if journal is not None:
        for change in result.verified:
            journal.write("verified", change)
        for item in result.unverified:
            journal.write("unverified", item.change, message=item.reason)
        for outcome in result.removed:
            journal.write("duplicate-removed" if outcome.ok else "failed", outcome.change,
                          message=outcome.message)
    return result


def _read_back(
    state: DesiredState,
    providers: Mapping[str, Provider],
    report: ApplyReport,
    *,
    adopt_unscoped: bool,
) -> ReadBack:
    # A duplicate's removal (`key#id`) is not read back: the object is meant to be gone.
    applied = [o.change for o in report.applied if o.change.action in VERIFIED_ACTIONS
               and "#" not in o.change.address.key]
    result = ReadBack()
    if not applied:
        return result
    try:
        refreshed = _refresh_written(state, providers, applied)
    except ReconcilerError as error:
        result.unverified.extend(
            Unverified(change=change, reason=f"the read-back failed ({error})")
            for change in applied
        )
        return result
    remaining = {
        change.address: change
        for change in plan_changes(state, refreshed, adopt_unscoped=adopt_unscoped).changes
    }
    created = {change.address for change in applied if change.action is not Action.UPDATE}
    for change in applied:
        side = refreshed[change.provider]
        if side.current.get(change.address.key) is None:
            result.unverified.append(Unverified(change=change, reason="not found after the write"))
        elif (differs := _not_holding(change, remaining.get(change.address))):
            result.unverified.append(
                Unverified(change=change, reason=f"still differs after the write ({differs})")
            )
        else:
            result.verified.append(change)
    for side in refreshed.values():
        for duplicate in side.duplicates:
            if duplicate.address not in created:
                continue
            for extra_id in duplicate.extras:
                extra = side.extras[duplicate_key(duplicate.address.key, extra_id)]
                result.removed.append(_remove(side.provider, extra))
    return result


def _refresh_written(
    state: DesiredState, providers: Mapping[str, Provider], applied: list[Change]
) -> dict[str, Refreshed]:
    """The written objects' side of each provider written to: a refresh over their declared
    objects alone, so each walk spans only their window (one list a kind, as a rule), not the
    whole schedule's."""
    keys: dict[str, set[str]] = {}
    for change in applied:
        keys.setdefault(change.provider, set()).add(change.address.key)
    refreshed: dict[str, Refreshed] = {}
    for name, written in sorted(keys.items()):
        provider = providers[name]
        declared = [obj for obj in state.objects.get(provider.kind, ()) if obj.key in written]
        desired = {obj.key: provider.canonical(obj) for obj in declared}
        refreshed[name] = by_scope(
            provider, desired, provider.read_back(list(desired.values()))
        )
    return refreshed


def _not_holding(applied: Change, still: Change | None) -> str:
    """The fields the applied change wrote that the read-back still finds different ("" when
    they all hold). Only those: a field the plan chose not to write (`--on-drift keep`, an
    ignored difference) may still differ."""
    if still is None:
        return ""
    if applied.action is not Action.UPDATE or not applied.fields:
        return ", ".join(item.name for item in still.fields) or still.action.value
    written = {item.name for item in applied.fields}
    return ", ".join(item.name for item in still.fields if item.name in written)


def _remove(provider: Provider, extra: RemoteObject) -> Outcome:
    """Remove one live extra of a key this run created, silently (no notification e-mails)."""
    change = duplicate_removal(
        provider, extra, silent=True,
        reason=f"a duplicate of {extra.address} made by this run (a create that landed late)",
    )
    log.warning("%s: removing %s, a second live object of %s that this run made",
                provider.name, extra.remote_id, extra.address)
    return provider.apply_one(change)
