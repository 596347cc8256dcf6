"""The one line a reviewer reads first: "3 sessions rescheduled, 1 cancelled, 2 events created."
The same words open a notification (`reconciler.notify`), for what was applied or refused.

Counted per kind, in the words of a schedule rather than of an API: an update that moves the
start is a reschedule; a replace (cancel, then schedule anew) is named as such.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

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


# The same verbs for what a plan would do (a refused plan's message: "4 events to delete").
PLANNED = {
    "rescheduled": "to reschedule",
    "created": "to create",
    "updated": "to update",
    "replaced": "to replace",
    "cancelled": "to cancel",
    "deleted": "to delete",
}


def headline(plan: Plan) -> str:
    """`3 sessions rescheduled, 1 cancelled, 2 events created.` (empty for no changes)."""
    said = summary(plan.changes)
    return f"{said}." if said else ""


def summary(changes: Iterable[Change], *, planned: bool = False) -> str:
    """`3 sessions rescheduled, 1 cancelled, 2 events created` for these changes (`planned`:
    `3 sessions to reschedule, 1 to cancel, ...`); empty for none."""
    counts: dict[str, Counter[str]] = {}
    for change in changes:
        counts.setdefault(change.address.kind, Counter())[verb(change)] += 1
    return phrases(
        {
            kind: [
                (PLANNED[word] if planned else word, counts[kind][word])
                for word in VERBS
                if counts[kind][word]
            ]
            for kind in counts
        }
    )


def phrases(counts: Mapping[str, Sequence[tuple[str, int]]]) -> str:
    """Kind -> [(what, how many)] as one line in the configuration's order of kinds, the noun
    said once per kind: `2 sessions rescheduled, 1 cancelled, 1 event created`."""
    kinds = [kind for kind in KINDS if kind in counts]
    kinds += sorted(kind for kind in counts if kind not in KINDS)
    said: list[str] = []
    for kind in kinds:
        for index, (word, count) in enumerate(counts[kind]):
            if index == 0:
                noun = NOUNS.get(kind, kind.rstrip("s"))
                said.append(f"{count:,} {noun if count == 1 else noun + 's'} {word}")
            else:
                said.append(f"{count:,} {word}")
    return ", ".join(said)
