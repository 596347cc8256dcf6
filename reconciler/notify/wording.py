"""A message's first line in the schedule's words: "3 sessions rescheduled, 1 cancelled".

Counts are grouped by kind (sessions, events, assignments, in that order); within a kind the
noun is said once, with its first count. An update that moves an object in time is a
reschedule; other updates are updates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from reconciler.model import KINDS, Action, Change

NOUNS = {"sessions": "session", "events": "event", "assignments": "assignment"}
# The fields whose change moves an object in time.
TIMING = frozenset({"start", "end", "time_zone", "duration_hours"})
# What was done, and what a plan would do, per kind of change; in the order they are said.
DONE = {
    "scheduled": "to schedule",
    "created": "to create",
    "rescheduled": "to reschedule",
    "updated": "to update",
    "replaced": "to replace",
    "cancelled": "to cancel",
    "deleted": "to delete",
}


def verb(change: Change) -> str:
    """What the change does to its object, as a past participle."""
    if change.action is Action.CREATE:
        return "scheduled" if change.address.kind == "sessions" else "created"
    if change.action is Action.UPDATE:
        moved = any(field.name in TIMING for field in change.fields)
        return "rescheduled" if moved else "updated"
    if change.action is Action.REPLACE:
        return "replaced"
    return "cancelled" if change.action is Action.CANCEL else "deleted"


def describe_changes(changes: Iterable[Change], *, planned: bool = False) -> str:
    """ "3 sessions rescheduled, 1 cancelled; 2 events created" (with `planned`: "3 sessions to
    reschedule, 1 to cancel"); empty without changes."""
    counted: Counter[tuple[str, str]] = Counter(
        (change.address.kind, verb(change)) for change in changes
    )
    return describe(
        {
            kind: [
                (DONE[done] if planned else done, counted[kind, done])
                for done in DONE
                if counted[kind, done]
            ]
            for kind in _kinds(kind for kind, _ in counted)
        }
    )


def describe(counts: dict[str, list[tuple[str, int]]]) -> str:
    """Kind -> [(what, how many)] as one line: "2 sessions edited remotely, 1 missing"."""
    groups = []
    for kind, entries in counts.items():
        said = []
        for index, (what, count) in enumerate(entries):
            noun = f" {count_noun(kind, count)}" if index == 0 else ""
            said.append(f"{count}{noun} {what}")
        if said:
            groups.append(", ".join(said))
    return "; ".join(groups)


def count_noun(kind: str, count: int) -> str:
    singular = NOUNS.get(kind, kind)
    return singular if count == 1 else f"{singular}s"


def _kinds(found: Iterable[str]) -> list[str]:
    """The kinds seen, in the configuration's order (an unknown one last)."""
    seen = set(found)
    return [kind for kind in KINDS if kind in seen] + sorted(seen - set(KINDS))
