"""The schedule as it will be after the apply, as an iCalendar file (RFC 5545) to import.

One VEVENT per session and event, and per occurrence of a series, built from what the plan
leaves in place: a create or replace shows the declared object; an update the remote object
with the plan's new values; an untouched managed object of this scope as it stands; a cancel or
delete as it stands, with `STATUS:CANCELLED`, so that a calendar that imported an earlier file
drops it. Previsto assignments are left out: the plan holds no time for them (their
`plan.executionTime` is neither read nor managed), only their metadata.

- `UID` is `<kind>.<key>@<scope>.reconciler`: stable for as long as the object keeps its key in
  its scope. The occurrences of a series share their series' UID and are told apart by
  `RECURRENCE-ID`, the start the rule gives that occurrence's date (or the date-time its key
  names), so that an override moving one occurrence keeps its identity.
- `SEQUENCE` is 1 for an object the plan changes, replaces or cancels, and 0 for a new or
  untouched one: derived from the plan alone, not from a counter kept anywhere.
- Times are written in the object's own zone (a Prevail name read as its IANA zone), with one
  `VTIMEZONE` per zone, generated from the zone data; UTC where no zone is declared; all-day
  events as dates.

Every text value is passed through the secret redaction before the file is folded into lines: a
secret cut by a line fold, or escaped (`\\,`), would no longer match on the finished text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from icalendar.enums import STATUS

from reconciler import __version__
from reconciler.config.series import Series, split_key
from reconciler.instants import canonical_zone, hours, parse_instant
from reconciler.model import Action, Address, Change, DesiredObject, Plan, RemoteObject
from reconciler.redaction import redact_secrets

# The kinds whose objects have a place in time.
CALENDAR_KINDS = ("sessions", "events")
PRODUCT = f"-//reconciler//reconciler {__version__}//EN"
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Zulu", "Zulu", "UCT"})
# Prospero's statuses as the YAML names them.
_STATUS = {
    "confirmed": STATUS.CONFIRMED,
    "tentative": STATUS.TENTATIVE,
    "cancelled": STATUS.CANCELLED,
}


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """What the calendar is drawn from besides the plan: the declared objects, this scope's live
    managed objects (duplicates under their `key#id` address), and the declared series."""

    scope: str
    declared: Mapping[Address, DesiredObject]
    current: Mapping[Address, RemoteObject]
    series: Mapping[str, Mapping[str, Series]]


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One object or occurrence as it will be after the apply."""

    address: Address
    fields: Mapping[str, Any]
    zone: tzinfo
    change: Change | None
    state: str | None = None

    @property
    def cancelled(self) -> bool:
        return self.change is not None and self.change.action.is_removal


def render_ics(plan: Plan, schedule: Schedule, *, stamp: datetime) -> str:
    """The iCalendar text; `stamp` (DTSTAMP) is when the file was made."""
    calendar = Calendar.new(
        prodid=PRODUCT,
        method="PUBLISH",
        uid=f"{schedule.scope}.reconciler",
        name=_text(f"{schedule.scope}: the schedule after the plan"),
    )
    entries = schedule_after(plan, schedule)
    slots = _rule_slots(entries, schedule.series)
    placed = [
        one
        for entry in entries
        if (one := _place(entry, schedule, slots, stamp=stamp.astimezone(UTC))) is not None
    ]
    placed.sort(key=lambda one: one.order)
    for one in placed:
        calendar.add_component(one.event)
    days = [day for one in placed for day in one.days]
    if days:
        # Transitions for the years the file covers, not icalendar's default 1970-2038.
        calendar.add_missing_timezones(
            first_date=date(min(days).year, 1, 1), last_date=date(max(days).year + 1, 12, 31)
        )
    text: bytes = calendar.to_ical()
    return text.decode("utf-8")


def schedule_after(plan: Plan, schedule: Schedule) -> list[Entry]:
    """Every session and event of this scope, as the apply will leave it (in address order)."""
    changes = {change.address: change for change in plan.changes}
    entries = []
    for address in sorted(set(changes) | set(schedule.current)):
        if address.kind not in CALENDAR_KINDS:
            continue
        entry = _entry(address, changes.get(address), schedule)
        if entry is not None:
            entries.append(entry)
    return entries


