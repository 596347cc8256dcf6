"""What the plan moves, creates and cancels, in time: the bars a timeline draws.

A rescheduled object gives two bars, where it was and where it goes; a created one its new
place; a cancelled or deleted one the place it leaves. A bar's length is known when the change
carries it (a create's end or duration, a changed end or duration); otherwise the bar is a point
in time (a milestone): the plan records what changes, not every unchanged field.

`mermaid_gantt` writes the chart for the Markdown plan (GitHub renders Mermaid in comments and
job summaries); `render.html` draws the same bars as SVG. Titles are user text, so the Mermaid
labels keep only letters, digits, spaces and harmless punctuation: nothing can end a task, start
a statement of its own, open a comment or directive, or carry HTML.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from reconciler.instants import canonical_zone, hours, parse_instant, zone_or_utc
from reconciler.model import Action, Change, FieldChange, Plan
from reconciler.render.times import object_label, reschedules, zone_label

UTC_ZONE = "Etc/UTC"
# How many changes a Mermaid chart draws: a comment has room for a readable chart, not for a
# 3,000-row one (GitHub also stops rendering Mermaid past 50,000 characters).
MERMAID_CHANGES = 30


class Side(StrEnum):
    BEFORE = "before"
    AFTER = "after"


class Section(StrEnum):
    """The chart's sections, in the order they are drawn."""

    MOVED = "Rescheduled, before and after"
    CREATED = "Created"
    REPLACED = "Replaced, cancelled then scheduled anew"
    REMOVED = "Cancelled or deleted"


@dataclass(frozen=True, kw_only=True)
class Bar:
    """One object's place in time on one side of a change; `end` None means unknown length."""

    change: Change
    section: Section
    side: Side
    label: str  # user text: each medium escapes it
    start: datetime  # aware
    end: datetime | None

    @property
    def removed(self) -> bool:
        return self.change.action.is_removal or (
            self.change.action is Action.REPLACE and self.side is Side.BEFORE
        )


@dataclass(frozen=True, kw_only=True)
class Timeline:
    """The bars to draw, the zone their times are shown in, and how many changes were left out."""

    bars: tuple[Bar, ...]
    zone: str
    charted: int
    left_out: int

    @property
    def tz(self) -> tzinfo:
        return zone_or_utc(self.zone)

    @property
    def zone_label(self) -> str:
        """The zone as the YAML spells it, with its IANA name beside it where they differ
        (`UTC`, the chart's zone when the objects share none, is shown as it is)."""
        return zone_label(self.zone)

    def table_zone(self, changes: Iterable[Change]) -> str | None:
        """The chart's zone when the table must show it beside each object's own (the objects
        are in more than one zone, so the chart is in UTC); None when their own is the chart's."""
        if not self.bars:
            return None
        own = {_zone_name(change.time_zone or UTC_ZONE) for change in changes}
        return None if own <= {_zone_name(self.zone)} else self.zone


def timeline(plan: Plan, *, limit: int | None = None) -> Timeline:
    """The bars of every change that moves, creates or removes something in time (the first
    `limit` changes by time when there are more)."""
    placed = [(change, bars) for change in plan.changes if (bars := change_bars(change))]
    placed.sort(key=lambda item: (min(bar.start for bar in item[1]), str(item[0].address)))
    kept = placed if limit is None else placed[:limit]
    # One zone for the axis: the objects' own when they share one (an object without a zone
    # does not count against it), else UTC. Times are instants either way.
    zones = {_zone_name(change.time_zone) for change, _ in kept if change.time_zone}
    spellings = {change.time_zone for change, _ in kept if change.time_zone}
    zone = zones.pop() if len(zones) == 1 else "UTC"
    if len(spellings) == 1 and zone != "UTC":
        zone = spellings.pop()  # shown as written: a Prevail name stays Prevail's
    bars = tuple(bar for _, group in kept for bar in group)
    return Timeline(bars=bars, zone=zone, charted=len(kept), left_out=len(placed) - len(kept))


