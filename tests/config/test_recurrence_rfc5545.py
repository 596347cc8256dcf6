"""RFC 5545 §3.8.5.3's RRULE examples, expanded by the loader to the RFC's own dates.

Every example there starts at DTSTART;TZID=America/New_York; the RFC prints its results as local
dates at 9:00 AM (EDT or EST), which is what a series declared in `America/New_York` keeps.
Examples marked `forever` list their first occurrences and end in "...": the expansion must
begin with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest

from reconciler.config import DesiredState as State
from reconciler.config import load_text
from reconciler.config.recurrence import series_notes
from reconciler.errors import ConfigError
from reconciler.instants import from_utc, to_utc

ZONE = "America/New_York"


def on(year: int, month: int, *days: int, at: str = "09:00") -> tuple[str, ...]:
    """The RFC's "(1997 9:00 AM EDT) September 2,9,16" as local start times."""
    return tuple(f"{year:04d}-{month:02d}-{day:02d}T{at}" for day in days)


def every_20_minutes(year: int, month: int, day: int) -> tuple[str, ...]:
    return tuple(
        f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}"
        for hour in range(9, 17)
        for minute in (0, 20, 40)
    )


@dataclass(frozen=True)
class Example:
    title: str  # the RFC's words for it
    start: str  # DTSTART, local time in America/New_York
    rrule: str
    expected: tuple[str, ...]
    forever: bool = False
    exdates: tuple[str, ...] = field(default=())


