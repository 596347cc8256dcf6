"""How instants, moves and recurring series read in a plan (shared by the text and Markdown plans).

Field values stay canonical UTC in the plan; a change carries its object's zone (as the YAML
spells it) and start, so a moved session reads

    start = Tue 2027-03-02 09:00 → 10:00 America/New_York (+1h)

and the line says when the old and new times fall on different sides of a DST change, or when
the wall-clock time changes although the instant does not (the zone changed). Durations read
with the end time they give, in the same zone. Occurrences of a series (`<key>@<date>`) are
grouped under one line: "3 of 12 occurrences move; 1 cancelled".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from reconciler.config.recurrence import split_key
from reconciler.instants import canonical_zone, hours, local
from reconciler.model import Action, Change, FieldChange

TIME_FIELDS = frozenset({"start", "end"})
WHEN = "%a %Y-%m-%d %H:%M"
CLOCK = "%H:%M"


def describe_field(change: Change, field: FieldChange) -> str | None:
    """The field's value(s) as a person reads them, or None when plain JSON says it best."""
    if field.name in TIME_FIELDS:
        return _instant_field(change, field)
    if field.name == "duration_hours":
        return _duration_field(change, field)
    if field.name == "time_zone":
        return _zone_field(change, field)
    return None


def move(before: str, after: str, zone_before: str | None, zone_after: str | None) -> str:
    """`Tue 2027-03-02 09:00 → 10:00 America/New_York (+1h)`, with DST and wall-clock notes."""
    old, new = local(before, zone_before), local(after, zone_after)
    same_zone = _same_zone(zone_before, zone_after)
    clock = CLOCK if old.date() == new.date() else WHEN
    left = old.strftime(WHEN) + ("" if same_zone else f" {_name(zone_before)}")
    right = new.strftime(clock if same_zone else WHEN) + f" {_name(zone_after)}"
    # Instants, not wall clocks: aware datetimes sharing a tzinfo subtract as wall-clock times.
    shift = new.astimezone(UTC) - old.astimezone(UTC)
    notes = [signed(shift) if shift else "same instant"]
    if same_zone and old.utcoffset() != new.utcoffset():
        change = "a DST change" if old.dst() != new.dst() else "a UTC offset change"
        notes.append(f"crosses {change}: {old.tzname()} → {new.tzname()}")
    if not shift and old.replace(tzinfo=None) != new.replace(tzinfo=None):
        notes.append("the wall-clock time changes")
    return f"{left} → {right} ({'; '.join(notes)})"


def signed(delta: timedelta) -> str:
    """`+1h`, `-30m`, `+6d 23h`: a difference between two instants."""
    sign = "-" if delta < timedelta(0) else "+"
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours_part, rest = divmod(rest, 3_600)
    minutes = rest // 60
    parts = [f"{days}d" if days else "", f"{hours_part}h" if hours_part else "",
             f"{minutes}m" if minutes else ""]
    return sign + (" ".join(part for part in parts if part) or "0m")


# -- series ----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Group:
    """Changes shown together: one plain change, or every change to one series' occurrences."""

    series: str | None
    changes: tuple[Change, ...]
    summary: str = ""


def group_changes(changes: Iterable[Change], sizes: Mapping[str, int]) -> list[Group]:
    """Plain changes in plan order; a series' changes together, where its first one was."""
    order: list[str | Change] = []
    by_series: dict[str, list[Change]] = {}
    for change in changes:
        series = series_of(change)
        if series is None:
            order.append(change)
            continue
        if series not in by_series:
            by_series[series] = []
            order.append(series)
        by_series[series].append(change)
    groups: list[Group] = []
    for entry in order:
        if isinstance(entry, Change):
            groups.append(Group(series=None, changes=(entry,)))
        else:
            members = sorted(by_series[entry], key=lambda change: change.address.key)
            summary = series_summary(members, sizes.get(entry))
            groups.append(Group(series=entry, changes=tuple(members), summary=summary))
    return groups


def series_of(change: Change) -> str | None:
    """`sessions.status-call` for `sessions.status-call@2027-03-08`; None for a plain object."""
    parts = split_key(change.address.key)
    return None if parts is None else f"{change.address.kind}.{parts[0]}"