def _entry(address: Address, change: Change | None, schedule: Schedule) -> Entry | None:
    remote = schedule.current.get(address)
    desired = schedule.declared.get(address)
    state = remote.state if remote is not None else None
    if change is None or change.action.is_removal:
        if remote is None:
            return None
        fields: Mapping[str, Any] = remote.fields
    elif change.action is Action.UPDATE and remote is not None:
        fields = {**remote.fields, **{field.name: field.after for field in change.fields}}
    elif desired is not None:  # a create or replace: a new object, as declared
        # A session request waits for Prevail's staff (`initial`) once it is submitted.
        fields, state = desired.fields, ("initial" if desired.via == "request" else None)
    else:
        fields, state = {field.name: field.after for field in change.fields}, None
    zone_name = (
        (desired.time_zone if desired is not None else None)
        or _string(fields.get("time_zone"))
        or (change.time_zone if change is not None else None)
    )
    return Entry(address=address, fields=fields, zone=_zone(zone_name), change=change, state=state)


@dataclass(frozen=True, kw_only=True)
class Placed:
    """An entry's VEVENT, where it sorts in the file, and the days its times fall on."""

    event: Event
    order: tuple[datetime, str]
    days: tuple[date, ...]


def _place(
    entry: Entry,
    schedule: Schedule,
    slots: Mapping[tuple[str, str], Mapping[date, datetime]],
    *,
    stamp: datetime,
) -> Placed | None:
    start = _moment(entry.fields.get("start"), entry.zone)
    if start is None:
        return None
    stem, occurrence = _series_key(entry.address)
    uid = f"{entry.address.kind}.{stem}@{schedule.scope}.reconciler"
    event = Event.new(
        uid=uid,
        stamp=stamp,
        start=start,
        end=_end(entry, start),
        summary=_text(_string(entry.fields.get("title")) or entry.address.key),
        sequence=_sequence(entry.change),
        status=_status(entry),
        description=_description(entry),
        location=_location(entry.fields.get("location")),
    )
    moments = [start]
    if occurrence is not None:
        series = schedule.series.get(entry.address.kind, {}).get(stem)
        found = slots.get((entry.address.kind, stem), {})
        slot = _slot(occurrence, start, series, found, entry.zone)
        event.add("recurrence-id", slot)
        moments.append(slot)
    first = start if isinstance(start, datetime) else datetime.combine(start, time.min, UTC)
    return Placed(
        event=event,
        order=(first.astimezone(UTC), uid),
        days=tuple(_day(moment) for moment in moments),
    )


# -- times -----------------------------------------------------------------------------------------


def _zone(name: str | None) -> tzinfo:
    """The IANA zone for a declared or remote zone name (Prevail's too); UTC when there is none."""
    if not name:
        return UTC
    try:
        canonical = canonical_zone(name)
    except KeyError:
        return UTC
    return UTC if canonical in _UTC_NAMES else ZoneInfo(canonical)


def _moment(value: Any, zone: tzinfo) -> date | datetime | None:
    """A field's instant in the object's zone; an all-day date as a date."""
    if not isinstance(value, str) or not value:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return parse_instant(value).astimezone(zone)
    except ValueError:
        return None


def _end(entry: Entry, start: date | datetime) -> date | datetime | None:
    end = _moment(entry.fields.get("end"), entry.zone)
    if end is None and isinstance(start, datetime):
        length = entry.fields.get("duration_hours")
        if isinstance(length, int | float) and not isinstance(length, bool):
            # Prevail's duration is elapsed time: on a DST night it ends at another wall clock.
            end = (start.astimezone(UTC) + hours(float(length))).astimezone(start.tzinfo)
    if end is None or isinstance(end, datetime) != isinstance(start, datetime):
        return None
    if end <= start:  # both dates or both datetimes, as checked above
        return None  # no length known (a point in time), or a one-day all-day event
    return end