EXAMPLES = [
    Example("Daily for 10 occurrences", "1997-09-02T09:00", "FREQ=DAILY;COUNT=10",
            on(1997, 9, *range(2, 12))),
    Example("Daily until December 24, 1997", "1997-09-02T09:00",
            "FREQ=DAILY;UNTIL=19971224T000000Z",
            on(1997, 9, *range(2, 31)) + on(1997, 10, *range(1, 32))
            + on(1997, 11, *range(1, 31)) + on(1997, 12, *range(1, 24))),
    Example("Every other day - forever", "1997-09-02T09:00", "FREQ=DAILY;INTERVAL=2",
            on(1997, 9, *range(2, 31, 2)) + on(1997, 10, *range(2, 31, 2))
            + on(1997, 11, *range(1, 30, 2)) + on(1997, 12, 1, 3), forever=True),
    Example("Every 10 days, 5 occurrences", "1997-09-02T09:00", "FREQ=DAILY;INTERVAL=10;COUNT=5",
            on(1997, 9, 2, 12, 22) + on(1997, 10, 2, 12)),
    Example("Every day in January, for 3 years (yearly)", "1998-01-01T09:00",
            "FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA",
            on(1998, 1, *range(1, 32)) + on(1999, 1, *range(1, 32)) + on(2000, 1, *range(1, 32))),
    Example("Every day in January, for 3 years (daily)", "1998-01-01T09:00",
            "FREQ=DAILY;UNTIL=20000131T140000Z;BYMONTH=1",
            on(1998, 1, *range(1, 32)) + on(1999, 1, *range(1, 32)) + on(2000, 1, *range(1, 32))),
    Example("Weekly for 10 occurrences", "1997-09-02T09:00", "FREQ=WEEKLY;COUNT=10",
            on(1997, 9, 2, 9, 16, 23, 30) + on(1997, 10, 7, 14, 21, 28) + on(1997, 11, 4)),
    Example("Weekly until December 24, 1997", "1997-09-02T09:00",
            "FREQ=WEEKLY;UNTIL=19971224T000000Z",
            on(1997, 9, 2, 9, 16, 23, 30) + on(1997, 10, 7, 14, 21, 28)
            + on(1997, 11, 4, 11, 18, 25) + on(1997, 12, 2, 9, 16, 23)),
    Example("Every other week - forever", "1997-09-02T09:00", "FREQ=WEEKLY;INTERVAL=2;WKST=SU",
            on(1997, 9, 2, 16, 30) + on(1997, 10, 14, 28) + on(1997, 11, 11, 25)
            + on(1997, 12, 9, 23) + on(1998, 1, 6, 20) + on(1998, 2, 3, 17), forever=True),
    Example("Weekly on Tuesday and Thursday for five weeks (UNTIL)", "1997-09-02T09:00",
            "FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH",
            on(1997, 9, 2, 4, 9, 11, 16, 18, 23, 25, 30) + on(1997, 10, 2)),
    Example("Weekly on Tuesday and Thursday for five weeks (COUNT)", "1997-09-02T09:00",
            "FREQ=WEEKLY;COUNT=10;WKST=SU;BYDAY=TU,TH",
            on(1997, 9, 2, 4, 9, 11, 16, 18, 23, 25, 30) + on(1997, 10, 2)),
    Example("Every other week on Monday, Wednesday, and Friday until December 24, 1997",
            "1997-09-01T09:00", "FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;"
            "BYDAY=MO,WE,FR",
            on(1997, 9, 1, 3, 5, 15, 17, 19, 29) + on(1997, 10, 1, 3, 13, 15, 17, 27, 29, 31)
            + on(1997, 11, 10, 12, 14, 24, 26, 28) + on(1997, 12, 8, 10, 12, 22)),
    Example("Every other week on Tuesday and Thursday, for 8 occurrences", "1997-09-02T09:00",
            "FREQ=WEEKLY;INTERVAL=2;COUNT=8;WKST=SU;BYDAY=TU,TH",
            on(1997, 9, 2, 4, 16, 18, 30) + on(1997, 10, 2, 14, 16)),
    Example("Monthly on the first Friday for 10 occurrences", "1997-09-05T09:00",
            "FREQ=MONTHLY;COUNT=10;BYDAY=1FR",
            on(1997, 9, 5) + on(1997, 10, 3) + on(1997, 11, 7) + on(1997, 12, 5) + on(1998, 1, 2)
            + on(1998, 2, 6) + on(1998, 3, 6) + on(1998, 4, 3) + on(1998, 5, 1) + on(1998, 6, 5)),
    Example("Monthly on the first Friday until December 24, 1997", "1997-09-05T09:00",
            "FREQ=MONTHLY;UNTIL=19971224T000000Z;BYDAY=1FR",
            on(1997, 9, 5) + on(1997, 10, 3) + on(1997, 11, 7) + on(1997, 12, 5)),
    Example("Every other month on the first and last Sunday of the month for 10 occurrences",
            "1997-09-07T09:00", "FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU",
            on(1997, 9, 7, 28) + on(1997, 11, 2, 30) + on(1998, 1, 4, 25) + on(1998, 3, 1, 29)
            + on(1998, 5, 3, 31)),
    Example("Monthly on the second-to-last Monday of the month for 6 months",
            "1997-09-22T09:00", "FREQ=MONTHLY;COUNT=6;BYDAY=-2MO",
            on(1997, 9, 22) + on(1997, 10, 20) + on(1997, 11, 17) + on(1997, 12, 22)
            + on(1998, 1, 19) + on(1998, 2, 16)),
    Example("Monthly on the third-to-the-last day of the month, forever", "1997-09-28T09:00",
            "FREQ=MONTHLY;BYMONTHDAY=-3",
            on(1997, 9, 28) + on(1997, 10, 29) + on(1997, 11, 28) + on(1997, 12, 29)
            + on(1998, 1, 29) + on(1998, 2, 26), forever=True),
    Example("Monthly on the 2nd and 15th of the month for 10 occurrences", "1997-09-02T09:00",
            "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15",
            on(1997, 9, 2, 15) + on(1997, 10, 2, 15) + on(1997, 11, 2, 15) + on(1997, 12, 2, 15)
            + on(1998, 1, 2, 15)),
    Example("Monthly on the first and last day of the month for 10 occurrences",
            "1997-09-30T09:00", "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1",
            on(1997, 9, 30) + on(1997, 10, 1, 31) + on(1997, 11, 1, 30) + on(1997, 12, 1, 31)
            + on(1998, 1, 1, 31) + on(1998, 2, 1)),
    Example("Every 18 months on the 10th thru 15th of the month for 10 occurrences",
            "1997-09-10T09:00", "FREQ=MONTHLY;INTERVAL=18;COUNT=10;BYMONTHDAY=10,11,12,13,14,15",
            on(1997, 9, 10, 11, 12, 13, 14, 15) + on(1999, 3, 10, 11, 12, 13)),
    Example("Every Tuesday, every other month", "1997-09-02T09:00",
            "FREQ=MONTHLY;INTERVAL=2;BYDAY=TU",
            on(1997, 9, 2, 9, 16, 23, 30) + on(1997, 11, 4, 11, 18, 25)
            + on(1998, 1, 6, 13, 20, 27) + on(1998, 3, 3, 10, 17, 24, 31), forever=True),
    Example("Yearly in June and July for 10 occurrences", "1997-06-10T09:00",
            "FREQ=YEARLY;COUNT=10;BYMONTH=6,7",
            tuple(day for year in range(1997, 2002) for day in on(year, 6, 10) + on(year, 7, 10))),
    Example("Every other year on January, February, and March for 10 occurrences",
            "1997-03-10T09:00", "FREQ=YEARLY;INTERVAL=2;COUNT=10;BYMONTH=1,2,3",
            on(1997, 3, 10) + tuple(day for year in (1999, 2001, 2003)
                                    for month in (1, 2, 3) for day in on(year, month, 10))),
    Example("Every third year on the 1st, 100th, and 200th day for 10 occurrences",
            "1997-01-01T09:00", "FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200",
            on(1997, 1, 1) + on(1997, 4, 10) + on(1997, 7, 19) + on(2000, 1, 1) + on(2000, 4, 9)
            + on(2000, 7, 18) + on(2003, 1, 1) + on(2003, 4, 10) + on(2003, 7, 19)
            + on(2006, 1, 1)),
    Example("Every 20th Monday of the year, forever", "1997-05-19T09:00", "FREQ=YEARLY;BYDAY=20MO",
            on(1997, 5, 19) + on(1998, 5, 18) + on(1999, 5, 17), forever=True),
    Example("Monday of week number 20 (where the default start of the week is Monday), forever",
            "1997-05-12T09:00", "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
            on(1997, 5, 12) + on(1998, 5, 11) + on(1999, 5, 17), forever=True),
    Example("Every Thursday in March, forever", "1997-03-13T09:00",
            "FREQ=YEARLY;BYMONTH=3;BYDAY=TH",
            on(1997, 3, 13, 20, 27) + on(1998, 3, 5, 12, 19, 26) + on(1999, 3, 4, 11, 18, 25),
            forever=True),
    Example("Every Thursday, but only during June, July, and August, forever",
            "1997-06-05T09:00", "FREQ=YEARLY;BYDAY=TH;BYMONTH=6,7,8",
            on(1997, 6, 5, 12, 19, 26) + on(1997, 7, 3, 10, 17, 24, 31)
            + on(1997, 8, 7, 14, 21, 28) + on(1998, 6, 4, 11, 18, 25)
            + on(1998, 7, 2, 9, 16, 23, 30) + on(1998, 8, 6, 13, 20, 27)
            + on(1999, 6, 3, 10, 17, 24) + on(1999, 7, 1, 8, 15, 22, 29)
            + on(1999, 8, 5, 12, 19, 26), forever=True),
    # DTSTART (a Tuesday) is not a Friday the 13th: the RFC excludes it with an EXDATE equal to it.
    Example("Every Friday the 13th, forever", "1997-09-02T09:00",
            "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13",
            on(1998, 2, 13) + on(1998, 3, 13) + on(1998, 11, 13) + on(1999, 8, 13)
            + on(2000, 10, 13), forever=True, exdates=("1997-09-02",)),
    Example("The first Saturday that follows the first Sunday of the month, forever",
            "1997-09-13T09:00", "FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13",
            on(1997, 9, 13) + on(1997, 10, 11) + on(1997, 11, 8) + on(1997, 12, 13)
            + on(1998, 1, 10) + on(1998, 2, 7) + on(1998, 3, 7) + on(1998, 4, 11)
            + on(1998, 5, 9) + on(1998, 6, 13), forever=True),
    Example("Every 4 years, the first Tuesday after a Monday in November, forever",
            "1996-11-05T09:00", "FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;"
            "BYMONTHDAY=2,3,4,5,6,7,8",
            on(1996, 11, 5) + on(2000, 11, 7) + on(2004, 11, 2), forever=True),
    Example("The third instance into the month of one of Tuesday, Wednesday, or Thursday, "
            "for the next 3 months", "1997-09-04T09:00",
            "FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3",
            on(1997, 9, 4) + on(1997, 10, 7) + on(1997, 11, 6)),
    Example("The second-to-last weekday of the month", "1997-09-29T09:00",
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2",
            on(1997, 9, 29) + on(1997, 10, 30) + on(1997, 11, 27) + on(1997, 12, 30)
            + on(1998, 1, 29) + on(1998, 2, 26) + on(1998, 3, 30), forever=True),
    # The RFC prints UNTIL=19970902T170000Z (1:00 PM EDT), which contradicts its own heading
    # and list; 5:00 PM EDT, the heading's end, is 21:00Z.
    Example("Every 3 hours from 9:00 AM to 5:00 PM on a specific day", "1997-09-02T09:00",
            "FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T210000Z",
            on(1997, 9, 2, at="09:00") + on(1997, 9, 2, at="12:00") + on(1997, 9, 2, at="15:00")),
    Example("Every 15 minutes for 6 occurrences", "1997-09-02T09:00",
            "FREQ=MINUTELY;INTERVAL=15;COUNT=6",
            tuple(f"1997-09-02T{clock}" for clock in
                  ("09:00", "09:15", "09:30", "09:45", "10:00", "10:15"))),
    Example("Every hour and a half for 4 occurrences", "1997-09-02T09:00",
            "FREQ=MINUTELY;INTERVAL=90;COUNT=4",
            tuple(f"1997-09-02T{clock}" for clock in ("09:00", "10:30", "12:00", "13:30"))),
    Example("Every 20 minutes from 9:00 AM to 4:40 PM every day (daily)", "1997-09-02T09:00",
            "FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40",
            every_20_minutes(1997, 9, 2) + every_20_minutes(1997, 9, 3), forever=True),
    Example("Every 20 minutes from 9:00 AM to 4:40 PM every day (minutely)", "1997-09-02T09:00",
            "FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16",
            every_20_minutes(1997, 9, 2) + every_20_minutes(1997, 9, 3), forever=True),
    Example("WKST: the week starts on Monday", "1997-08-05T09:00",
            "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO", on(1997, 8, 5, 10, 19, 24)),
    Example("WKST: the week starts on Sunday", "1997-08-05T09:00",
            "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU", on(1997, 8, 5, 17, 19, 31)),
    Example("An invalid date (i.e., February 30) is ignored", "2007-01-15T09:00",
            "FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5",
            on(2007, 1, 15, 30) + on(2007, 2, 15) + on(2007, 3, 15, 30)),
]