def series_summary(changes: Sequence[Change], size: int | None) -> str:
    """`3 of 12 occurrences move; 1 cancelled`."""
    moves = sum(1 for c in changes if c.action is Action.UPDATE and reschedules(c))
    counts = [
        (sum(1 for c in changes if c.action is Action.UPDATE and not reschedules(c)), "updated"),
        (sum(1 for c in changes if c.action is Action.CREATE), "new"),
        (sum(1 for c in changes if c.action is Action.REPLACE), "replaced"),
        (sum(1 for c in changes if c.action is Action.CANCEL), "cancelled"),
        (sum(1 for c in changes if c.action is Action.DELETE), "deleted"),
    ]
    rest = [f"{count:,} {what}" for count, what in counts if count]
    total = "" if size is None else f" of {size:,}"
    noun = "occurrence" if size == 1 or (size is None and moves == 1) else "occurrences"
    if moves:
        return "; ".join([f"{moves:,}{total} {noun} move{'s' if moves == 1 else ''}", *rest])
    head = "" if size is None else f"{size:,} {noun}: "
    return head + "; ".join(rest)


# -- the object and its time, as the tables and the charts show them ----------------------------


def object_label(change: Change) -> str:
    """`sessions.smith-deposition (Deposition of J. Smith)`: the address, the title beside it
    (the address alone when the plan knows no title), the same in every table and chart."""
    title = title_of(change)
    return f"{change.address} ({title})" if title else str(change.address)


def time_columns(chart_zone: str | None, review_zones: Sequence[str]) -> list[str | None]:
    """The zones of a table's time columns: the object's own (None) first, then the chart's
    where it differs from the objects' own, then each reviewer's (each zone once)."""
    columns: list[str | None] = [None]
    seen: set[str] = set()
    for zone in (chart_zone, *review_zones):
        if zone is None:
            continue
        try:
            canonical = canonical_zone(zone)
        except KeyError:
            canonical = zone
        if canonical not in seen:
            seen.add(canonical)
            columns.append(zone)
    return columns


def when(change: Change, zone: str | None = None) -> str:
    """Where the change puts the object in time, on one clock: `Tue 2026-06-02 09:00 → 10:00`
    (a move), `Tue 2026-06-02 09:00` (a create, an update in place, a removal: the time it
    leaves); "" when the object has no time. `zone` None: the object's own, named after the
    time; a reviewer's zone is the column's heading, so it is not repeated."""
    before, after = _placed(change)
    if before is None and after is None:
        return ""
    own_before, own_after = _zones(change)
    old = _clock(before, zone or own_before) if before else None
    new = _clock(after, zone or own_after) if after else None
    if old is None or new is None or old == new:
        shown = old or new or ""
    else:
        same_day = old[:14] == new[:14] and len(new) > 10
        shown = f"{old} → {new[15:] if same_day else new}"
    timed = not any(_is_date(value) for value in (before, after) if value)
    return f"{shown} {zone_label(own_after or own_before)}" if zone is None and timed else shown


def _placed(change: Change) -> tuple[str | None, str | None]:
    """The object's start before and after the change (None on the side where it is not)."""
    before, after = _field_before(change, "start"), _field_after(change, "start")
    if change.action is Action.CREATE:
        return None, after or change.starts_at
    if change.action.is_removal:
        return change.starts_at or before, None
    return before or change.starts_at, after or change.starts_at


def _clock(value: str, zone: str | None) -> str:
    """`Tue 2026-06-02 09:00` in the zone (UTC without one); an all-day date as it is."""
    if _is_date(value):
        return value
    return local(value, zone).strftime(WHEN)


def title_of(change: Change) -> str | None:
    """The object's title, from the change or the whole object (None when the plan has none)."""
    for field in change.fields:
        if field.name == "title":
            text = field.after if field.after is not None else field.before
            if isinstance(text, str) and text.strip():
                return text
    for whole in (change.after, change.before):
        text = whole.get("title") if whole else None
        if isinstance(text, str) and text.strip():
            return text
    return None


# -- fields ----------------------------------------------------------------------------------------


