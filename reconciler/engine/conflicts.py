"""The overlaps a plan introduces or resolves: the double-booking check, before and after.

The schedule now is this scope's managed objects as refreshed (and those the plan adopts); the
schedule after the apply is the same with every change of the plan applied (a create added, an
update's or replace's object as it will be, a cancel or delete gone). Both go through the
scheduling checks' rules (a person, by email, in two overlapping sessions; two events at one
location that overlap, cancelled ones not counted); an overlap only after is introduced, one only
before is resolved, and one in both (even if one of its objects moves) is neither.

Each object keeps its identity across a rename (refresh files it under its declared key), so
renaming an object that overlaps another neither resolves nor introduces anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from reconciler.engine.refresh import Refreshed
from reconciler.engine.scheduling import (
    Booking,
    event_span,
    participant_roles,
    place_of,
    session_span,
)
from reconciler.findings import Booked, Conflicts, Overlap
from reconciler.instants import format_utc
from reconciler.model import Plan

CHECKED = ("sessions", "events")


class Entry(NamedTuple):
    """A managed object as one side of the comparison sees it."""

    identity: str  # its address once refreshed (a renamed object's declared one, on both sides)
    address: str  # its address as that side shows it (before a rename: the key it carries)
    kind: str
    fields: Mapping[str, Any]


# (subject, name's key, the two identities, sorted): one overlap, whatever its objects' times.
OverlapKey = tuple[str, str, str, str]
Slot = tuple[Booking, Entry, str]  # a booking, its object, and the subject's role there


class Found(NamedTuple):
    """An overlap as the sweep finds it; described (times in words) only if it is reported."""

    subject: str
    name: str
    first: Slot
    second: Slot

    def described(self) -> Overlap:
        return Overlap(
            subject=self.subject,
            name=self.name,
            first=_booked(self.first[0], self.first[2]),
            second=_booked(self.second[0], self.second[2]),
        )


def plan_conflicts(plan: Plan, refreshed: Mapping[str, Refreshed]) -> Conflicts:
    before = _schedule_now(plan, refreshed)
    after = _schedule_after(plan, before)
    then, later = _overlaps(before.values()), _overlaps(after.values())
    return Conflicts(
        introduced=_described(found for key, found in later.items() if key not in then),
        resolved=_described(found for key, found in then.items() if key not in later),
    )


def _described(found: Iterable[Found]) -> tuple[Overlap, ...]:
    """In order of the earlier object's start, then person or place."""
    ordered = sorted(found, key=lambda f: (f.first[0].begin, f.subject, f.name, f.first[0].address))
    return tuple(overlap.described() for overlap in ordered)


def _schedule_now(plan: Plan, refreshed: Mapping[str, Refreshed]) -> dict[str, Entry]:
    now: dict[str, Entry] = {}
    for side in refreshed.values():
        if side.provider.kind in CHECKED:
            for current in side.current.values():
                # Refresh files a renamed object under its declared key; it carries the old one.
                identity = str(current.address)
                shown = f"{current.kind}.{current.moved_from}" if current.moved_from else identity
                now[identity] = Entry(identity, shown, current.kind, current.fields)
    for change in plan.changes:
        # What the plan takes over (adoptions of unscoped objects, duplicates): as found.
        address, found = str(change.address), change.before
        if found is not None and address not in now and change.address.kind in CHECKED:
            now[address] = Entry(address, address, change.address.kind, found)
    return now


def _schedule_after(plan: Plan, now: Mapping[str, Entry]) -> dict[str, Entry]:
    after = dict(now)
    for change in plan.changes:
        if change.address.kind not in CHECKED:
            continue
        address = str(change.address)
        if change.after is None:
            after.pop(address, None)
        else:
            after[address] = Entry(address, address, change.address.kind, change.after)
    return after


def _overlaps(entries: Iterable[Entry]) -> dict[OverlapKey, Found]:
    """Every overlap of one schedule, per person and per place, each found by a sweep by start."""
    booked: dict[tuple[str, str], list[Slot]] = {}
    names: dict[tuple[str, str], str] = {}
    for entry in entries:
        if entry.fields.get("status") == "cancelled":
            continue
        span_of = session_span if entry.kind == "sessions" else event_span
        span = span_of(entry.fields)
        if span is None:
            continue
        booking = Booking(entry.address, *span, entry.fields.get("time_zone"), None, entry.fields)
        for subject, key, name, role in _subjects(entry):
            booked.setdefault((subject, key), []).append((booking, entry, role))
            names.setdefault((subject, key), name)
    found: dict[OverlapKey, Found] = {}
    for (subject, key), bookings in booked.items():
        for first, second in _sweep(bookings):
            one, other = first[1].identity, second[1].identity
            pair = (one, other) if one < other else (other, one)
            found[(subject, key, *pair)] = Found(subject, names[(subject, key)], first, second)
    return found


def _subjects(entry: Entry) -> Iterator[tuple[str, str, str, str]]:
    """(subject, key, name shown, role): who or where the object books."""
    if entry.kind == "sessions":
        for email, role in participant_roles(entry.fields).items():
            yield "person", email, email, role
        return
    location = entry.fields.get("location")
    place = place_of(location)
    if place is not None and isinstance(location, Mapping):
        shown = " / ".join(
            str(location.get(part)) for part in ("name", "address") if location.get(part)
        )
        yield "location", "\n".join(place), shown, "location"


def _sweep(
    bookings: list[Slot],
) -> Iterator[tuple[Slot, Slot]]:
    """Pairs that overlap (touching ends do not), the earlier first: one pass sorted by start,
    keeping only the bookings still running."""
    ordered = sorted(bookings, key=lambda item: (item[0].begin, item[0].end, item[1].identity))
    running: list[Slot] = []
    for item in ordered:
        running = [other for other in running if other[0].end > item[0].begin]
        for other in running:
            if other[1].identity != item[1].identity:
                yield other, item
        running.append(item)


def _booked(booking: Booking, role: str) -> Booked:
    return Booked(
        address=booking.address,
        role=role,
        start=format_utc(booking.begin),
        end=format_utc(booking.end),
        time_zone=booking.zone,
        span=booking.span(),
    )