SERIES = """version: 1
events:
  - key: rfc
    title: RFC 5545 example
    start: {start}
    end: {end}
    time_zone: America/New_York
    recurrence:
      rrule: "{rrule}"
      exdates: [{exdates}]
      horizon: {horizon}
"""


def expand(example: Example, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """(key, start, end) of each occurrence the loader declares, the clock set the day before."""
    first = date.fromisoformat(example.start[:10])
    last = date.fromisoformat(example.expected[-1][:10])
    monkeypatch.setenv("RECONCILER_NOW", f"{first - timedelta(days=1)}T00:00:00Z")
    text = SERIES.format(
        start=example.start,
        end=example.start[:11] + "09:45",  # every example starts at 9:00 AM
        rrule=example.rrule,
        exdates=", ".join(example.exdates),
        horizon=(last - first).days + 2,
    )
    state = load_text(text, filename="rfc5545.yaml", resolve_providers=False)
    return [(o.key, str(o.fields["start"]), str(o.fields["end"])) for o in state.objects["events"]]


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.title for example in EXAMPLES])
def test_the_rfc_examples_expand_to_the_rfcs_dates(
    example: Example, monkeypatch: pytest.MonkeyPatch
) -> None:
    occurrences = expand(example, monkeypatch)
    starts = tuple(start.removesuffix(":00") for _, start, _ in occurrences)
    if example.forever:
        assert starts[: len(example.expected)] == example.expected
    else:
        assert starts == example.expected
    keys = [key for key, _, _ in occurrences]
    assert len(set(keys)) == len(keys)  # none lost to another's key
    # Every occurrence lasts the first one's 45 minutes, EDT or EST.
    for _, start, end in occurrences:
        assert from_utc(to_utc(end, ZONE)) - from_utc(to_utc(start, ZONE)) == timedelta(minutes=45)