def _instant_field(change: Change, field: FieldChange) -> str | None:
    before, after = field.before, field.after
    zone_before, zone_after = _zones(change)
    if isinstance(before, str) and isinstance(after, str):
        if _is_date(before) or _is_date(after):
            return None  # all-day dates: nothing to convert
        return move(before, after, zone_before, zone_after)
    value, zone = (after, zone_after) if after is not None else (before, zone_before)
    if not isinstance(value, str) or _is_date(value):
        return None  # all-day dates and non-times: the value says it
    shown = f"{local(value, zone).strftime(WHEN)} {_name(zone)}"
    return shown if after is not None else f"{shown} → null"


def _duration_field(change: Change, field: FieldChange) -> str | None:
    start_after = change.starts_at or _field_after(change, "start")
    start_before = _field_before(change, "start") or start_after
    zone_before, zone_after = _zones(change)
    if start_after is None or zone_after is None:
        return None

    def ends(start: str, length: Any, zone: str | None) -> str | None:
        if not isinstance(length, int | float) or isinstance(length, bool):
            return None
        return (local(start, zone) + hours(float(length))).strftime(CLOCK)

    old_end = ends(start_before, field.before, zone_before) if start_before else None
    new_end = ends(start_after, field.after, zone_after)
    if change.action is Action.CREATE or field.before is None:
        return f"{_number(field.after)} (ends {new_end} {_name(zone_after)})" if new_end else None
    if field.after is None:
        return f"{_number(field.before)} → null"
    return (
        f"{_number(field.before)} → {_number(field.after)} "
        f"(ends {old_end} → {new_end} {_name(zone_after)})"
    )


def _zone_field(change: Change, field: FieldChange) -> str | None:
    """The zone as the YAML spells it, with the IANA name sent beside it where they differ."""
    written = _as_written(change, field.after)
    if change.action is Action.CREATE:
        return f'"{written}" ({field.after})' if written != field.after else None
    if not all(isinstance(v, str) for v in (field.before, field.after)):
        return None
    start = change.starts_at
    moved = any(other.name == "start" for other in change.fields)
    after = f"{written} ({field.after})" if written != field.after else str(field.after)
    text = f"{field.before} → {after}"
    if start is None or moved:
        return text
    old, new = local(start, field.before), local(start, field.after)
    return (
        f"{text} (same instant; the wall-clock start changes: "
        f"{old.strftime(CLOCK)} → {new.strftime(CLOCK)})"
    )


def _as_written(change: Change, canonical: Any) -> Any:
    """The declared spelling of a canonical zone value (`Eastern Time (US & Canada)` for
    `America/New_York`), or the value itself when the YAML spells it so or another zone."""
    written = change.time_zone
    if not isinstance(canonical, str) or not written or written == canonical:
        return canonical
    try:
        return written if canonical_zone(written) == canonical else canonical
    except KeyError:
        return canonical


def _zones(change: Change) -> tuple[str | None, str | None]:
    """The zones the old and new values are shown in: a zone change splits them."""
    for field in change.fields:
        if field.name == "time_zone" and isinstance(field.before, str):
            after = field.after if isinstance(field.after, str) else change.time_zone
            return field.before, change.time_zone or after
    return change.time_zone, change.time_zone


def _field_after(change: Change, name: str) -> str | None:
    for field in change.fields:
        if field.name == name and isinstance(field.after, str):
            return field.after
    return None


def _field_before(change: Change, name: str) -> str | None:
    for field in change.fields:
        if field.name == name and isinstance(field.before, str):
            return field.before
    return None


def reschedules(change: Change) -> bool:
    """Whether the change moves the object in time (its start changes)."""
    return any(field.name == "start" for field in change.fields)


def _name(zone: str | None) -> str:
    return zone_label(zone)


def zone_label(zone: str | None) -> str:
    """A zone as the YAML spells it, with its IANA name beside it where they differ
    (`Eastern Time (US & Canada) (America/New_York)`); `UTC` where no zone is declared."""
    if not zone:
        return "UTC"
    try:
        canonical = canonical_zone(zone)
    except KeyError:
        return zone
    return zone if canonical in (zone, "Etc/UTC") else f"{zone} ({canonical})"


def _same_zone(left: str | None, right: str | None) -> bool:
    if left == right:
        return True
    try:
        return canonical_zone(left or "UTC") == canonical_zone(right or "UTC")
    except KeyError:
        return False


def _is_date(text: str) -> bool:
    return len(text) == 10


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
