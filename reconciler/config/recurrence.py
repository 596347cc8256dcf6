"""Recurring sessions and events: RFC 5545 rules expanded into concrete declared objects.

A declared object with `recurrence: {rrule, exdates, until, horizon}` becomes one object per
occurrence while the configuration loads, so no provider ever sees a rule. An occurrence is keyed
`<key>@<local date>` (`status-call@2027-03-08`); in a series that can have several occurrences a
day (FREQ=HOURLY, BYHOUR=9,15, ...) it is keyed `<key>@<local date>T<hh:mm>`. The series'
`start` is the first occurrence (DTSTART) in its `time_zone`; `rfc5545` does the arithmetic, so
occurrences keep that wall-clock time across DST changes and the first one's exact duration.

- Only occurrences from now up to the horizon (default 180 days) are declared; one that already
  started is never declared, so it is never created nor changed.
- `exdates` drop occurrences (a date drops that day's, a date-time one occurrence);
  `overrides: {<date or date-time>: {field: value}}` change one occurrence.
- A rule that never ends (no COUNT, UNTIL or `until`) needs an explicit `horizon`.
- `Series` remembers the rule, so the plan can tell an occurrence the rule no longer produces
  (cancel it) from one merely beyond the horizon or in the past (leave it alone), and what to
  warn about: a start the rule does not produce, a series with nothing to declare now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from reconciler.config.calendar import not_a_date
from reconciler.config.checks import zone_problem
from reconciler.config.rfc5545 import Rule, exact_duration, local_text
from reconciler.config.series import (
    Exclusions,
    Membership,
    Outlook,
    Series,
    membership,
    no_occurrence_note,
    occurrence_id,
    occurrence_key,
    parse_when,
    series_notes,
    series_sizes,
    split_key,
    when_text,
)
from reconciler.config.yaml import JsonPath, SourceMap
from reconciler.instants import iana_zone, parse_instant
from reconciler.model import ConfigIssue

if TYPE_CHECKING:  # config imports this module; the loader hands us its objects
    from reconciler.model import DeclaredObject

# What the engine reads of a series lives in `series`; it is named here too, with the expansion.
__all__ = [
    "Expansion",
    "Membership",
    "Series",
    "expand_series",
    "membership",
    "no_occurrence_note",
    "series_notes",
    "series_sizes",
    "split_key",
]

HORIZON_DAYS = 180
MAX_OCCURRENCES = 2000  # declared at once: a rule that yields more is almost surely a mistake
_NOUN = {"sessions": "session", "events": "event"}
_WHEN_EXAMPLE = "a date like 2027-03-08 or a local date-time like 2027-03-08T09:00"


@dataclass(frozen=True, kw_only=True)
class Expansion:
    occurrences: tuple[DeclaredObject, ...] = ()
    series: Series | None = None
    issues: tuple[ConfigIssue, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Timing:
    """How long each occurrence lasts: whole days for all-day events, else an exact duration."""

    all_day: bool
    length: timedelta | None  # None: the object declares no end

    def end_text(self, start: datetime) -> str | None:
        """The end of an occurrence starting at `start` (aware), as the YAML writes ends."""
        if self.length is None:
            return None
        if self.all_day:
            return (start.date() + self.length).isoformat()
        return local_text((start.astimezone(UTC) + self.length).astimezone(start.tzinfo))


def expand_series(
    base: DeclaredObject,
    item: Mapping[str, Any],
    path: JsonPath,
    source: SourceMap,
    *,
    now: datetime,
) -> Expansion:
    """The occurrences of one recurring object (declared from `now` to the horizon)."""
    where: JsonPath = (*path, "recurrence")
    parsed = _rule_of(base, item, path, source)
    if isinstance(parsed, Expansion):
        return parsed
    rule, spec = parsed
    issues: list[ConfigIssue] = []
    excluded = _exclusions(spec.get("exdates") or [], (*where, "exdates"), rule, source, issues)
    until = _day(spec["until"], (*where, "until"), source, issues) if "until" in spec else None
    overrides = _overrides(item, path, source, rule, excluded, issues)
    if issues:
        return Expansion(issues=tuple(issues))
    outlook = Outlook(now=now, horizon_days=int(spec.get("horizon", HORIZON_DAYS)), declared=0)
    block = source.issue(where, "")  # where warnings about the whole series point
    series = Series(
        kind=base.kind,
        key=base.key,
        location=block.location,
        path=block.path,
        zone=rule.zone,
        excluded=excluded,
        until=until,
        outlook=outlook,
        rule=rule,
        previous_keys=base.options.previous_keys,
    )
    try:
        occurrences, outlook = _occurrences(series, base, item, path, source, overrides)
    except OverflowError as error:
        return _fail(
            source.issue(where, f"the rule has {error}; make it less frequent or shorten it")
        )
    series = replace(series, outlook=outlook)
    notes = [_start_note(rule, excluded, (*path, "start"), source), no_occurrence_note(series)]
    series = replace(series, notes=tuple(note for note in notes if note is not None))
    return Expansion(occurrences=tuple(occurrences), series=series)


def _rule_of(
    base: DeclaredObject, item: Mapping[str, Any], path: JsonPath, source: SourceMap
) -> tuple[Rule, Mapping[str, Any]] | Expansion:
    """The object's parsed rule and its `recurrence` block, or the Expansion that refuses it."""
    where: JsonPath = (*path, "recurrence")
    spec = item.get("recurrence")
    if not isinstance(spec, Mapping):
        return _fail(source.issue((*path, "overrides"), "overrides need recurrence"))
    if "remote_id" in item:
        return _fail(source.issue((*path, "remote_id"), "a recurring object cannot be imported"))
    noun = _NOUN.get(base.kind, "object")
    zone_name = item.get("time_zone")
    if not isinstance(zone_name, str):
        return _fail(
            source.issue(
                where,
                f"a recurring {noun} needs time_zone: its occurrences keep their wall-clock "
                "time in that zone across DST changes",
            )
        )
    try:
        zone = iana_zone(zone_name)
        first = _wall_clock(str(item["start"]), zone)
    except (KeyError, ValueError):
        return Expansion()  # the zone or start is unusable: the config checks have said why
    text = str(spec["rrule"]).strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    if "\n" in text or ":" in text:
        return _fail(
            source.issue(
                (*where, "rrule"),
                "write the RRULE alone (e.g. FREQ=WEEKLY;BYDAY=MO;COUNT=10): the start is the "
                f"{noun}'s start, excluded dates go in exdates",
            )
        )
    all_day = _is_all_day(item)
    try:
        rule = Rule.parse(text, first, zone, all_day=all_day)
    except ValueError as error:
        return _fail(source.issue((*where, "rrule"), f'"{text}" is not an RFC 5545 rule: {error}'))
    if all_day and rule.intraday:
        return _fail(
            source.issue(
                (*where, "rrule"),
                f'"{text}" repeats within a day, but the {noun} is all-day: repeat it daily or '
                "less often, or give start and end a time of day",
            )
        )
    if not rule.ends and "until" not in spec and "horizon" not in spec:
        return _fail(
            source.issue(
                where,
                f'the rule "{text}" never ends: add COUNT or UNTIL to it, or give until '
                "(a date) or horizon (days ahead to declare) under recurrence",
            )
        )
    return rule, spec


