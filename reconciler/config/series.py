"""A declared series as the plan sees it: its occurrences' keys, which remote keys it still owns,
and what to warn about it.

An occurrence is keyed `<key>@<local date>` (`status-call@2027-03-08`), or, in a series that can
have several occurrences a day, `<key>@<local date>T<hh:mm>` (`rounds@2027-03-08T09:00`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from reconciler.config.rfc5545 import Rule, local_text
from reconciler.model import ConfigIssue, Location

SEPARATOR = "@"
MAX_HORIZON_DAYS = 3660  # the configuration schema's maximum for `horizon`
_WHEN = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$")


class Membership(Enum):
    """How a remote object's key relates to the declared series."""

    PRODUCED = "produced"  # the rule still yields it (maybe past, or beyond the horizon)
    DROPPED = "dropped"  # the rule no longer yields it (an exdate, `until`, a changed rule)


@dataclass(frozen=True, kw_only=True)
class Exclusions:
    """`exdates`: local dates (every occurrence that day) and local date-times (one each)."""

    days: frozenset[date] = frozenset()
    starts: frozenset[datetime] = frozenset()  # naive wall-clock times

    def drop(self, start: datetime) -> bool:
        naive = start.replace(tzinfo=None)
        return naive.date() in self.days or naive in self.starts

    def touch(self, when: date) -> bool:
        """Whether they leave out this occurrence (a date-time) or any on this date."""
        if isinstance(when, datetime):
            return self.drop(when)
        return when in self.days or any(start.date() == when for start in self.starts)


@dataclass(frozen=True, kw_only=True)
class Outlook:
    """What the expansion saw around now: what it declared, and the nearest ones it did not."""

    now: datetime
    horizon_days: int
    declared: int  # occurrences declared now (future, within the horizon)
    last_past: datetime | None = None  # the latest occurrence that already started
    first_beyond: datetime | None = None  # the first occurrence after the horizon


@dataclass(frozen=True, kw_only=True)
class Series:
    """A declared recurring object: what the plan needs to judge remote occurrences."""

    kind: str
    key: str
    location: Location  # the `recurrence` block, where warnings about the series point
    path: str  # `sessions[0].recurrence`
    zone: ZoneInfo
    excluded: Exclusions
    until: date | None
    outlook: Outlook
    rule: Rule = field(compare=False, repr=False)
    notes: tuple[ConfigIssue, ...] = ()  # warnings: valid, but likely not what was meant
    previous_keys: tuple[str, ...] = ()  # the keys it was declared under before (a rename)

    @property
    def declared(self) -> int:
        return self.outlook.declared

    def produces(self, when: date) -> bool:
        """Whether the rule has this occurrence (not excluded): a local date, or in a series
        with several occurrences a day, a local date-time."""
        if isinstance(when, datetime) != self.rule.intraday:
            return False  # keyed the other way: an occurrence of an earlier rule
        day = when.date() if isinstance(when, datetime) else when
        if self.until is not None and day > self.until:
            return False
        starts = [start for start in self.rule.starts_on(day) if not self.excluded.drop(start)]
        if isinstance(when, datetime):
            return any(start.replace(tzinfo=None) == when for start in starts)
        return bool(starts)


def occurrence_key(key: str, when: date) -> str:
    """`key@2027-03-08`, or `key@2027-03-08T09:00` for a local date-time."""
    return f"{key}{SEPARATOR}{when_text(when)}"


def occurrence_id(start: datetime, *, intraday: bool) -> date:
    """What names an occurrence in its key: its local date, or its local date-time (a naive
    `datetime`) when the series can have several a day."""
    return start.replace(tzinfo=None) if intraday else start.date()


def split_key(key: str) -> tuple[str, date] | None:
    """(series key, local date or date-time) for an occurrence key; None for any other key."""
    stem, separator, when = key.rpartition(SEPARATOR)
    if not separator:
        return None
    parsed = parse_when(when)
    return None if parsed is None else (stem, parsed)


def parse_when(text: str) -> date | None:
    """A local date, or a local date-time (a naive `datetime`), as occurrence keys write them."""
    if not _WHEN.match(text):
        return None
    try:
        return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    except ValueError:
        return None


def when_text(when: date) -> str:
    if not isinstance(when, datetime):
        return when.isoformat()
    return when.isoformat(timespec="minutes" if when.second == 0 else "seconds")


def membership(key: str, series: Mapping[str, Series]) -> Membership | None:
    """Whether a managed object's key is an occurrence of a declared series, and if still so."""
    parts = split_key(key)
    if parts is None:
        return None
    stem, when = parts
    # An occurrence of a series' previous key is judged by the renamed series' rule.
    owner = series.get(stem) or next(
        (one for one in series.values() if stem in one.previous_keys), None
    )
    if owner is None:
        return None
    return Membership.PRODUCED if owner.produces(when) else Membership.DROPPED


def series_sizes(series: Mapping[str, Mapping[str, Series]]) -> dict[str, int]:
    """Series address (`sessions.status-call`) → occurrences declared now, for the plan."""
    return {
        f"{kind}.{key}": one.declared
        for kind, by_key in series.items()
        for key, one in by_key.items()
    }


def series_notes(series: Mapping[str, Mapping[str, Series]]) -> list[ConfigIssue]:
    """The warnings about every series, in file order: for the plan, and for `validate`."""
    return [note for by_key in series.values() for one in by_key.values() for note in one.notes]


def no_occurrence_note(series: Series) -> ConfigIssue | None:
    """The warning for a series that declares nothing now (none within its horizon)."""
    outlook = series.outlook
    if outlook.declared:
        return None
    if outlook.first_beyond is not None:
        first = outlook.first_beyond
        declared_from = (first - timedelta(days=outlook.horizon_days)).date()
        needed = math.ceil((first - outlook.now) / timedelta(days=1))
        hint = f"; set horizon: {needed} to declare it now" if needed <= MAX_HORIZON_DAYS else ""
        message = (
            f"no occurrence within the horizon ({outlook.horizon_days} days ahead), so nothing "
            f"is declared yet: the first, {local_text(first)}, is declared from {declared_from} "
            f"on{hint}"
        )
    elif outlook.last_past is not None:
        message = (
            "every occurrence has already started (the last at "
            f"{local_text(outlook.last_past)}): the series declares nothing"
        )
    else:
        message = "the rule has no occurrence left (exdates, until): the series declares nothing"
    return ConfigIssue(series.location, series.path, message)
