"""Semantic checks the JSON Schema cannot express: date-times, time zones, start before end.

Each check takes one declared object that already passed the schema and returns its issues,
located by the file's marks. Nothing here converts values: the engine normalises instants and
zones; this module only refuses what the engine could not make sense of.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, tzinfo
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from reconciler.config.calendar import not_a_date
from reconciler.config.fixed_zones import is_refused, refusal
from reconciler.config.hints import close_match
from reconciler.config.yaml import JsonPath, SourceMap
from reconciler.model import ConfigIssue
from reconciler.zones import canonical_name, prevail_zone, prevail_zone_names, zone_table

# Prevail's `interpreter` names the languages to interpret; older configurations said true/false.
INTERPRETER_TRUE = (
    'is now the languages to interpret (Prevail takes a string), not true: write them, e.g. '
    'interpreter: "Spanish" ("" for none)'
)
# The years a start or end may fall in: far from the ends of what dates can hold (year 1 and
# 9999), where moving an instant to UTC, adding a duration or rendering a day around it fails.
FIRST_YEAR, LAST_YEAR = 1900, 2999


@cache
def iana_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_of(name: str, *, prevail_names: bool) -> tzinfo | None:
    """The zone an IANA name (or, for Prevail, one of its names) means; None when unknown.

    tzdata's own list of names answers first (it is read anyway, to canonicalise names);
    `available_timezones()` opens every file of every zone folder, a few tens of milliseconds,
    and is asked only about a name that list lacks (a system-only name such as `localtime`).
    """
    if zone_table().knows(name) or name in iana_zones():
        return ZoneInfo(name)
    iana = prevail_zone(name) if prevail_names else None
    if iana is not None and (zone_table().knows(iana) or iana in iana_zones()):
        return ZoneInfo(iana)
    return None


def parse_when(text: str) -> datetime | date | None:
    """An ISO 8601 date-time, or a bare date (YYYY-MM-DD); None when it does not parse."""
    if len(text) == 10:
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def in_range(when: date) -> bool:
    """Whether a date (or date-time) falls in the years a schedule may use."""
    return FIRST_YEAR <= when.year <= LAST_YEAR


def out_of_range(text: str) -> str:
    return f'"{text}" is out of range: use a date from {FIRST_YEAR} to {LAST_YEAR}'


def check_object(
    kind: str,
    item: Mapping[str, Any],
    path: JsonPath,
    source: SourceMap,
    *,
    flawed: frozenset[str] = frozenset(),
) -> list[ConfigIssue]:
    """The object's semantic issues; fields in `flawed` already have one and are left out."""
    check = _CHECKS.get(kind)
    if check is None:
        return []
    if "time_zone" in flawed:  # present but unusable: nothing that depends on it can be judged
        item = {name: value for name, value in item.items() if name not in ("start", "end")}
    if flawed:
        item = {name: value for name, value in item.items() if name not in flawed}
    return check(item, path, source)


def _check_session(item: Mapping[str, Any], path: JsonPath, source: SourceMap) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    zone_name = item.get("time_zone")
    if isinstance(zone_name, str):
        problem = zone_problem(zone_name, prevail_names=True)
        if problem is not None:
            issues.append(source.issue((*path, "time_zone"), problem))
    start = item.get("start")
    if isinstance(start, str):
        when = parse_when(start)
        where: JsonPath = (*path, "start")
        if when is None:
            issues.append(source.issue(where, _unparsable(start, "2026-12-01T09:00")))
        elif not in_range(when):
            issues.append(source.issue(where, out_of_range(start)))
        elif not isinstance(when, datetime):
            issues.append(
                source.issue(where, f'"{start}" has no time of day: write e.g. {start}T09:00')
            )
        elif when.tzinfo is None and zone_name is None:
            issues.append(source.issue(where, "a start without a UTC offset needs time_zone"))
    overrides = item.get("overrides")
    for date_key, override in (overrides.items() if isinstance(overrides, Mapping) else ()):
        if isinstance(override, Mapping) and override.get("interpreter") is True:
            where = (*path, "overrides", date_key, "interpreter")
            issues.append(source.issue(where, INTERPRETER_TRUE))
    if item.get("interpreter") is True:
        issues.append(source.issue((*path, "interpreter"), INTERPRETER_TRUE))
    return issues


