"""RFC 5545 recurrence arithmetic: python-dateutil's rules, and the RFC's readings it leaves out.

dateutil evaluates the RRULE over wall-clock times. This module adds the RFC's own readings:

- DTSTART is the first instance of the set even when the rule does not produce it, and COUNT
  counts it (§3.8.5.3, §3.3.10); dateutil drops such a start, so it is added back here.
- UNTIL has DTSTART's value type, and with a DTSTART in a time zone (every timed series here:
  `time_zone` is required) it is a UTC date-time (§3.3.10); a date or a local date-time UNTIL is
  refused with its UTC spelling, not guessed at.
- A computed local time that does not exist (spring forward) or occurs twice (fall back) is read
  as an explicit DATE-TIME is (§3.3.10 → §3.3.5): with the offset before the gap, and the first of
  the two. Instances that land on the same instant are one instance.
- Every instance lasts exactly as long as the first (§3.8.5.3: DTEND minus DTSTART as an exact
  duration), so an instance on a DST-change day keeps its length, not its wall-clock span.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rruleset, rrulestr

MAX_STEPS = 100_000  # rule instances walked (past ones included) before giving up
# Frequencies that repeat within a day; BYHOUR/BYMINUTE/BYSECOND with several values do too.
INTRADAY_FREQUENCIES = frozenset({"HOURLY", "MINUTELY", "SECONDLY"})
_DATE_VALUE = re.compile(r"^\d{8}$")
_LOCAL_DATE_TIME = re.compile(r"^\d{8}T\d{6}$")  # no Z: a floating (local) time
_POSITIVE = re.compile(r"^[0-9]{1,9}$")


@dataclass(frozen=True, kw_only=True)
class Rule:
    """An RRULE with its DTSTART, over local times in `zone`.

    dateutil refuses a UTC UNTIL with a naive DTSTART; such a rule runs over zoned times
    (`zoned`), which keep the same wall-clock arithmetic.
    """

    text: str
    recurrence: rrule | rruleset
    zone: ZoneInfo
    zoned: bool
    start: datetime  # DTSTART: naive wall-clock time in `zone`
    rule_first: datetime | None  # the rule's own first instance (naive), None when it has none
    counted: bool  # the rule has COUNT (which counts DTSTART too)
    ends: bool  # the rule has COUNT or UNTIL: it ends by itself
    intraday: bool  # it may have more than one instance on one local date

    @property
    def start_in_rule(self) -> bool:
        """Whether the rule itself produces DTSTART (RFC 5545: it SHOULD)."""
        return self.rule_first == self.start

    @classmethod
    def parse(cls, text: str, start: datetime, zone: ZoneInfo, *, all_day: bool) -> Rule:
        """The rule `text` from DTSTART `start`; ValueError saying what is wrong with it."""
        parts = _parts(text)
        if {"COUNT", "UNTIL"} <= parts.keys():
            raise ValueError("COUNT and UNTIL cannot both be given; keep one")
        for name in ("COUNT", "INTERVAL"):
            value = parts.get(name)
            # dateutil takes COUNT=-1 or 0 and yields nothing, which would remove the series
            if value is not None and not (_POSITIVE.match(value) and int(value) > 0):
                raise ValueError(f"{name} must be a whole number of 1 or more, not {value!r}")
        until = parts.get("UNTIL", "")
        if not all_day and (_DATE_VALUE.match(until) or _LOCAL_DATE_TIME.match(until)):
            raise ValueError(_until_not_utc(until, zone))
        bare, zoned = _evaluate(text, start, zone)
        own = next(iter(bare), None)
        rule_first = None if own is None else own.replace(tzinfo=None)
        recurrence: rrule | rruleset = bare
        if rule_first != start:
            recurrence = _with_start(bare, start.replace(tzinfo=zone) if zoned else start, parts)
        intraday = parts.get("FREQ", "").upper() in INTRADAY_FREQUENCIES or any(
            len(parts.get(name, "").split(",")) > 1 for name in ("BYHOUR", "BYMINUTE", "BYSECOND")
        )
        rule = cls(
            text=text,
            recurrence=recurrence,
            zone=zone,
            zoned=zoned,
            start=start,
            rule_first=rule_first,
            counted="COUNT" in parts,
            ends=bool({"COUNT", "UNTIL"} & parts.keys()),
            intraday=intraday,
        )
        if not intraday and rule_first != start and len(rule.starts_on(start.date())) > 1:
            # The added DTSTART shares its date with an instance of the rule: keying the
            # occurrences by date would lose one of the two.
            return replace(rule, intraday=True)
        return rule

    def instances(self) -> Iterator[datetime]:
        """Each instance's start, aware in `zone`, read as §3.3.5 says; one per instant."""
        seen: set[datetime] = set()
        for step, nominal in enumerate(self.recurrence):
            if step >= MAX_STEPS:
                raise OverflowError(f"more than {MAX_STEPS} occurrences before the horizon")
            moment = self.actual(nominal)
            if moment not in seen:
                seen.add(moment)
                yield moment

    def actual(self, nominal: datetime) -> datetime:
        """A computed wall-clock time as the instant it names (fold 0: before a gap, the first
        of a repeated hour), on the zone's wall clock: 02:30 on a spring-forward day is 03:30."""
        return nominal.replace(tzinfo=self.zone).astimezone(UTC).astimezone(self.zone)

    def has(self, when: date) -> bool:
        """Whether an instance starts on this local date, or at this local time (a naive
        `datetime`)."""
        day = when.date() if isinstance(when, datetime) else when
        starts = self.starts_on(day)
        if isinstance(when, datetime):
            return any(start.replace(tzinfo=None) == when for start in starts)
        return bool(starts)

    def starts_on(self, day: date) -> list[datetime]:
        """The starts of the instances on this local date, aware in `zone`."""
        return self.starts_within(day, day).get(day, [])

    def starts_within(self, first: date, last: date) -> dict[date, list[datetime]]:
        """The starts of the instances on each local date from `first` to `last`, aware in
        `zone`: one walk of the rule for many dates (each walk starts at DTSTART)."""
        # A day's instances may come from the evening before (a start moved out of a gap).
        begin = datetime.combine(first - timedelta(days=1), time.min)
        end = datetime.combine(last + timedelta(days=2), time.min)
        if self.zoned:
            begin, end = begin.replace(tzinfo=self.zone), end.replace(tzinfo=self.zone)
        found: dict[date, list[datetime]] = {}
        for nominal in self.recurrence.between(begin, end, inc=True):
            moment = self.actual(nominal)
            day = moment.date()
            if first <= day <= last and moment not in found.setdefault(day, []):
                found[day].append(moment)
        return found