def change_bars(change: Change) -> tuple[Bar, ...]:
    """The bars of one change (none when it does not move, create or remove anything)."""
    fields = {field.name: field for field in change.fields}
    label = object_label(change)
    zone = change.time_zone
    if change.action is Action.CREATE:
        start = _instant(_after(fields, "start") or change.starts_at, zone)
        if start is None:
            return ()
        end = _end(start, fields, Side.AFTER, zone)
        return (Bar(change=change, section=Section.CREATED, side=Side.AFTER, label=label,
                    start=start, end=end),)
    if change.action.is_removal:
        start = _instant(change.starts_at or _before(fields, "start"), zone)
        if start is None:
            return ()
        return (Bar(change=change, section=Section.REMOVED, side=Side.BEFORE, label=label,
                    start=start, end=_end(start, fields, Side.BEFORE, zone)),)
    if change.action is Action.UPDATE and not (reschedules(change) or _resized(fields)):
        return ()
    section = Section.REPLACED if change.action is Action.REPLACE else Section.MOVED
    before = _instant(_before(fields, "start") or change.starts_at, zone)
    after = _instant(_after(fields, "start") or change.starts_at, zone)
    bars = []
    if before is not None:
        bars.append(Bar(change=change, section=section, side=Side.BEFORE, label=label,
                        start=before, end=_end(before, fields, Side.BEFORE, zone)))
    if after is not None:
        bars.append(Bar(change=change, section=section, side=Side.AFTER, label=label,
                        start=after, end=_end(after, fields, Side.AFTER, zone)))
    return tuple(bars)


# -- Mermaid ---------------------------------------------------------------------------------------

MERMAID_FORMAT = "%Y-%m-%d %H:%M"  # the `dateFormat YYYY-MM-DD HH:mm` below, as strftime
TAGS = {
    (Section.MOVED, Side.BEFORE): "done",
    (Section.MOVED, Side.AFTER): "active",
    (Section.CREATED, Side.AFTER): "active",
    (Section.REPLACED, Side.BEFORE): "crit",
    (Section.REPLACED, Side.AFTER): "active",
    (Section.REMOVED, Side.BEFORE): "crit",
}
MARKS = {Side.BEFORE: "◦", Side.AFTER: "●"}
# Letters (any script), digits, spaces and punctuation that means nothing to Mermaid's gantt
# lexer or to HTML: no `:` `;` `#` `%` (task data, statement end, comments), no `<` `>` `&`
# `"` or backtick, no braces or brackets (directives, links), no line breaks.
_LABEL_UNSAFE = re.compile(r"[^\w .,()/+@'-]")
_SPACES = re.compile(r"\s+")
LABEL_LENGTH = 80  # the address and the title beside it


def mermaid_label(text: str) -> str:
    """User text made safe for a Mermaid gantt task, section or title."""
    safe = _SPACES.sub(" ", _LABEL_UNSAFE.sub(" ", text)).strip()
    if len(safe) > LABEL_LENGTH:
        safe = safe[: LABEL_LENGTH - 1].rstrip() + "…"
    return safe or "untitled"


def mermaid_gantt(chart: Timeline) -> list[str]:
    """The lines of a ```mermaid block (fences included); none when nothing is charted.

    Every task line starts with a mark (◦ before, ● after), so no title can begin with a gantt
    keyword (`title`, `section`, `click`, a date) and be read as a statement."""
    if not chart.bars:
        return []
    tz = chart.tz
    starts = [bar.start for bar in chart.bars]
    ends = [bar.end or bar.start for bar in chart.bars]
    span = max(ends) - min(starts)
    axis = "%b %d %H:%M" if span <= timedelta(days=7) else "%Y-%m-%d"
    lines = [
        "```mermaid",
        "gantt",
        # Only the zone is made safe (and shortened if need be): the words around it are ours.
        f"    title Schedule changes, times in {mermaid_label(chart.zone_label)}",
        "    dateFormat YYYY-MM-DD HH:mm",
        f"    axisFormat {axis}",
    ]
    for section in Section:
        bars = [bar for bar in chart.bars if bar.section is section]
        if not bars:
            continue
        lines.append(f"    section {mermaid_label(section.value)}")
        for number, bar in enumerate(bars, start=1):
            tags = TAGS[(bar.section, bar.side)]
            start = bar.start.astimezone(tz)
            if bar.end is None or bar.end <= bar.start:
                ending = "0d"
                tags += ", milestone"
            else:
                ending = bar.end.astimezone(tz).strftime(MERMAID_FORMAT)
            task = f"{section.name.lower()}{number}"
            name = f"{MARKS[bar.side]} {mermaid_label(bar.label)}"
            lines.append(
                f"    {name} :{tags}, {task}, {start.strftime(MERMAID_FORMAT)}, {ending}"
            )
    lines.append("```")
    return lines


def left_out_note(chart: Timeline, *, where: str) -> str | None:
    """What the chart did not draw, and where to find it."""
    if not chart.left_out:
        return None
    total = chart.charted + chart.left_out
    return (
        f"The chart shows the first {chart.charted:,} of {total:,} changes in time; the other "
        f"{chart.left_out:,} are {where}."
    )