def _occurrences(
    series: Series,
    base: DeclaredObject,
    item: Mapping[str, Any],
    path: JsonPath,
    source: SourceMap,
    overrides: Mapping[date, tuple[str, Mapping[str, Any]]],
) -> tuple[list[DeclaredObject], Outlook]:
    """The series' occurrences from now to the horizon, and what lay around them;
    OverflowError past the maximum."""
    outlook = series.outlook
    horizon_end = outlook.now + timedelta(days=outlook.horizon_days)
    timing = _timing(item, series.zone)
    occurrences: list[DeclaredObject] = []
    last_past: datetime | None = None
    first_beyond: datetime | None = None
    for start in series.rule.instances():
        if series.until is not None and start.date() > series.until:
            break
        if series.excluded.drop(start):
            continue
        if start > horizon_end:
            first_beyond = start
            break
        when = occurrence_id(start, intraday=series.rule.intraday)
        occurrence = _occurrence(base, path, source, start, when, overrides.get(when), timing)
        if _starts(occurrence, series.zone) < outlook.now:
            last_past = start
            continue  # the past is frozen: never created, never changed
        occurrences.append(occurrence)
        if len(occurrences) > MAX_OCCURRENCES:
            raise OverflowError(f"more than {MAX_OCCURRENCES} occurrences within the horizon")
    return occurrences, replace(
        outlook, declared=len(occurrences), last_past=last_past, first_beyond=first_beyond
    )


