"""Recurring sessions and events: RFC 5545 rules expanded into concrete declared objects.

A declared object with `recurrence: {rrule, exdates, until, horizon}` becomes one object per
occurrence, keyed `<key>@<local date>` (`status-call@2027-03-08`), while the configuration loads,
so no provider ever sees a rule. python-dateutil's `rrulestr` does the RFC 5545 arithmetic over
wall-clock times: the series' `start` (and `end`) are the first occurrence's local times in its
`time_zone`, and every occurrence keeps them across DST changes (a 09:00 meeting stays at 09:00).

- Only occurrences from now up to the horizon (default 180 days) are declared; one that already
  started is never declared, so it is never created nor changed.
- `exdates` drop occurrences; `overrides: {<date>: {field: value}}` change one occurrence.
- A rule that never ends (no COUNT, UNTIL or `until`) needs an explicit `horizon`.
- `Series` remembers the rule, so the plan can tell an occurrence the rule no longer produces
  (cancel it) from one merely beyond the horizon or in the past (leave it alone).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rruleset, rrulestr

from reconciler.config.yaml import JsonPath, SourceMap
from reconciler.instants import iana_zone, parse_instant
from reconciler.model import ConfigIssue, Location

if TYPE_CHECKING:  # config imports this module; the loader hands us its objects
    from reconciler.model import DeclaredObject

HORIZON_DAYS = 180
SEPARATOR = "@"
MAX_OCCURRENCES = 2000  # declared at once: a rule that yields more is almost surely a mistake
MAX_STEPS = 100_000  # rule instances walked (past ones included) before giving up
_NOUN = {"sessions": "session", "events": "event"}


class Membership(Enum):
    """How a remote object's key relates to the declared series."""

    PRODUCED = "produced"  # the rule still yields it (maybe past, or beyond the horizon)
    DROPPED = "dropped"  # the rule no longer yields it (an exdate, `until`, a changed rule)


@dataclass(frozen=True, kw_only=True)
class Series:
    """A declared recurring object: what the plan needs to judge remote occurrences."""

    kind: str
    key: str
    location: Location
    zone: ZoneInfo
    exdates: frozenset[date]
    until: date | None
    declared: int  # occurrences declared now (future, within the horizon)
    rule: Rule = field(compare=False, repr=False)

    def produces(self, day: date) -> bool:
        """True when the rule has an occurrence on this local date (not excluded)."""
        if day in self.exdates or (self.until is not None and day > self.until):
            return False
        return self.rule.on_day(day)


@dataclass(frozen=True, kw_only=True)
class Rule:
    """A parsed RRULE over wall-clock times in `zone`.

    dateutil refuses a UTC UNTIL with a naive DTSTART; such a rule runs over zoned times
    (`zoned`), which keep the same wall-clock arithmetic.
    """

    recurrence: rrule | rruleset
    zone: ZoneInfo
    zoned: bool

    @classmethod
    def parse(cls, text: str, first: datetime, zone: ZoneInfo) -> Rule:
        names = {part.partition("=")[0].strip().upper() for part in text.split(";")}
        if {"COUNT", "UNTIL"} <= names:
            raise ValueError("COUNT and UNTIL cannot both be given; keep one")
        with warnings.catch_warnings():
            # dateutil only warns about what RFC 5545 forbids (COUNT with UNTIL): refuse it.
            warnings.simplefilter("error")
            try:
                return cls(recurrence=rrulestr(text, dtstart=first), zone=zone, zoned=False)
            except Warning as warning:
                raise ValueError(str(warning)) from None
            except ValueError as naive_error:
                try:
                    zoned = rrulestr(text, dtstart=first.replace(tzinfo=zone))
                except (ValueError, Warning):
                    raise naive_error from None
                return cls(recurrence=zoned, zone=zone, zoned=True)

    def walk(self, until: date | None, horizon_end: datetime) -> Iterator[datetime]:
        """Naive local start times, up to `until` (a local date) and the horizon."""
        for step, moment in enumerate(self.recurrence):
            local = moment.replace(tzinfo=None)
            if step >= MAX_STEPS:
                raise OverflowError(f"more than {MAX_STEPS} occurrences before the horizon")
            if until is not None and local.date() > until:
                return
            if local.replace(tzinfo=self.zone) > horizon_end:
                return
            yield local

    def on_day(self, day: date) -> bool:
        begin = datetime.combine(day, time.min)
        end = begin + timedelta(days=1)
        if self.zoned:
            begin, end = begin.replace(tzinfo=self.zone), end.replace(tzinfo=self.zone)
        return any(
            moment.replace(tzinfo=None).date() == day
            for moment in self.recurrence.between(begin, end, inc=True)
        )