def _check_event(item: Mapping[str, Any], path: JsonPath, source: SourceMap) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    zone_name = item.get("time_zone")
    zone: tzinfo | None = None
    if isinstance(zone_name, str):
        problem = zone_problem(zone_name, prevail_names=False)
        if problem is not None:
            issues.append(source.issue((*path, "time_zone"), problem))
        else:
            zone = zone_of(zone_name, prevail_names=False)
    all_day = item.get("all_day") is True
    instants: dict[str, datetime | date] = {}
    for name in ("start", "end"):
        text = item.get(name)
        if not isinstance(text, str):
            continue
        where: JsonPath = (*path, name)
        when = parse_when(text)
        if when is None:
            issues.append(source.issue(where, _unparsable(text, "2026-12-12T18:00:00+01:00")))
        elif not in_range(when):
            issues.append(source.issue(where, out_of_range(text)))
        elif not isinstance(when, datetime):
            if all_day:
                instants[name] = when
            else:
                issues.append(
                    source.issue(
                        where,
                        f'"{text}" has no time of day: add one (e.g. {text}T18:00) or set '
                        "all_day: true",
                    )
                )
        elif when.tzinfo is not None:
            instants[name] = when
        elif zone_name is None:
            issues.append(
                source.issue(
                    where,
                    f'"{text}" has no UTC offset: add one (e.g. {text}+01:00) or set time_zone',
                )
            )
        elif zone is not None:
            instants[name] = when.replace(tzinfo=zone)
    start, end = instants.get("start"), instants.get("end")
    comparable = type(start) is type(end)  # two dates, or two aware date-times
    if start is not None and end is not None and comparable and end < start:
        issues.append(
            source.issue((*path, "end"), f'end "{item["end"]}" is before start "{item["start"]}"')
        )
    return issues


def _unparsable(text: str, example: str) -> str:
    calendar = not_a_date(text)
    if calendar is not None:
        return f'"{text}" {calendar}'
    return f'"{text}" is not an ISO 8601 date-time (e.g. {example})'


def zone_problem(name: str, *, prevail_names: bool) -> str | None:
    """Why `name` cannot be a scheduling zone (it names no place, or no zone at all); None when
    it is usable. `prevail_names` admits Prevail's own names (sessions)."""
    refused = refusal(name, prevail_names=prevail_names)
    if refused is not None:
        return refused
    if zone_of(name, prevail_names=prevail_names) is None:
        return _unknown_zone(name, prevail_names=prevail_names)
    return None


def _unknown_zone(name: str, *, prevail_names: bool) -> str:
    iana = prevail_zone(name)
    if not prevail_names and iana is not None:
        refused = refusal(iana, prevail_names=False)
        if refused is not None:  # International Date Line West: Etc/GMT+12
            return f'"{name}" is a Prevail time zone name, and events take IANA names: {refused}'
        return (
            f'"{name}" is a Prevail time zone name; events take IANA names such as "{iana}"'
        )
    guess = zone_guess(name, prevail_names=prevail_names)
    hint = f' (did you mean "{guess}"?)' if guess else ""
    expected = "an IANA name or one of Prevail's names" if prevail_names else "an IANA name"
    return f'unknown time zone "{name}"{hint}: use {expected}, e.g. "America/New_York"'


def zone_guess(name: str, *, prevail_names: bool) -> str | None:
    """The zone a misspelt name most likely means, as it should be written: the canonical IANA
    name (never an alias such as `US/Eastern`), or for a session Prevail's own name when it is
    one of those that was meant (`Eastern Time` → `Eastern Time (US & Canada)`)."""
    rails = prevail_zone_names()
    folded = name.strip().casefold()
    # A Rails name cut short ("Eastern Time"): the first in Rails' own order, the US one.
    meant = next(
        (known for known in rails if len(folded) >= 4 and known.casefold().startswith(folded)),
        None,
    )
    if meant is None:
        # Bounded per load like every did-you-mean hint (a file of many bad zones stays linear).
        meant = close_match(name, _guessable_zones())
    if meant is None:
        return None
    if meant in rails:
        return meant if prevail_names else rails[meant]
    return canonical_name(meant)


@cache
def _guessable_zones() -> list[str]:
    """The names a hint may suggest: every zone and Prevail name but those refused (a hint
    never proposes `EST` or `Etc/GMT+5`)."""
    names = iana_zones() | set(prevail_zone_names())
    return sorted(name for name in names if name in prevail_zone_names() or not is_refused(name))


def _check_assignment(
    item: Mapping[str, Any], path: JsonPath, source: SourceMap
) -> list[ConfigIssue]:
    select = item.get("select")
    day = select.get("date") if isinstance(select, Mapping) else None
    calendar = not_a_date(day) if isinstance(day, str) else None
    if calendar is None:
        return []
    return [source.issue((*path, "select", "date"), f'"{day}" {calendar}')]


_CHECKS: Mapping[str, Callable[[Mapping[str, Any], JsonPath, SourceMap], list[ConfigIssue]]] = {
    "sessions": _check_session,
    "events": _check_event,
    "assignments": _check_assignment,
}