# -- the RFC's readings beyond its examples -------------------------------------------------------

EVENT = """version: 1
events:
  - key: night
    title: Night shift handover
    start: {start}
    end: {end}
    time_zone: {zone}
    recurrence:
      rrule: "{rrule}"
      exdates: [{exdates}]
{more}"""


def load_event(
    monkeypatch: pytest.MonkeyPatch,
    *,
    start: str,
    end: str,
    rrule: str,
    now: str = "2027-01-01T00:00:00Z",
    zone: str = ZONE,
    exdates: str = "",
    more: str = "",
) -> State:
    monkeypatch.setenv("RECONCILER_NOW", now)
    text = EVENT.format(start=start, end=end, zone=zone, rrule=rrule, exdates=exdates, more=more)
    return load_text(text, filename="night.yaml", resolve_providers=False)


def spans(state: State) -> dict[str, tuple[str, str, timedelta]]:
    """Key → (start, end, exact length) of each declared occurrence."""
    found = {}
    for occurrence in state.objects["events"]:
        start, end = str(occurrence.fields["start"]), str(occurrence.fields["end"])
        length = from_utc(to_utc(end, ZONE)) - from_utc(to_utc(start, ZONE))
        found[occurrence.key] = (start, end, length)
    return found


HOUR = timedelta(hours=1)