# -- the axis of a drawn chart --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TickStep:
    """A round interval between ticks: minutes that divide a day, whole days, or months."""

    minutes: int = 0
    days: int = 0
    months: int = 0
    label: str  # strftime of a tick's label

    @property
    def length(self) -> timedelta:
        """The step's nominal length (a month counts 30 days), to choose a step for a span."""
        return timedelta(minutes=self.minutes, days=self.days + 30 * self.months)


_CLOCK = "%b %d %H:%M"
TICK_STEPS = (
    *(TickStep(minutes=minutes, label=_CLOCK) for minutes in (15, 30, 60, 120, 180, 360, 720)),
    TickStep(days=1, label="%b %d"),
    TickStep(days=7, label="%b %d"),  # Mondays
    TickStep(months=1, label="%b %Y"),
    TickStep(months=3, label="%b %Y"),
    TickStep(months=12, label="%Y"),
)


def tick_step(span: timedelta, most: Callable[[TickStep], int]) -> TickStep:
    """The shortest round step that puts at most `most(step)` ticks on `span` (how many fit
    depends on how wide the step's labels are)."""
    return next((step for step in TICK_STEPS if span / step.length <= max(most(step), 1)),
                TICK_STEPS[-1])


def round_ticks(first: datetime, last: datetime, tz: tzinfo, most: Callable[[TickStep], int]
                ) -> tuple[TickStep, list[datetime]]:
    """Ticks between two instants at round wall-clock times of `tz` (every 15 minutes, hour,
    6 hours, midnight, Monday, first of the month...), the step chosen so there are at most
    `most(step)`. A wall time a DST change skips is not a tick (it never shows on a clock)."""
    step = tick_step(last - first, most)
    ticks: list[datetime] = []
    day = first.astimezone(tz).date() - timedelta(days=1)
    end = last.astimezone(tz).date() + timedelta(days=1)
    while day <= end:
        for wall in _round_times(step, day):
            moment = datetime.combine(day, wall, tzinfo=tz)
            shown = moment.astimezone(UTC).astimezone(tz)
            if shown.replace(tzinfo=None) == moment.replace(tzinfo=None) and (
                first <= moment <= last
            ):
                ticks.append(moment)
        day += timedelta(days=1)
    return step, ticks


def _round_times(step: TickStep, day: date) -> list[time]:
    if step.minutes:
        return [time(minute // 60, minute % 60) for minute in range(0, 24 * 60, step.minutes)]
    if step.days == 7:
        return [time()] if day.weekday() == 0 else []
    if step.days:
        return [time()]
    return [time()] if day.day == 1 and (day.month - 1) % step.months == 0 else []


def delta_label(before: datetime, after: datetime) -> str:
    """How far a move goes, signed, in days, hours and minutes: `+30m`, `-2h`, `+1d 3h`."""
    moved = after - before
    sign = "-" if moved < timedelta(0) else "+"
    minutes = int(abs(moved).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    parts = [f"{value}{unit}" for value, unit in ((days, "d"), (rest // 60, "h"), (rest % 60, "m"))
             if value]
    return sign + " ".join(parts) if parts else "±0m"


# -- helpers ---------------------------------------------------------------------------------------


def _before(fields: Mapping[str, FieldChange], name: str) -> str | None:
    field = fields.get(name)
    return field.before if field is not None and isinstance(field.before, str) else None


def _after(fields: Mapping[str, FieldChange], name: str) -> str | None:
    field = fields.get(name)
    return field.after if field is not None and isinstance(field.after, str) else None


def _resized(fields: Mapping[str, FieldChange]) -> bool:
    return "end" in fields or "duration_hours" in fields


def _end(start: datetime, fields: Mapping[str, FieldChange], side: Side, zone: str | None
         ) -> datetime | None:
    field = fields.get("end")
    if field is not None:
        value = getattr(field, side.value)
        return _instant(value, zone) if isinstance(value, str) else None
    field = fields.get("duration_hours")
    length = getattr(field, side.value, None) if field is not None else None
    if isinstance(length, int | float) and not isinstance(length, bool) and length > 0:
        return start + hours(float(length))
    return None


def _instant(text: str | None, zone: str | None) -> datetime | None:
    """An aware datetime; an all-day date is its midnight in the object's zone."""
    if not text:
        return None
    try:
        if len(text) == 10:  # an all-day date
            return datetime.fromisoformat(text).replace(tzinfo=zone_or_utc(zone))
        return parse_instant(text, zone)
    except (ValueError, KeyError):
        return None


def _zone_name(zone: str) -> str:
    try:
        return canonical_zone(zone)
    except KeyError:
        return "UTC"

