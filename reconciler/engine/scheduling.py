"""Scheduling checks at plan time, over the declared objects and the remote managed ones.

- double booking: one participant (invitee or deponent email) in two overlapping Prevail
  sessions, both declared or one declared and one managed remotely (warning);
- two events at the same location that overlap (warning);
- an event that ends before it starts (error; a plain one is already a configuration error, so
  this catches an occurrence whose override moved its start past the series' end);
- a session outside the `checks.working_hours` of its time zone (warning).

Each finding names FILE:LINE:COL of every declared object involved. `--strict` turns warnings
into errors; errors stop plan and apply (exit 1), warnings go into `Plan.warnings`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from reconciler.config.working_hours import WorkingHours
from reconciler.engine.refresh import Refreshed
from reconciler.errors import PlanError
from reconciler.instants import (
    canonical_zone,
    format_utc,
    hours,
    is_canonical_utc,
    local,
    parse_instant,
)
from reconciler.model import Location, Plan

# A session without duration_hours is taken to last this long (Prevail's own default is unset).
DEFAULT_SESSION_HOURS = 1.0
WHEN = "%a %Y-%m-%d %H:%M"


class Severity(StrEnum):
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One scheduling problem, located at the declared object(s) it involves."""

    severity: Severity
    message: str
    location: Location | None

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class SchedulingError(PlanError):
    """The schedule has errors (or, with --strict, warnings): plan and apply stop."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = tuple(findings)
        count = len(findings)
        lines = "\n".join(f"  {finding}" for finding in findings)
        super().__init__(
            f"the schedule has {count} problem{'s' if count != 1 else ''} (scheduling checks):"
            f"\n{lines}"
        )


class Booking(NamedTuple):
    """A declared or remote managed object reduced to what the checks compare.

    A named tuple: a plan makes one for every declared and remote object it checks.
    """

    address: str
    begin: datetime
    end: datetime
    zone: str | None
    location: Location | None  # None for a remote object
    fields: Mapping[str, Any]

    @property
    def declared(self) -> bool:
        return self.location is not None

    def where(self) -> str:
        return str(self.location) if self.location else "remote, not declared here"

    def span(self) -> str:
        begin, end = local(_text(self.begin), self.zone), local(_text(self.end), self.zone)
        clock = "%H:%M" if begin.date() == end.date() else WHEN
        return f"{begin.strftime(WHEN)}-{end.strftime(clock)} {self.zone or 'UTC'}"

    def described(self) -> str:
        """`events.gala (Mon 2027-03-01 18:00-23:00 Europe/Copenhagen, events.yaml:4:5)`."""
        return f"{self.address} ({self.span()}, {self.where()})"


def check_schedule(
    plan: Plan,
    refreshed: Mapping[str, Refreshed],
    working_hours: Mapping[str, WorkingHours],
) -> list[Finding]:
    """Every finding, errors first, each in file order."""
    sides = {side.provider.kind: side for side in refreshed.values()}
    leaving = {str(c.address) for c in plan.changes if c.action.is_removal}
    sessions = list(_bookings(sides.get("sessions"), leaving, session_span))
    events = [
        booking
        for booking in _bookings(sides.get("events"), leaving, event_span)
        if booking.fields.get("status") != "cancelled"
    ]
    findings = [
        *_ends_before_start(events),
        *_double_bookings(sessions),
        *_shared_locations(events),
        *_outside_hours(sessions, working_hours),
    ]
    return sorted(findings, key=lambda f: (f.severity is not Severity.ERROR, _order(f.location)))


def enforce_schedule(findings: Sequence[Finding], *, strict: bool) -> list[str]:
    """Raise on errors (and on warnings when strict); else the warnings for `Plan.warnings`."""
    blocking = [f for f in findings if strict or f.severity is Severity.ERROR]
    if blocking:
        raise SchedulingError(blocking)
    return [f"{finding}" for finding in findings]


# -- the checks ----------------------------------------------------------------------------------


def _double_bookings(sessions: Sequence[Booking]) -> Iterator[Finding]:
    by_person: dict[str, list[Booking]] = {}
    for session in sessions:
        for email in _participants(session.fields):
            by_person.setdefault(email, []).append(session)
    reported: set[tuple[str, str]] = set()
    for _email, booked in sorted(by_person.items()):
        for first, second in _overlapping(booked):
            pair = (first.address, second.address)
            if pair in reported:
                continue  # two shared participants are one double booking
            reported.add(pair)
            shared = sorted(_participants(first.fields) & _participants(second.fields))
            yield Finding(
                severity=Severity.WARNING,
                message=f"double booking: {', '.join(shared)} in {first.described()} and "
                f"{second.described()}",
                location=first.location or second.location,
            )


def _shared_locations(events: Sequence[Booking]) -> Iterator[Finding]:
    by_place: dict[tuple[str, str], list[Booking]] = {}
    for event in events:
        place = place_of(event.fields.get("location"))
        if place is not None:
            by_place.setdefault(place, []).append(event)
    for place, booked in sorted(by_place.items()):
        for first, second in _overlapping(booked):
            name = " / ".join(part for part in place if part)
            yield Finding(
                severity=Severity.WARNING,
                message=f"{first.described()} and {second.described()} overlap at the same "
                f'location "{name}"',
                location=first.location or second.location,
            )


def _ends_before_start(events: Sequence[Booking]) -> Iterator[Finding]:
    for event in events:
        if event.declared and event.end < event.begin:
            yield Finding(
                severity=Severity.ERROR,
                message=f"{event.address} ends ({_text(event.end)}) before it starts "
                f"({_text(event.begin)})",
                location=event.location,
            )


def _outside_hours(
    sessions: Sequence[Booking], working_hours: Mapping[str, WorkingHours]
) -> Iterator[Finding]:
    for session in sessions:
        if not session.declared or session.zone is None:
            continue
        try:
            hours_here = working_hours.get(canonical_zone(session.zone))
        except KeyError:
            continue
        if hours_here is None:
            continue
        begin = local(_text(session.begin), session.zone)
        end = local(_text(session.end), session.zone)
        if not hours_here.admits(begin.replace(tzinfo=None), end.replace(tzinfo=None)):
            yield Finding(
                severity=Severity.WARNING,
                message=f"{session.address} ({session.span()}) is outside working hours "
                f"({hours_here.describe()}, set at {hours_here.location})",
                location=session.location,
            )


# -- reading the objects -------------------------------------------------------------------------


Span = tuple[datetime, datetime]


def _bookings(
    side: Refreshed | None, leaving: set[str], span_of: Callable[[Mapping[str, Any]], Span | None]
) -> Iterator[Booking]:
    """Declared objects, then remote managed ones not declared and not being removed."""
    if side is None:
        return
    for key, desired in side.desired.items():
        span = span_of(desired.fields)
        if span is not None:
            # An occurrence's location is its override's line when it has one.
            zone = desired.time_zone or desired.fields.get("time_zone")
            yield Booking(f"{desired.kind}.{key}", *span, zone, desired.location, desired.fields)
    for key, current in side.current.items():
        if key in side.desired or str(current.address) in leaving:
            continue
        span = span_of(current.fields)
        if span is not None:
            zone = current.fields.get("time_zone")
            yield Booking(str(current.address), *span, zone, None, current.fields)


def session_span(fields: Mapping[str, Any]) -> Span | None:
    start = _instant(fields.get("start"))
    if start is None:
        return None
    length = fields.get("duration_hours")
    if not isinstance(length, int | float) or isinstance(length, bool):
        length = DEFAULT_SESSION_HOURS
    return start, start + hours(float(length))


def event_span(fields: Mapping[str, Any]) -> Span | None:
    start, end = _instant(fields.get("start")), _instant(fields.get("end"))
    if start is None:
        return None
    if end is None:
        # An all-day event without an end takes its day; any other, just its start.
        end = start + timedelta(days=1) if _is_day(fields.get("start")) else start
    elif _is_day(fields.get("end")) and end == start:
        end = start + timedelta(days=1)
    return start, end


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        if is_canonical_utc(value):  # as providers make instants: read without conversion
            return datetime.fromisoformat(value)
        if _is_day(value):  # all-day: the day in UTC, as Prospero stores dates without a zone
            return datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
        return parse_instant(value).astimezone(UTC)
    except ValueError:
        return None


def _is_day(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 10


def _participants(fields: Mapping[str, Any]) -> set[str]:
    return set(participant_roles(fields))


def participant_roles(fields: Mapping[str, Any]) -> dict[str, str]:
    """Each participant's email (lower case) and role: deponent, host or invitee."""
    roles = {
        str(invite.get("email")).lower(): "host" if invite.get("access_level") == "host"
        else "invitee"
        for invite in fields.get("invites") or []
        if isinstance(invite, Mapping) and invite.get("email")
    }
    deponent = fields.get("deponent")
    if isinstance(deponent, Mapping) and isinstance(deponent.get("email"), str):
        roles[deponent["email"].lower()] = "deponent"
    return roles