def _start_note(
    rule: Rule, excluded: Exclusions, where: JsonPath, source: SourceMap
) -> ConfigIssue | None:
    """A start the rule does not produce is still the first occurrence (RFC 5545 §3.8.5.3):
    kept, and pointed out, unless exdates leave it out (the RFC's own idiom for that)."""
    start = rule.actual(rule.start)
    if rule.start_in_rule or excluded.drop(start):
        return None
    counted = " (and COUNT counts it)" if rule.counted else ""
    own = (
        f"start it at the rule's first occurrence, {local_text(rule.actual(rule.rule_first))}"
        if rule.rule_first is not None
        else "the rule has no occurrence of its own"
    )
    leave_out = when_text(occurrence_id(start, intraday=rule.intraday))
    return source.issue(
        where,
        f'{local_text(start)} is not an occurrence of the rule "{rule.text}"; RFC 5545 keeps the '
        f"start as the first occurrence all the same{counted}: {own}, or put {leave_out} in "
        "exdates to leave it out",
    )


def _fail(issue: ConfigIssue) -> Expansion:
    return Expansion(issues=(issue,))


def _is_all_day(item: Mapping[str, Any]) -> bool:
    return len(str(item["start"])) == 10


def _wall_clock(text: str, zone: ZoneInfo) -> datetime:
    """The naive local date-time a start means in `zone` (a date is its midnight)."""
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time.min)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone).replace(tzinfo=None)
    return moment


def _instant(text: str, zone: ZoneInfo) -> datetime:
    """The instant a start or end names, on `zone`'s wall clock (a date is its midnight)."""
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time.min, tzinfo=zone)
    return parse_instant(text, zone.key).astimezone(zone)


def _exclusions(
    values: list[Any], where: JsonPath, rule: Rule, source: SourceMap, issues: list[ConfigIssue]
) -> Exclusions:
    days: set[date] = set()
    starts: set[datetime] = set()
    for index, text in enumerate(values):
        when = parse_when(str(text))
        if when is None:
            issues.append(source.issue((*where, index), _unreadable(str(text), _WHEN_EXAMPLE)))
        elif not rule.has(when):
            issues.append(source.issue((*where, index), f"{text} is not an occurrence of the rule"))
        elif isinstance(when, datetime):
            starts.add(when)
        else:
            days.add(when)
    return Exclusions(days=frozenset(days), starts=frozenset(starts))


def _day(text: Any, where: JsonPath, source: SourceMap, issues: list[ConfigIssue]) -> date | None:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        issues.append(source.issue(where, _unreadable(str(text), "a date like 2027-03-08")))
        return None


