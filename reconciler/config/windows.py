"""Change windows (`windows:` in the YAML): when apply may write, read while loading.

    windows:
      - name: office-hours
        allow: FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR    # or deny: RRULE
        start: 2026-01-05T08:00                    # the first instance, on the zone's clock
        duration_hours: 10
        time_zone: Europe/London                   # IANA or Prevail's (Rails') name
        kinds: [sessions]                          # optional: only these kinds' changes
        scopes: [firm-schedule]                    # optional: only these scopes

A window's instances are its rule's, computed by the schedule's own recurrence code
(`config.rfc5545`, python-dateutil): a start in a skipped hour is read with the offset before
the gap, a repeated hour's first occurrence is meant, and every instance lasts exactly its
duration in elapsed time (RFC 5545 §3.3.5, §3.8.5.3), so a DST change neither moves nor
stretches a window.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from reconciler.config.rfc5545 import Rule
from reconciler.config.yaml import JsonPath, SourceMap
from reconciler.instants import iana_zone
from reconciler.model import KINDS, ConfigIssue, Location

SECTION = "windows"
LOOK_AHEAD = timedelta(days=400)  # how far the next opening is looked for


@dataclass(frozen=True, kw_only=True)
class ChangeWindow:
    """One allow or deny period, recurring in its zone."""

    name: str
    allow: bool
    rule: Rule
    duration: timedelta
    zone_name: str  # as written
    kinds: frozenset[str] | None
    scopes: frozenset[str] | None
    location: Location

    def applies(self, kind: str, scope: str | None) -> bool:
        return (self.kinds is None or kind in self.kinds) and (
            self.scopes is None or scope in self.scopes
        )

    def instance_at(self, moment: datetime) -> datetime | None:
        """The start of the instance that holds `moment` (start ≤ moment < end), if any."""
        local = moment.astimezone(self.rule.zone).replace(tzinfo=None)
        # An instance that holds `moment` started at most `duration` before it; a day either
        # side covers a start moved out of a gap and the zone's largest offset change.
        begin = local - self.duration - timedelta(days=1)
        end = local + timedelta(days=1)
        if self.rule.zoned:
            begin, end = begin.replace(tzinfo=self.rule.zone), end.replace(tzinfo=self.rule.zone)
        for nominal in self.rule.recurrence.between(begin, end, inc=True):
            start = self._utc(nominal)
            if start <= moment < start + self.duration:
                return start
        return None

    def next_start(self, moment: datetime) -> datetime | None:
        """The first instance that starts after `moment`, within LOOK_AHEAD."""
        cursor = moment.astimezone(self.rule.zone).replace(tzinfo=None) - timedelta(days=1)
        limit = moment + LOOK_AHEAD
        while True:
            nominal = self.rule.recurrence.after(
                cursor.replace(tzinfo=self.rule.zone) if self.rule.zoned else cursor
            )
            if nominal is None:
                return None
            start = self._utc(nominal)
            if start > limit:
                return None
            if start > moment:
                return start
            cursor = nominal.replace(tzinfo=None)

    def _utc(self, nominal: datetime) -> datetime:
        # In UTC: an aware time in a repeated hour never equals one of another zone (PEP 495),
        # so instants are compared in one zone.
        return self.rule.actual(nominal).astimezone(UTC)

    def shown(self, moment: datetime) -> str:
        """A moment on this window's clock, as the refusal names it."""
        local = moment.astimezone(self.rule.zone)
        return f"{local:%a %Y-%m-%d %H:%M} {self.zone_name}"


def collect(
    files: Sequence[tuple[Mapping[str, Any], SourceMap]], issues: list[ConfigIssue]
) -> tuple[ChangeWindow, ...]:
    """Every file's windows, in file order; each mistake an issue at its line."""
    found: list[ChangeWindow] = []
    names: dict[str, Location] = {}
    for document, source in files:
        entries = document.get(SECTION)
        for index, entry in enumerate(entries if isinstance(entries, list) else ()):
            path: JsonPath = (SECTION, index)
            if not isinstance(entry, Mapping):
                continue  # the schema has said what is wrong with it
            try:
                window = _window(entry, source.at(path))
            except ValueError as error:
                issues.append(source.issue(path, str(error)))
                continue
            if window.name in names:
                issues.append(
                    source.issue(
                        path,
                        f"the window {window.name} is named twice (first at {names[window.name]})",
                    )
                )
                continue
            names[window.name] = window.location
            found.append(window)
    return tuple(found)


def _window(entry: Mapping[str, Any], location: Location) -> ChangeWindow:
    name = str(entry.get("name", ""))
    allow, deny = entry.get("allow"), entry.get("deny")
    if (allow is None) == (deny is None):
        raise ValueError(f"window {name}: give either allow or deny (an RRULE)")
    zone_name = str(entry.get("time_zone", "UTC"))
    try:
        zone = ZoneInfo(iana_zone(zone_name).key)
    except KeyError:
        raise ValueError(f"window {name}: unknown time zone {zone_name!r}") from None
    try:
        start = datetime.fromisoformat(str(entry.get("start")))
    except ValueError:
        raise ValueError(f"window {name}: start is a local date-time (2026-01-05T08:00)") from None
    if start.tzinfo is not None:
        start = start.astimezone(zone)
    start = start.replace(tzinfo=None)
    hours = entry.get("duration_hours")
    if isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
        raise ValueError(f"window {name}: duration_hours is a number above 0")
    text = str(allow if allow is not None else deny)
    try:
        rule = Rule.parse(text, start, zone, all_day=False)
    except ValueError as error:
        raise ValueError(f"window {name}: {error}") from None
    kinds, scopes = entry.get("kinds"), entry.get("scopes")
    if kinds is not None and not set(kinds) <= set(KINDS):
        raise ValueError(f"window {name}: kinds are among {', '.join(KINDS)}")
    return ChangeWindow(
        name=name,
        allow=allow is not None,
        rule=rule,
        duration=timedelta(hours=hours),
        zone_name=zone_name,
        kinds=frozenset(kinds) if kinds is not None else None,
        scopes=frozenset(map(str, scopes)) if scopes is not None else None,
        location=location,
    )