def test_on_a_spring_forward_day_an_occurrence_keeps_the_first_ones_exact_duration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 02:30 does not exist on 2027-03-14 in New York: RFC 5545 reads it with the offset before
    # the gap (03:30 EDT), and the occurrence still lasts one hour, not 02:30-03:30 (nothing).
    state = load_event(monkeypatch, start="2027-03-07T02:30", end="2027-03-07T03:30",
                       rrule="FREQ=WEEKLY;COUNT=3")
    assert spans(state) == {
        "night@2027-03-07": ("2027-03-07T02:30:00", "2027-03-07T03:30:00", HOUR),
        "night@2027-03-14": ("2027-03-14T03:30:00", "2027-03-14T04:30:00", HOUR),
        "night@2027-03-21": ("2027-03-21T02:30:00", "2027-03-21T03:30:00", HOUR),
    }


def test_on_a_fall_back_day_an_occurrence_keeps_the_first_ones_exact_duration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 01:30 EDT + 1 hour is the second 01:30 (EST) on 2027-11-07: written with its offset,
    # since the bare wall-clock text would name the first one.
    state = load_event(monkeypatch, start="2027-10-31T01:30", end="2027-10-31T02:30",
                       rrule="FREQ=WEEKLY;COUNT=3", now="2027-10-01T00:00:00Z")
    assert spans(state) == {
        "night@2027-10-31": ("2027-10-31T01:30:00", "2027-10-31T02:30:00", HOUR),
        "night@2027-11-07": ("2027-11-07T01:30:00", "2027-11-07T01:30:00-05:00", HOUR),
        "night@2027-11-14": ("2027-11-14T01:30:00", "2027-11-14T02:30:00", HOUR),
    }


def test_a_first_occurrence_across_the_change_gives_its_exact_length_to_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 01:00-04:00 on the spring-forward night is two hours long; the next nights' too.
    state = load_event(monkeypatch, start="2027-03-14T01:00", end="2027-03-14T04:00",
                       rrule="FREQ=DAILY;COUNT=2")
    assert spans(state) == {
        "night@2027-03-14": ("2027-03-14T01:00:00", "2027-03-14T04:00:00", 2 * HOUR),
        "night@2027-03-15": ("2027-03-15T01:00:00", "2027-03-15T03:00:00", 2 * HOUR),
    }


