"""Safety rails over a Plan: the frozen past, protected objects, short notice, mass changes.

- A session or event that has already started is never changed: its change is skipped, with the
  reason, and the plan says so. Nor is one created, or moved, to start before now (a year typo
  would make a phantom object, and for Prevail send invitations): skipped too, unless the object
  says `allow_past: true` (back-filling a record) or the apply is forced.
- A protected object is never cancelled or deleted (a replace counts as a cancel): skipped. It is
  protected while it is declared with `protect: true`, and, once such a plan was applied, by the
  mark on the object itself, until a plan that declares it with `protect: false` is applied:
  removing the entry from YAML does not lift it, and neither does `--force`.
- A change to anything starting within 24 hours needs `--force` (or `allow_short_notice: true`).
- A plan whose cancels/deletes (replaces included) or updates exceed a share (default 30 %) of a
  kind's managed objects, when there are at least 10, needs `--force`.

The last two are *violations*: `plan` shows them as warnings; `apply` refuses unless `--force`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from reconciler.engine.adoption import ADOPT_NOTE
from reconciler.engine.refresh import Refreshed
from reconciler.errors import UnsafePlanError
from reconciler.instants import format_utc, from_utc
from reconciler.instants import now as current_time
from reconciler.model import Action, Address, Change, DesiredObject, Plan, Skipped
from reconciler.reports import counted

SHORT_NOTICE = timedelta(hours=24)
PROTECTED_ON_OBJECT = (
    "protected on the object (protect: true was applied); it is never cancelled/deleted until "
    "a plan that declares it with protect: false has been applied"
)
MIN_OBJECTS_FOR_THRESHOLD = 10
TIMED_KINDS = frozenset({"sessions", "events"})


PROTECTED_AT_BASE = (
    "declared protect: true at the base ref, but its mark no longer says so (edited remotely?); "
    "it is not removed while the applied configuration protects it: declare it with protect: "
    "false first if it must go"
)


@dataclass(frozen=True, kw_only=True)
class Rails:
    force: bool = False
    threshold_percent: float = 30.0
    now: datetime | None = None
    # Objects declared `protect: true` at the base ref (`--base-ref`): the last applied state's
    # protection, which a mark edited remotely does not lift.
    base_protected: frozenset[Address] = frozenset()


def guard(plan: Plan, refreshed: Mapping[str, Refreshed], rails: Rails) -> tuple[Plan, list[str]]:
    """The plan with held-back changes moved to `skipped`, and the violations that need --force."""
    now = rails.now or current_time()  # RECONCILER_NOW can pin it
    sides = {side.provider.kind: side for side in refreshed.values()}
    kept: list[Change] = []
    skipped: list[Skipped] = list(plan.skipped)
    short_notice: list[str] = []
    for change in plan.changes:
        side = sides.get(change.address.kind)
        desired = side.desired.get(change.address.key) if side else None
        current = side.remote(change.address.key) if side else None
        removes = change.action.is_removal or change.action is Action.REPLACE
        if removes and desired is not None and desired.protect:
            skipped.append(Skipped(change.address, "protect: true; it is never cancelled/deleted"))
            continue
        if removes and current is not None and current.protected:
            skipped.append(Skipped(change.address, PROTECTED_ON_OBJECT))
            continue
        if removes and change.address in rails.base_protected:
            skipped.append(Skipped(change.address, PROTECTED_AT_BASE))
            continue
        starts = [
            moment
            for moment in (
                _instant(current.starts_at if current else None),
                _instant(desired.starts_at if desired else None),
            )
            if moment is not None
        ]
        if change.address.kind in TIMED_KINDS and current is not None and current.starts_at:
            begun = _instant(current.starts_at)
            if begun is not None and begun <= now:
                skipped.append(
                    Skipped(change.address, f"it started at {current.starts_at}; the past is "
                            "frozen")
                )
                continue
        into_past = _into_the_past(change, desired, now)
        if into_past is not None and not rails.force:
            skipped.append(Skipped(change.address, into_past))
            continue
        soon = [moment for moment in starts if now < moment <= now + SHORT_NOTICE]
        # Adopting, or writing the scope mark, only marks an object: its schedule stays.
        allowed = (desired is not None and desired.allow_short_notice) or _marks_only(change)
        if change.address.kind in TIMED_KINDS and soon and not allowed:
            short_notice.append(str(change.address))
        kept.append(change)
    guarded = replace(
        plan,
        changes=tuple(kept),
        skipped=tuple(skipped),
    )
    violations: list[str] = []
    if short_notice:
        violations.append(
            f"{counted(len(short_notice), 'changes')} to objects starting within 24 hours "
            f"({', '.join(short_notice[:5])}{', …' if len(short_notice) > 5 else ''}); "
            "apply with --force, or set allow_short_notice: true on the object"
        )
    violations.extend(_mass_changes(guarded, sides, rails.threshold_percent))
    return guarded, violations


def enforce(violations: list[str], *, force: bool) -> None:
    if violations and not force:
        raise UnsafePlanError("refusing to apply: " + "; ".join(violations))


def _mass_changes(
    plan: Plan, sides: Mapping[str, Refreshed], threshold_percent: float
) -> list[str]:
    violations = []
    for kind, side in sorted(sides.items()):
        managed = len(side.current) + len(side.extras)  # duplicates are live managed objects
        if managed < MIN_OBJECTS_FOR_THRESHOLD:
            continue
        changes = [change for change in plan.changes if change.address.kind == kind]
        removals = sum(
            1 for c in changes if c.action.is_removal or c.action is Action.REPLACE
        )
        updates = sum(1 for c in changes if c.action is Action.UPDATE and not _marks_only(c))
        limit = managed * threshold_percent / 100
        for count, what in ((removals, "cancel/delete"), (updates, "update")):
            if count > limit:
                violations.append(
                    f"the plan would {what} {count} of {managed} managed {kind} "
                    f"({count * 100 / managed:.0f} % > {threshold_percent:g} %); review it and "
                    "apply with --force if it is intended (or raise --max-change-percent)"
                )
    return violations


def _marks_only(change: Change) -> bool:
    """An update that writes only our marker (adoption, scope, protection): no field changes."""
    return change.action is Action.UPDATE and (change.note == ADOPT_NOTE or not change.fields)


def _into_the_past(change: Change, desired: DesiredObject | None, now: datetime) -> str | None:
    """Why a change that creates a session or event, or moves one, before now is held back
    (None when it is not such a change, or the object allows the past)."""
    if change.address.kind not in TIMED_KINDS or desired is None or desired.allow_past:
        return None
    moves = change.action is Action.UPDATE and any(f.name == "start" for f in change.fields)
    if change.action not in (Action.CREATE, Action.REPLACE) and not moves:
        return None
    start = desired.starts_at
    begins = _instant(start)
    if start is None or begins is None:
        return None
    # An all-day event is in the past once its day (in UTC, as its date is stored) is over.
    if (begins + timedelta(days=1) if len(start) == 10 else begins) > now:
        return None
    held = {Action.CREATE: "created", Action.REPLACE: "scheduled anew"}.get(change.action, "moved")
    when = "would start at" if change.action is not Action.UPDATE else "would move to"
    return (
        f"it {when} {start}, before now ({format_utc(now)}): the past is frozen, so it is not "
        f"{held}; set allow_past: true on it to back-fill a record, or apply with --force"
    )


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return from_utc(text)
    except ValueError:
        return None