def _series_key(address: Address) -> tuple[str, date | None]:
    """(series key, the occurrence's date or date-time) for an occurrence; (key, None) else."""
    parts = split_key(address.key)
    return (address.key, None) if parts is None else parts


def _rule_slots(
    entries: Sequence[Entry], series: Mapping[str, Mapping[str, Series]]
) -> dict[tuple[str, str], dict[date, datetime]]:
    """For each declared series, the start its rule gives each date an occurrence is keyed by
    (the first that no exdate drops; for an occurrence an exdate now cancels, the one it had),
    in one walk of the rule per series."""
    wanted: dict[tuple[str, str], set[date]] = {}
    for entry in entries:
        kind = entry.address.kind
        stem, when = _series_key(entry.address)
        if when is not None and not isinstance(when, datetime) and stem in series.get(kind, {}):
            wanted.setdefault((kind, stem), set()).add(when)
    slots: dict[tuple[str, str], dict[date, datetime]] = {}
    for (kind, stem), days in wanted.items():
        one = series[kind][stem]
        starts = one.rule.starts_within(min(days), max(days))
        slots[(kind, stem)] = {
            day: ([s for s in found if not one.excluded.drop(s)] or found)[0]
            for day in days
            if (found := starts.get(day))
        }
    return slots


def _slot(
    when: date,
    start: date | datetime,
    series: Series | None,
    slots: Mapping[date, datetime],
    zone: tzinfo,
) -> date | datetime:
    """The occurrence's RECURRENCE-ID: the start its series' rule gives it, whatever an
    override made of it; for a series no longer declared, its date at its own time of day."""
    if not isinstance(start, datetime):
        return when if not isinstance(when, datetime) else when.date()
    if isinstance(when, datetime):  # keyed by its local date-time
        return when.replace(tzinfo=series.zone if series is not None else zone)
    if series is not None:
        slot = slots.get(when)
        return slot or datetime.combine(when, series.rule.start.time(), tzinfo=series.zone)
    return datetime.combine(when, start.timetz().replace(tzinfo=None), tzinfo=start.tzinfo)


def _day(moment: date | datetime) -> date:
    return moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment


# -- text ------------------------------------------------------------------------------------------


def _sequence(change: Change | None) -> int:
    """0 for what a calendar sees for the first time or as before; 1 for a change to what it
    may have imported (a replace keeps its key: a calendar sees the same event change)."""
    return 0 if change is None or change.action is Action.CREATE else 1


def _status(entry: Entry) -> STATUS:
    if entry.cancelled or entry.state in ("canceled", "cancelled"):
        return STATUS.CANCELLED
    if entry.state == "initial":  # a Prevail session request that staff have not scheduled yet
        return STATUS.TENTATIVE
    declared = entry.fields.get("status")
    return (
        _STATUS.get(declared, STATUS.CONFIRMED) if isinstance(declared, str) else STATUS.CONFIRMED
    )


def _description(entry: Entry) -> str | None:
    """What a reviewer reads under the title: the plan's action and changed fields, the case,
    the details as written."""
    lines = []
    change = entry.change
    if change is not None:
        # A create's fields are all new: naming them says nothing.
        changed = [] if change.action is Action.CREATE else [f.name for f in change.fields]
        named = f" ({', '.join(changed)})" if changed else ""
        lines.append(f"reconciler plan: {change.action.value}{named}")
    case = _string(entry.fields.get("case"))
    if case:
        lines.append(f"Case: {case}")
    details = _string(entry.fields.get("details"))
    if details:
        lines.append(details)
    return _text("\n".join(lines)) if lines else None


def _location(value: Any) -> str | None:
    if isinstance(value, Mapping):
        parts = [_string(value.get(name)) for name in ("name", "address")]
        text = ", ".join(part for part in parts if part)
        return _text(text) if text else None
    return _text(value) if isinstance(value, str) and value else None


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _text(value: str) -> str:
    return redact_secrets(value)
