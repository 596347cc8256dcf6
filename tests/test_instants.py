"""Instants as the engine compares them: the fast paths give what strptime/strftime gave."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from reconciler.instants import UTC_FORMAT, format_utc, from_utc, to_utc, wall_clock_utc
from reconciler.providers.prevail_mapping import listed_wall_clock

MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


@given(MOMENTS)
def test_format_utc_is_the_canonical_text(moment: datetime) -> None:
    assert format_utc(moment) == moment.strftime(UTC_FORMAT)
    assert from_utc(format_utc(moment)) == moment.replace(microsecond=0)


@given(MOMENTS, st.sampled_from(["America/New_York", "Europe/Copenhagen", "Asia/Kolkata"]))
# the second 02:00 of Copenhagen's change to winter time: astimezone marks it fold=1
@example(datetime(2000, 10, 29, 1, 0, tzinfo=UTC), "Europe/Copenhagen")
def test_to_utc_reads_offsets_zones_and_canonical_text_alike(moment: datetime, zone: str) -> None:
    moment = moment.replace(microsecond=0)
    canonical = moment.strftime(UTC_FORMAT)
    local = moment.astimezone(ZoneInfo(zone))
    assert to_utc(canonical) == canonical
    assert to_utc(local.isoformat()) == canonical
    # text carries no fold, so the wall clock read back is always the first of a repeated hour
    wall_clock = local.replace(tzinfo=None, fold=0)
    if wall_clock.replace(tzinfo=ZoneInfo(zone)).utcoffset() == local.utcoffset():
        # not the hour a change to winter time repeats, which names two instants
        assert to_utc(wall_clock.isoformat(), zone) == canonical


WALL_CLOCKS = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1))
ZONES = st.sampled_from(
    ["America/New_York", "Europe/Copenhagen", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]
)


@given(WALL_CLOCKS, ZONES)
@example(datetime(2027, 3, 14, 2, 30), "America/New_York")  # skipped by the change to summer time
@example(datetime(2027, 11, 7, 1, 30), "America/New_York")  # repeated by the change to winter time
@example(datetime(2027, 4, 4, 1, 45), "Australia/Lord_Howe")  # a half-hour change
@example(datetime(2027, 3, 1, 9, 0, 0, 999_999), "Europe/Copenhagen")  # microseconds dropped
def test_a_wall_clock_time_is_the_instant_astimezone_makes_of_it(
    wall: datetime, zone: str
) -> None:
    # every time of day, the skipped and repeated hours of a change of offset included
    expected = wall.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC).strftime(UTC_FORMAT)
    assert wall_clock_utc(wall, ZoneInfo(zone)) == expected
    assert to_utc(wall.isoformat(), zone) == expected


def test_an_impossible_canonical_instant_is_refused() -> None:
    with pytest.raises(ValueError):
        to_utc("2027-02-30T09:00:00Z")


@pytest.mark.parametrize(
    ("clock", "hour", "minute"),
    [("09:00 AM", 9, 0), ("9:05 am", 9, 5), ("12:00 AM", 0, 0), ("12:30 PM", 12, 30),
     ("01:15 PM", 13, 15), ("11:59 PM", 23, 59)],
)
def test_prevail_twelve_hour_clock(clock: str, hour: int, minute: int) -> None:
    assert listed_wall_clock("2027-03-01", clock) == datetime(2027, 3, 1, hour, minute)
    assert listed_wall_clock("2027-03-01", clock) == datetime.strptime(
        f"2027-03-01 {clock.upper()}", "%Y-%m-%d %I:%M %p"
    )


@pytest.mark.parametrize("clock", ["13:00 PM", "00:30 AM", "9 AM", "09:60 AM", "09:00", ""])
def test_prevail_clock_that_is_not_twelve_hour_is_refused(clock: str) -> None:
    with pytest.raises(ValueError):
        listed_wall_clock("2027-03-01", clock)
