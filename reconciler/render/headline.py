"""The one line a reviewer reads first: "3 sessions rescheduled, 1 cancelled, 2 events created."

Counted per kind, in the words of a schedule rather than of an API: an update that moves the
start is a reschedule; a replace (cancel, then schedule anew) is named as such.
"""

from __future__ import annotations

from collections import Counter

from reconciler.model import KINDS, Action, Change, Plan
from reconciler.render.times import reschedules

NOUNS = {"sessions": "session", "events": "event", "assignments": "assignment"}
# The order the verbs read in, within one kind.
VERBS = ("rescheduled", "created", "updated", "renamed", "replaced", "cancelled", "deleted")


def verb(change: Change) -> str:
    if change.action is Action.UPDATE:
        if change.moved_from is not None and not change.fields:
            return "renamed"  # only the key the object carries changes
        return "rescheduled" if reschedules(change) else "updated"
    return {
        Action.CREATE: "created",
        Action.REPLACE: "replaced",
        Action.CANCEL: "cancelled",
        Action.DELETE: "deleted",
    }[change.action]


def headline(plan: Plan) -> str:
    """`3 sessions rescheduled, 1 cancelled, 2 events created.` (empty for no changes)."""
    counts: dict[str, Counter[str]] = {}
    for change in plan.changes:
        counts.setdefault(change.address.kind, Counter())[verb(change)] += 1
    kinds = [kind for kind in KINDS if kind in counts]
    kinds += sorted(kind for kind in counts if kind not in KINDS)
    phrases: list[str] = []
    for kind in kinds:
        first = True
        for word in VERBS:
            count = counts[kind][word]
            if not count:
                continue
            if first:
                noun = NOUNS.get(kind, kind.rstrip("s"))
                phrases.append(f"{count:,} {noun if count == 1 else noun + 's'} {word}")
                first = False
            else:
                phrases.append(f"{count:,} {word}")
    return ", ".join(phrases) + "." if phrases else ""
