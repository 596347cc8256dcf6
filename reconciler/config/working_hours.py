"""Working hours per time zone (`checks.working_hours` in the YAML): read while loading.

    checks:
      working_hours:
        America/New_York: {days: [mon, tue, wed, thu, fri], start: "08:00", end: "18:00"}

Zones are compared canonically, so hours given for `US/Eastern` apply to sessions declared in
`America/New_York` or "Eastern Time (US & Canada)". The scheduling checks (`engine.scheduling`) ask
`WorkingHours.admits` whether a session's local span fits; this module only reads the settings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from reconciler.config.document import FileView
from reconciler.config.fixed_zones import refusal
from reconciler.config.yaml import JsonPath, SourceMap
from reconciler.instants import canonical_zone
from reconciler.model import ConfigIssue, Location

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_DAYS = DAYS[:5]
SECTION = "checks"


@dataclass(frozen=True, kw_only=True)
class WorkingHours:
    """When sessions in one zone may take place: days (0 = Monday) and local minutes of day."""

    zone: str
    days: frozenset[int]
    start_minute: int
    end_minute: int  # up to 1440 (24:00)
    location: Location

    def admits(self, begin: datetime, end: datetime) -> bool:
        """True when the local span [begin, end] lies within one working day's hours."""
        day_start = begin.replace(hour=0, minute=0, second=0, microsecond=0)
        opens = day_start + timedelta(minutes=self.start_minute)
        closes = day_start + timedelta(minutes=self.end_minute)
        return begin.weekday() in self.days and opens <= begin and end <= closes

    def describe(self) -> str:
        names = [DAYS[day] for day in sorted(self.days)]
        days = f"{names[0]}-{names[-1]}" if _consecutive(sorted(self.days)) else ", ".join(names)
        return f"{days} {_clock(self.start_minute)}-{_clock(self.end_minute)} {self.zone}"




def collect(
    files: Sequence[FileView], issues: list[ConfigIssue]
) -> dict[str, WorkingHours]:
    """Working hours by canonical zone, from the one file that has a `checks` section."""
    found: dict[str, WorkingHours] = {}
    first_at: Location | None = None
    for document, source, clean in files:
        block = document.get(SECTION)
        if not isinstance(block, Mapping):
            continue
        if first_at is not None:
            issues.append(
                source.issue(
                    (SECTION,), f"checks are configured twice (first at {first_at}); keep one"
                )
            )
            continue
        first_at = source.at((SECTION,))
        hours = block.get("working_hours")
        for zone_name, entry in (hours.items() if isinstance(hours, Mapping) else ()):
            path: JsonPath = (SECTION, "working_hours", zone_name)
            if not clean(path) or not isinstance(entry, Mapping):
                continue  # the schema has said what is wrong with it
            parsed = _hours(str(zone_name), entry, path, source, issues)
            if parsed is None:
                continue
            if parsed.zone in found:
                issues.append(
                    source.issue(
                        path,
                        f"working hours for {parsed.zone} are given twice (also at "
                        f"{found[parsed.zone].location})",
                    )
                )
                continue
            found[parsed.zone] = parsed
    return found


def _hours(
    zone_name: str,
    entry: Mapping[str, Any],
    path: JsonPath,
    source: SourceMap,
    issues: list[ConfigIssue],
) -> WorkingHours | None:
    refused = refusal(zone_name, prevail_names=True)
    if refused is not None:
        issues.append(source.issue(path, refused))
        return None
    try:
        zone = canonical_zone(zone_name)
    except KeyError:
        issues.append(
            source.issue(path, f'unknown time zone "{zone_name}": use an IANA name such as '
                         '"America/New_York" (or one of Prevail\'s names)')
        )
        return None
    start, end = _minutes(str(entry["start"])), _minutes(str(entry["end"]))
    if end <= start:
        issues.append(source.issue((*path, "end"), "the working day must end after it starts"))
        return None
    days = frozenset(DAYS.index(day) for day in entry.get("days") or DEFAULT_DAYS)
    return WorkingHours(
        zone=zone, days=days, start_minute=start, end_minute=end, location=source.at(path)
    )


def _minutes(text: str) -> int:
    hours, _, minutes = text.partition(":")
    return int(hours) * 60 + int(minutes)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _consecutive(days: list[int]) -> bool:
    return len(days) > 2 and days == list(range(days[0], days[-1] + 1))