def test_a_sub_daily_rule_keeps_every_occurrence_keyed_by_local_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = load_event(monkeypatch, start="2027-03-01T09:00", end="2027-03-01T09:30",
                       rrule="FREQ=HOURLY;COUNT=3")
    assert {key: start for key, (start, _, _) in spans(state).items()} == {
        "night@2027-03-01T09:00": "2027-03-01T09:00:00",
        "night@2027-03-01T10:00": "2027-03-01T10:00:00",
        "night@2027-03-01T11:00": "2027-03-01T11:00:00",
    }


def test_a_daily_rule_with_several_hours_is_keyed_by_local_time_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = load_event(monkeypatch, start="2027-03-01T09:00", end="2027-03-01T09:30",
                       rrule="FREQ=DAILY;BYHOUR=9,15;COUNT=4", exdates="2027-03-02T09:00",
                       more="    overrides:\n      2027-03-01T15:00: {title: Late handover}\n")
    assert sorted(spans(state)) == [
        "night@2027-03-01T09:00", "night@2027-03-01T15:00", "night@2027-03-02T15:00",
    ]
    titles = {o.key: o.fields["title"] for o in state.objects["events"]}
    assert titles["night@2027-03-01T15:00"] == "Late handover"
    assert titles["night@2027-03-01T09:00"] == "Night shift handover"