def _overrides(
    item: Mapping[str, Any],
    path: JsonPath,
    source: SourceMap,
    rule: Rule,
    excluded: Exclusions,
    issues: list[ConfigIssue],
) -> dict[date, tuple[str, Mapping[str, Any]]]:
    """Overrides by occurrence (its date or date-time), each checked to name a real, not
    excluded, occurrence."""
    found: dict[date, tuple[str, Mapping[str, Any]]] = {}
    for text, changes in dict(item.get("overrides") or {}).items():
        where: JsonPath = (*path, "overrides", text)
        when = parse_when(str(text))
        if when is None:
            issues.append(source.issue(where, _unreadable(str(text), _WHEN_EXAMPLE)))
            continue
        timed = isinstance(when, datetime)
        if timed != rule.intraday:
            issues.append(source.issue(where, _keyed_otherwise(when, rule)))
        elif excluded.touch(when):
            issues.append(source.issue(where, f"{text} is both overridden and in exdates"))
        elif not rule.has(when):
            issues.append(source.issue(where, f"{text} is not an occurrence of the rule"))
        else:
            zone_name = changes.get("time_zone")
            problem = (
                zone_problem(zone_name, prevail_names=path[0] == "sessions")
                if isinstance(zone_name, str) else None
            )
            if problem is not None:
                issues.append(source.issue((*where, "time_zone"), problem))
                continue
            for name in ("start", "end"):
                value = changes.get(name)
                if isinstance(value, str) and not _readable(value, changes, item):
                    issues.append(
                        source.issue((*where, name), _unreadable(value, "an ISO 8601 date-time"))
                    )
            found[when] = (str(text), changes)
    return found


def _unreadable(text: str, expected: str) -> str:
    """Why `text` is not a date or date-time: the calendar's reason when it has one."""
    return f'"{text}" {not_a_date(text) or "is not " + expected}'


def _keyed_otherwise(when: date, rule: Rule) -> str:
    if isinstance(when, datetime):
        return (
            f"name the occurrence by its local date ({when.date()}), as its key does: this "
            "series has at most one occurrence a day"
        )
    example = when_text(datetime.combine(when, rule.start.time()))
    return (
        f"name the occurrence by its local date and time (e.g. {example}), as its key does: "
        "this series can have several occurrences a day"
    )


def _readable(value: str, changes: Mapping[str, Any], item: Mapping[str, Any]) -> bool:
    try:
        parse_instant(value, str(changes.get("time_zone") or item["time_zone"]))
    except (KeyError, ValueError):
        return len(value) == 10 and parse_when(value) is not None
    return True


def _timing(item: Mapping[str, Any], zone: ZoneInfo) -> Timing:
    """The first occurrence's length: whole days when all-day, else exact (RFC 5545: every
    occurrence lasts as long as the first, whatever the wall clock does in between)."""
    all_day = _is_all_day(item)
    end = item.get("end")
    if not isinstance(end, str):
        return Timing(all_day=all_day, length=None)
    start = str(item["start"])
    if all_day:
        return Timing(all_day=True, length=_wall_clock(end, zone) - _wall_clock(start, zone))
    return Timing(all_day=False, length=exact_duration(_instant(start, zone), _instant(end, zone)))


def _occurrence(
    base: DeclaredObject,
    path: JsonPath,
    source: SourceMap,
    start: datetime,
    when: date,
    override: tuple[str, Mapping[str, Any]] | None,
    timing: Timing,
) -> DeclaredObject:
    """One occurrence: the series' fields at this start, then the override's fields."""
    fields = dict(base.fields)
    fields["start"] = start.date().isoformat() if timing.all_day else local_text(start)
    end = timing.end_text(start)
    if end is not None:
        fields["end"] = end
    location = base.location
    if override is not None:
        text, changes = override
        fields.update(changes)
        if "start" in changes and "end" not in changes and timing.length is not None:
            # A moved occurrence keeps the series' duration, as RFC 5545's RECURRENCE-ID does.
            zone = iana_zone(str(fields["time_zone"]))
            moved = _instant(str(changes["start"]), zone)
            fields["end"] = timing.end_text(moved)
        location = source.at((*path, "overrides", text))
    options = base.options
    if options.previous_keys:
        # A renamed series: each occurrence was the same date's occurrence of the old key.
        previous = tuple(occurrence_key(old, when) for old in options.previous_keys)
        options = replace(options, previous_keys=previous)
    return replace(base, key=occurrence_key(base.key, when), fields=fields, location=location,
                   options=options)


def _starts(occurrence: DeclaredObject, zone: ZoneInfo) -> datetime:
    start = str(occurrence.fields["start"])
    zone_name = occurrence.fields.get("time_zone")
    if len(start) == 10:
        return datetime.combine(date.fromisoformat(start), time.min, tzinfo=zone)
    return parse_instant(start, str(zone_name) if zone_name else zone.key)
