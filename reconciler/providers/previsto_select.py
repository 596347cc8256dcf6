"""How a declared assignment's `select` finds its assignment: the documented filters it makes,
and an index of assignments by each select field, so that thousands of selects resolve without
a scan each."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from reconciler.model import DesiredObject
from reconciler.providers.previsto_listing import READ_AHEAD, Assignment

# `select` filter names (YAML) → assignment properties; `date` is plan.executionTime's day.
SELECT_FIELDS = {
    "id": "id",
    "contact_id": "contactId",
    "paying_contact_id": "payingContactId",
    "account_id": "accountId",
    "remote_order_id": "remoteOrderId",
    "status": "status",
    "action": "action",
}


class SelectIndex:
    """Assignments grouped by the value of each `select` field, built on first use.

    Resolving 10,000 selects against 10,000 assignments by scanning is 10^8 comparisons; with the
    groups, each select looks up its first filter and checks the few candidates left.
    """

    def __init__(self, assignments: Sequence[Assignment]) -> None:
        self.assignments = assignments
        self.groups: dict[str, dict[str, list[dict[str, Any]]]] = {}

    def matches(self, select: Mapping[str, Any]) -> list[dict[str, Any]]:
        if not select:
            return list(self.assignments)
        first, wanted = next(iter(select.items()))
        return [
            assignment
            for assignment in self._group(first).get(str(wanted), [])
            if all(value_of(assignment, name) == str(value) for name, value in select.items())
        ]

    def _group(self, name: str) -> dict[str, list[dict[str, Any]]]:
        if name not in self.groups:
            grouped: dict[str, list[dict[str, Any]]] = {}
            for assignment in self.assignments:
                grouped.setdefault(value_of(assignment, name), []).append(assignment)
            self.groups[name] = grouped
        return self.groups[name]


def select_filters(item: DesiredObject) -> dict[str, str]:
    """The documented equality filters (`contactId=…`) a declared select's properties make;
    `date`, a day of plan.executionTime, makes none."""
    return {SELECT_FIELDS.get(name, name): value
            for name, value in select_text(item).items() if name != "date"}


def select_text(item: DesiredObject) -> dict[str, str]:
    return {str(name): str(value) for name, value in item.lookup.items()}


def settled(item: DesiredObject, pool: Mapping[str, Assignment]) -> bool:
    """A `select: {id}` whose assignment is in hand: it matches exactly that one."""
    return set(item.lookup) == {"id"} and str(item.lookup["id"]) in pool


def value_of(assignment: Mapping[str, Any], name: str) -> str:
    """The assignment's value for a `select` field, as text (`date`: executionTime's day)."""
    if name == "date":
        plan = assignment.get("plan") or {}
        when = plan.get("executionTime") if isinstance(plan, Mapping) else None
        return when[:10] if isinstance(when, str) else ""
    return str(assignment.get(SELECT_FIELDS.get(name, name)))


# A filtered list: the assignments a filter answers, or None when the server showed it ignores it.
Filtered = Callable[[Mapping[str, str], Callable[[Assignment], bool]], list[Assignment] | None]


def read_selects(
    filtered: Filtered, unsettled: Sequence[DesiredObject]
) -> list[list[Assignment]] | None:
    """Every assignment each unsettled select's properties match (a `date` is left to
    `resolve`), a few requests at a time; None if the server ignored a filter."""

    def read(item: DesiredObject) -> list[Assignment] | None:
        return filtered(select_filters(item), lambda found: all(
            value_of(found, name) == value for name, value in select_text(item).items()
            if name != "date"
        ))

    with ThreadPoolExecutor(READ_AHEAD, thread_name_prefix="previsto-read") as pool:
        reads = list(pool.map(read, unsettled))
    return None if any(found is None for found in reads) else [r for r in reads if r]