def test_sub_daily_occurrences_on_a_spring_forward_night_are_one_per_instant(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 02:00 and 03:00 name one instant that night (03:00 EDT): one occurrence, keyed by it.
    state = load_event(monkeypatch, start="2027-03-14T00:00", end="2027-03-14T00:30",
                       rrule="FREQ=HOURLY;COUNT=5")
    assert {key: (start, length) for key, (start, _, length) in spans(state).items()} == {
        "night@2027-03-14T00:00": ("2027-03-14T00:00:00", HOUR / 2),
        "night@2027-03-14T01:00": ("2027-03-14T01:00:00", HOUR / 2),
        "night@2027-03-14T03:00": ("2027-03-14T03:00:00", HOUR / 2),
        "night@2027-03-14T04:00": ("2027-03-14T04:00:00", HOUR / 2),
    }


def test_an_exdate_may_be_the_start_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    # The RFC's idiom: a start outside the rule (a Tuesday for a Monday rule) left out by an
    # EXDATE equal to DTSTART. No warning: it is said on purpose.
    state = load_event(monkeypatch, start="2027-03-02T09:00", end="2027-03-02T10:00",
                       rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=3", exdates="2027-03-02")
    assert sorted(spans(state)) == ["night@2027-03-08", "night@2027-03-15"]
    assert series_notes(state.series) == []


def test_a_start_the_rule_does_not_produce_is_the_first_occurrence_and_is_pointed_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = load_event(monkeypatch, start="2027-03-02T09:00", end="2027-03-02T10:00",
                       rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=3")
    # COUNT counts the start: it and the rule's first two.
    assert sorted(spans(state)) == ["night@2027-03-02", "night@2027-03-08", "night@2027-03-15"]
    (note,) = series_notes(state.series)
    assert (note.location.line, note.path) == (5, "events[0].start")
    assert note.message == (
        '2027-03-02T09:00:00 is not an occurrence of the rule "FREQ=WEEKLY;BYDAY=MO;COUNT=3"; '
        "RFC 5545 keeps the start as the first occurrence all the same (and COUNT counts it): "
        "start it at the rule's first occurrence, 2027-03-08T09:00:00, or put 2027-03-02 in "
        "exdates to leave it out"
    )


def test_a_date_until_with_a_date_time_start_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError) as caught:
        load_event(monkeypatch, start="2027-03-01T09:00", end="2027-03-01T10:00",
                   rrule="FREQ=WEEKLY;UNTIL=20270322")
    (issue,) = caught.value.issues
    assert (issue.location.line, issue.path) == (9, "events[0].recurrence.rrule")
    assert "UNTIL=20270322 is a date, but the start is a date-time in a time zone" in issue.message
    # RFC 5545 wants a UTC UNTIL here: the message offers that (the end of the day in New
    # York), never a local date-time.
    assert "write UNTIL=20270323T035959Z" in issue.message
    assert "until: 2027-03-22" in issue.message
    assert "UNTIL=20270322T235959" not in issue.message


def test_a_local_date_time_until_with_a_zoned_start_is_refused_with_its_utc_spelling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_event(monkeypatch, start="2027-03-01T09:00", end="2027-03-01T10:00",
                   rrule="FREQ=WEEKLY;UNTIL=20270322T235959")
    (issue,) = caught.value.issues
    assert (issue.location.line, issue.path) == (9, "events[0].recurrence.rrule")
    assert issue.message.endswith(
        "UNTIL=20270322T235959 is a local date-time, but the start is a date-time in a time "
        "zone, and RFC 5545 then wants UNTIL as a UTC date-time (ending in Z): write "
        "UNTIL=20270323T035959Z (2027-03-22 23:59:59 in America/New_York), or drop it and give "
        "until: 2027-03-22 under recurrence"
    )


def test_the_utc_until_the_refusal_offers_includes_that_days_occurrence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = load_event(monkeypatch, start="2027-03-01T09:00", end="2027-03-01T10:00",
                       rrule="FREQ=WEEKLY;UNTIL=20270323T035959Z")
    assert sorted(spans(state))[-1] == "night@2027-03-22"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rrule": "FREQ=HOURLY;COUNT=3",
          "more": "    overrides:\n      2027-03-01: {title: Moved}\n"},
         "name the occurrence by its local date and time (e.g. 2027-03-01T09:00)"),
        ({"rrule": "FREQ=WEEKLY;COUNT=3",
          "more": "    overrides:\n      2027-03-08T09:00: {title: Moved}\n"},
         "name the occurrence by its local date (2027-03-08)"),
        ({"rrule": "FREQ=HOURLY;COUNT=3", "exdates": "2027-03-01T09:30"},
         "2027-03-01T09:30 is not an occurrence of the rule"),
    ],
)
def test_sub_daily_occurrences_are_named_by_local_date_time(
    monkeypatch: pytest.MonkeyPatch, change: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_event(monkeypatch, start="2027-03-01T09:00", end="2027-03-01T09:30", **change)
    assert any(message in issue.message for issue in caught.value.issues), caught.value


@pytest.mark.parametrize(
    ("start", "rrule", "exdates", "now", "message"),
    [
        ("2027-12-06T09:00", "FREQ=WEEKLY;COUNT=2", "", "2027-01-01T00:00:00Z",
         "no occurrence within the horizon (180 days ahead), so nothing is declared yet: the "
         "first, 2027-12-06T09:00:00, is declared from 2027-06-09 on; set horizon: 340 to "
         "declare it now"),
        ("2026-03-02T09:00", "FREQ=WEEKLY;COUNT=2", "", "2027-01-01T00:00:00Z",
         "every occurrence has already started (the last at 2026-03-09T09:00:00): the series "
         "declares nothing"),
    ],
)
def test_a_series_with_nothing_to_declare_now_is_pointed_out(
    monkeypatch: pytest.MonkeyPatch, start: str, rrule: str, exdates: str, now: str, message: str
) -> None:
    state = load_event(monkeypatch, start=start, end=start[:11] + "10:00", rrule=rrule,
                       exdates=exdates, now=now)
    assert state.objects["events"] == ()
    (note,) = series_notes(state.series)
    assert str(note) == f"night.yaml:8:5: events[0].recurrence: {message}"


def test_a_series_with_an_occurrence_within_the_horizon_says_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = load_event(monkeypatch, start="2027-03-01T09:00", end="2027-03-01T10:00",
                       rrule="FREQ=MONTHLY;COUNT=12")
    assert len(state.objects["events"]) == 4  # 180 days from 2027-01-01: March to June
    assert series_notes(state.series) == []
