"""Change windows over every DST transition from 2000 to 2040 in every zone of Prevail's table.

A generated table: for each transition (found with `zoneinfo`), a daily window whose start sits
half an hour before the change on the local clock, lasting two hours, so that it spans the
skipped or repeated hour. Around the transition, whether the window is open and when it opens
next are computed by the window code (dateutil's rule, `config.rfc5545`) and, independently,
from `zoneinfo` alone: a local start read with `fold=0` (the offset before a gap, the first of
a repeated hour, as RFC 5545 §3.3.5 reads it) plus two elapsed hours. Any disagreement is a
misfire.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from reconciler.config.windows import _window
from reconciler.model import Location
from reconciler.zones import prevail_zone_names

FIRST, LAST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2041, 1, 1, tzinfo=UTC)
STEP = timedelta(days=3)  # no zone changes its offset twice within three days
DURATION = timedelta(hours=2)
PROBES = [timedelta(minutes=20 * k) for k in range(-6, 10)]
ZONES = sorted(prevail_zone_names().items())


def transitions(zone: ZoneInfo) -> list[datetime]:
    """Each instant the zone's UTC offset changes, to the minute."""
    found = []
    moment, offset = FIRST, FIRST.astimezone(zone).utcoffset()
    while moment < LAST:
        later = moment + STEP
        changed = later.astimezone(zone).utcoffset()
        if changed != offset:
            low, high = moment, later  # the offset is `offset` at low and `changed` at high
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            found.append(high.replace(second=0, microsecond=0))
            offset = changed
        moment = later
    return found


def oracle_starts(zone: ZoneInfo, wall: time, around: datetime) -> list[datetime]:
    """The window's starts on the local days around `around`, from zoneinfo alone."""
    day = around.astimezone(zone).date()
    return [
        datetime.combine(day + timedelta(days=shift), wall, tzinfo=zone).astimezone(UTC)
        for shift in range(-2, 3)
    ]


def misfires(name: str, iana: str) -> tuple[int, list[str]]:
    zone = ZoneInfo(iana)
    checked, wrong = 0, []
    for change in transitions(zone):
        before = change - timedelta(minutes=1)
        wall = (before.astimezone(zone) - timedelta(minutes=29)).time().replace(second=0)
        first: date = (change.astimezone(zone) - timedelta(days=3)).date()
        window = _window(
            {
                "name": "daily",
                "allow": "FREQ=DAILY",
                "start": f"{first}T{wall:%H:%M}",
                "duration_hours": DURATION.total_seconds() / 3600,
                "time_zone": name,
            },
            Location("table", 1, 1),
        )
        for offset in PROBES:
            moment = change + offset
            starts = oracle_starts(zone, wall, moment)
            expected_open = any(start <= moment < start + DURATION for start in starts)
            expected_next = min(start for start in starts if start > moment)
            got_open = window.instance_at(moment) is not None
            got_next = window.next_start(moment)
            checked += 1
            if got_open != expected_open or got_next != expected_next:
                wrong.append(
                    f"{name} ({iana}) at {moment:%Y-%m-%dT%H:%MZ}, window {wall:%H:%M}: "
                    f"open {got_open} (zoneinfo: {expected_open}), next {got_next} "
                    f"(zoneinfo: {expected_next})"
                )
    return checked, wrong


@pytest.mark.parametrize(("name", "iana"), ZONES, ids=[name for name, _ in ZONES])
def test_no_window_misfires_over_a_dst_transition(name: str, iana: str) -> None:
    checked, wrong = misfires(name, iana)
    assert wrong == [], f"{len(wrong)} misfires of {checked}: " + "; ".join(wrong[:5])


def test_the_table_covers_every_zone_and_thousands_of_transitions() -> None:
    assert len(ZONES) == 154
    count = sum(len(transitions(ZoneInfo(iana))) for iana in {iana for _, iana in ZONES})
    assert count > 2000
