"""Change windows judged on a plan: outside its windows, apply refuses before any write.

For each kind the plan changes, the windows that apply to that kind and the plan's scope
decide: a deny window in progress closes it (deny wins); allow windows, where there are any,
must have one in progress. A closed kind is a mandatory finding that names the windows and the
next opening on the clock of the window that opens it, so `plan` says so in advance and `apply`
refuses (whatever `--force` says) until then.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from reconciler.config.windows import ChangeWindow
from reconciler.findings import Finding, PolicyLevel
from reconciler.model import Plan

RULE = "change-window"
MAX_STEPS = 1000  # openings tried before giving up on naming one


def window_findings(
    plan: Plan, windows: Sequence[ChangeWindow], *, scope: str | None, now: datetime
) -> list[Finding]:
    found = []
    for kind in sorted({change.address.kind for change in plan.changes}):
        applying = [window for window in windows if window.applies(kind, scope)]
        reason = closed_because(applying, now)
        if reason is None:
            continue
        opening = next_opening(applying, now)
        when = (
            f"the next opening is {opening[1].shown(opening[0])} ({opening[1].name})"
            if opening is not None
            else "no window opens within the next 400 days"
        )
        found.append(
            Finding(
                rule=RULE,
                level=PolicyLevel.MANDATORY,
                message=f"{kind} may not change now: {reason}; {when}",
            )
        )
    return found


def closed_because(windows: Sequence[ChangeWindow], moment: datetime) -> str | None:
    """Why changes may not be written at `moment` under these windows (None: they may)."""
    for window in windows:
        if not window.allow and window.instance_at(moment) is not None:
            return f"the deny window {window.name} is in progress"
    allows = [window for window in windows if window.allow]
    if allows and not any(window.instance_at(moment) is not None for window in allows):
        names = ", ".join(window.name for window in allows)
        return f"outside the allow window{'s' if len(allows) > 1 else ''} {names}"
    return None


def next_opening(
    windows: Sequence[ChangeWindow], now: datetime
) -> tuple[datetime, ChangeWindow] | None:
    """The first moment after `now` at which the windows let changes through, and the window
    whose start (an allow) or end (a deny) makes it so."""
    moment = now
    for _ in range(MAX_STEPS):
        candidates: list[tuple[datetime, ChangeWindow]] = []
        for window in windows:
            start = window.instance_at(moment)
            if not window.allow and start is not None:
                candidates.append((start + window.duration, window))
            elif window.allow and start is None:
                upcoming = window.next_start(moment)
                if upcoming is not None:
                    candidates.append((upcoming, window))
        later = [candidate for candidate in candidates if candidate[0] > moment]
        if not later:
            return None
        moment, window = min(later, key=lambda candidate: candidate[0])
        if closed_because(windows, moment) is None:
            return moment, window
    return None