@dataclass(frozen=True, kw_only=True)
class Expansion:
    occurrences: tuple[DeclaredObject, ...] = ()
    series: Series | None = None
    issues: tuple[ConfigIssue, ...] = ()


def occurrence_key(key: str, day: date) -> str:
    return f"{key}{SEPARATOR}{day.isoformat()}"


def split_key(key: str) -> tuple[str, date] | None:
    """(series key, local date) for an occurrence key; None for any other key."""
    stem, separator, day = key.rpartition(SEPARATOR)
    if not separator:
        return None
    try:
        return stem, date.fromisoformat(day)
    except ValueError:
        return None


def membership(key: str, series: Mapping[str, Series]) -> Membership | None:
    """Whether a managed object's key is an occurrence of a declared series, and if still so."""
    parts = split_key(key)
    if parts is None or parts[0] not in series:
        return None
    stem, day = parts
    return Membership.PRODUCED if series[stem].produces(day) else Membership.DROPPED


def series_sizes(series: Mapping[str, Mapping[str, Series]]) -> dict[str, int]:
    """Series address (`sessions.status-call`) → occurrences declared now, for the plan."""
    return {
        f"{kind}.{key}": one.declared
        for kind, by_key in series.items()
        for key, one in by_key.items()
    }


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
    exdates = _dates(spec.get("exdates") or [], (*where, "exdates"), source, issues)
    for index, text_day in enumerate(spec.get("exdates") or []):
        day = exdates.get(str(text_day))
        if day is not None and not rule.on_day(day):
            issues.append(
                source.issue((*where, "exdates", index), f"{day} is not an occurrence of the rule")
            )
    until = _day(spec["until"], (*where, "until"), source, issues) if "until" in spec else None
    overrides = _overrides(item, path, source, rule, set(exdates.values()), issues)
    if issues:
        return Expansion(issues=tuple(issues))
    series = Series(
        kind=base.kind,
        key=base.key,
        location=base.location,
        zone=rule.zone,
        exdates=frozenset(exdates.values()),
        until=until,
        declared=0,
        rule=rule,
    )
    horizon_end = now + timedelta(days=int(spec.get("horizon", HORIZON_DAYS)))
    try:
        occurrences = _occurrences(
            series, base, item, path, source, overrides, now=now, horizon_end=horizon_end
        )
    except OverflowError as error:
        return _fail(
            source.issue(where, f"the rule has {error}; make it less frequent or shorten it")
        )
    return Expansion(
        occurrences=tuple(occurrences), series=replace(series, declared=len(occurrences))
    )


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
    try:
        rule = Rule.parse(text, first, zone)
    except ValueError as error:
        return _fail(source.issue((*where, "rrule"), f'"{text}" is not an RFC 5545 rule: {error}'))
    parts = {part.partition("=")[0].strip().upper() for part in text.split(";")}
    if not parts & {"COUNT", "UNTIL"} and "until" not in spec and "horizon" not in spec:
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
    *,
    now: datetime,
    horizon_end: datetime,
) -> list[DeclaredObject]:
    """The series' occurrences from `now` to the horizon; OverflowError past the maximum."""
    occurrences: list[DeclaredObject] = []
    for local in series.rule.walk(series.until, horizon_end):
        if local.date() in series.exdates:
            continue
        occurrence = _occurrence(base, item, path, source, local, overrides.get(local.date()))
        if _starts(occurrence, series.zone) < now:
            continue  # the past is frozen: never created, never changed
        occurrences.append(occurrence)
        if len(occurrences) > MAX_OCCURRENCES:
            raise OverflowError(f"more than {MAX_OCCURRENCES} occurrences within the horizon")
    return occurrences


def _fail(issue: ConfigIssue) -> Expansion:
    return Expansion(issues=(issue,))


def _wall_clock(text: str, zone: ZoneInfo) -> datetime:
    """The naive local date-time a start means in `zone` (a date is its midnight)."""
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time.min)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone).replace(tzinfo=None)
    return moment