def exact_duration(start: datetime, end: datetime) -> timedelta:
    """The elapsed time between two aware instants (not their wall-clock difference, which
    Python gives for two times in one zone)."""
    return end.astimezone(UTC) - start.astimezone(UTC)


def local_text(moment: datetime) -> str:
    """An aware time as the naive wall-clock text users write (`2027-03-14T03:30:00`), or with
    its offset when the naive text would name another instant (the second 01:30 of a fall-back
    night)."""
    naive = moment.replace(tzinfo=None, fold=0)  # naive text cannot say which of two 01:30s
    zone = moment.tzinfo
    if zone is not None and naive.replace(tzinfo=zone).utcoffset() != moment.utcoffset():
        return moment.isoformat(timespec="seconds")
    return naive.isoformat(timespec="seconds")


def _until_not_utc(until: str, zone: ZoneInfo) -> str:
    """Why an UNTIL without Z is refused when the start has a zone, with its UTC spelling.

    RFC 5545 §3.3.10: with a DTSTART in a time zone, UNTIL MUST be a UTC date-time. A local
    UNTIL is not guessed at: read as UTC it would move the series' end by the zone's offset,
    and could keep or drop the last occurrence without a word.
    """
    try:
        if "T" in until:
            local = datetime.strptime(until, "%Y%m%dT%H%M%S")
        else:
            local = datetime.combine(datetime.strptime(until, "%Y%m%d").date(), time(23, 59, 59))
    except ValueError:
        return f"UNTIL={until} is not a date-time that exists"
    utc = local.replace(tzinfo=zone).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    kind = "a local date-time" if "T" in until else "a date"
    return (
        f"UNTIL={until} is {kind}, but the start is a date-time in a time zone, and RFC 5545 "
        f"then wants UNTIL as a UTC date-time (ending in Z): write UNTIL={utc} "
        f"({local:%Y-%m-%d %H:%M:%S} in {zone.key}), or drop it and give "
        f"until: {local.date().isoformat()} under recurrence"
    )


def _parts(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for part in text.split(";"):
        name, _, value = part.partition("=")
        parts[name.strip().upper()] = value.strip()
    return parts


def _evaluate(text: str, start: datetime, zone: ZoneInfo) -> tuple[rrule, bool]:
    """dateutil's rule over naive times, or over zoned ones when its UNTIL is in UTC."""
    with warnings.catch_warnings():
        # dateutil only warns about what RFC 5545 forbids (COUNT with UNTIL): refuse it.
        warnings.simplefilter("error")
        try:
            return _rule(text, start), False
        except Warning as warning:
            raise ValueError(str(warning)) from None
        except ValueError as naive_error:
            try:
                return _rule(text, start.replace(tzinfo=zone)), True
            except (ValueError, Warning):
                raise naive_error from None


def _rule(text: str, start: datetime) -> rrule:
    parsed = rrulestr(text, dtstart=start)
    if not isinstance(parsed, rrule):
        raise ValueError("write one RRULE")
    return parsed


def _with_start(bare: rrule, start: datetime, parts: dict[str, str]) -> rrule | rruleset:
    """The rule with DTSTART as its first instance, counted by COUNT (RFC 5545 §3.3.10)."""
    with_start = rruleset()
    with_start.rdate(start)
    count = int(parts["COUNT"]) if parts.get("COUNT", "").isdigit() else None
    if count is None:
        with_start.rrule(bare)
    elif count > 1:
        with_start.rrule(bare.replace(count=count - 1))
    return with_start