def place_of(location: Any) -> tuple[str, str] | None:
    if not isinstance(location, Mapping):
        return None
    name = " ".join(str(location.get("name") or "").split()).casefold()
    address = " ".join(str(location.get("address") or "").split()).casefold()
    return (name, address) if name or address else None


def _overlapping(bookings: Iterable[Booking]) -> Iterator[tuple[Booking, Booking]]:
    """Pairs that overlap (touching ends do not), at least one declared; a sweep by start."""
    ordered = sorted(bookings, key=lambda b: (b.begin, b.end, b.address))
    active: list[Booking] = []
    for booking in ordered:
        active = [other for other in active if other.end > booking.begin]
        for other in active:
            if (other.declared or booking.declared) and other.address != booking.address:
                first, second = (other, booking) if other.declared else (booking, other)
                yield first, second
        active.append(booking)


def _text(moment: datetime) -> str:
    return format_utc(moment)


def _order(location: Location | None) -> tuple[str, int, int]:
    return (location.file, location.line, location.column) if location else ("~", 0, 0)


def checked_plan(
    plan: Plan,
    refreshed: Mapping[str, Refreshed],
    working_hours: Mapping[str, WorkingHours],
    *,
    strict: bool,
) -> Plan:
    """The plan with the checks' warnings added; SchedulingError when something blocks it."""
    findings = check_schedule(plan, refreshed, working_hours)
    return replace(plan, warnings=(*plan.warnings, *enforce_schedule(findings, strict=strict)))