def _dates(
    values: list[Any], where: JsonPath, source: SourceMap, issues: list[ConfigIssue]
) -> dict[str, date]:
    found: dict[str, date] = {}
    for index, text in enumerate(values):
        day = _day(text, (*where, index), source, issues)
        if day is not None:
            found[str(text)] = day
    return found


def _day(text: Any, where: JsonPath, source: SourceMap, issues: list[ConfigIssue]) -> date | None:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        issues.append(source.issue(where, f'"{text}" is not a date like 2027-03-08'))
        return None


def _overrides(
    item: Mapping[str, Any],
    path: JsonPath,
    source: SourceMap,
    rule: Rule,
    exdates: set[date],
    issues: list[ConfigIssue],
) -> dict[date, tuple[str, Mapping[str, Any]]]:
    """Overrides by occurrence date, each checked to name a real, not excluded, occurrence."""
    found: dict[date, tuple[str, Mapping[str, Any]]] = {}
    for text, changes in dict(item.get("overrides") or {}).items():
        where: JsonPath = (*path, "overrides", text)
        try:
            day = date.fromisoformat(str(text))
        except ValueError:
            issues.append(source.issue(where, f'"{text}" is not a date like 2027-03-08'))
            continue
        if day in exdates:
            issues.append(source.issue(where, f"{day} is both overridden and in exdates"))
        elif not rule.on_day(day):
            issues.append(source.issue(where, f"{day} is not an occurrence of the rule"))
        else:
            zone_name = changes.get("time_zone")
            if isinstance(zone_name, str) and not _known_zone(zone_name):
                issues.append(
                    source.issue((*where, "time_zone"), f'unknown time zone "{zone_name}"')
                )
                continue
            for name in ("start", "end"):
                value = changes.get(name)
                if isinstance(value, str) and not _readable(value, changes, item):
                    issues.append(
                        source.issue((*where, name), f'"{value}" is not an ISO 8601 date-time')
                    )
            found[day] = (str(text), changes)
    return found


def _readable(value: str, changes: Mapping[str, Any], item: Mapping[str, Any]) -> bool:
    try:
        parse_instant(value, str(changes.get("time_zone") or item["time_zone"]))
    except (KeyError, ValueError):
        return len(value) == 10 and _is_date(value)
    return True


def _known_zone(name: str) -> bool:
    try:
        iana_zone(name)
    except KeyError:
        return False
    return True


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _occurrence(
    base: DeclaredObject,
    item: Mapping[str, Any],
    path: JsonPath,
    source: SourceMap,
    local: datetime,
    override: tuple[str, Mapping[str, Any]] | None,
) -> DeclaredObject:
    """One occurrence: the series' fields at this local start, then the override's fields."""
    all_day = len(str(item["start"])) == 10
    fields = dict(base.fields)
    fields["start"] = _local_text(local, all_day=all_day)
    span = _span(item)
    if span is not None:
        fields["end"] = _local_text(local + span, all_day=all_day)
    location = base.location
    if override is not None:
        text, changes = override
        fields.update(changes)
        if "start" in changes and "end" not in changes and span is not None:
            # A moved occurrence keeps the series' duration, as RFC 5545's RECURRENCE-ID does.
            zone = iana_zone(str(fields["time_zone"]))
            moved = _wall_clock(str(changes["start"]), zone)
            fields["end"] = _local_text(moved + span, all_day=all_day)
        where: JsonPath = (*path, "overrides", text)
        location = source.at(where)
    return replace(
        base,
        key=occurrence_key(base.key, local.date()),
        fields=fields,
        location=location,
    )


def _span(item: Mapping[str, Any]) -> timedelta | None:
    """The series' wall-clock length (end - start), when it declares an end."""
    end = item.get("end")
    if not isinstance(end, str):
        return None
    zone = iana_zone(str(item["time_zone"]))
    return _wall_clock(end, zone) - _wall_clock(str(item["start"]), zone)


def _local_text(moment: datetime, *, all_day: bool) -> str:
    return moment.date().isoformat() if all_day else moment.isoformat(timespec="seconds")


def _starts(occurrence: DeclaredObject, zone: ZoneInfo) -> datetime:
    start = str(occurrence.fields["start"])
    zone_name = occurrence.fields.get("time_zone")
    if len(start) == 10:
        return datetime.combine(date.fromisoformat(start), time.min, tzinfo=zone)
    return parse_instant(start, str(zone_name) if zone_name else zone.key)
