"""Time-aware plans against the sandbox: moves in the object's zone, DST crossings, alias zones."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from reconciler.render.times import move, signed
from tests.fixtures.repo import Repo, Run

SESSION = """version: 1
sessions:
  - key: smith-deposition
    title: Deposition of J. Smith
    case: 2026-CV-0142
    start: {start}
    time_zone: {zone}
    duration_hours: {hours}
    invites: [counsel@example.com]
"""

EVENT = """version: 1
events:
  - key: harbour-dinner
    title: Harbour dinner
    start: {start}
    end: {end}
    time_zone: Europe/Copenhagen
"""


@pytest.fixture(autouse=True)
def _before_the_2026_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2026-01-05T00:00:00Z")


def session(repo: Repo, start: str, zone: str = "America/New_York", hours: float = 1.5) -> None:
    repo.write("sessions.yaml", SESSION.format(start=start, zone=zone, hours=hours))


def test_a_moved_session_reads_in_its_own_zone(repo: Repo, cli: Run) -> None:
    session(repo, "2026-06-02T09:00")
    created = cli("plan", repo.root).stdout
    assert "+ start          = Tue 2026-06-02 09:00 America/New_York" in created
    assert "+ duration_hours = 1.5 (ends 10:30 America/New_York)" in created
    cli("apply", repo.root, "--auto-approve")

    session(repo, "2026-06-02T10:00", hours=2)
    moved = cli("plan", repo.root).stdout
    assert "~ start          = Tue 2026-06-02 09:00 → 10:00 America/New_York (+1h)" in moved
    assert "~ duration_hours = 1.5 → 2 (ends 10:30 → 12:00 America/New_York)" in moved


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        # US: clocks go back on 2026-11-01 (EDT → EST)
        ("2026-10-30T09:00", "2026-11-02T09:00",
         "Fri 2026-10-30 09:00 → Mon 2026-11-02 09:00 America/New_York "
         "(+3d 1h; crosses a DST change: EDT → EST)"),
        # US: clocks go forward on 2026-03-08 (EST → EDT)
        ("2026-03-06T09:00", "2026-03-09T09:00",
         "Fri 2026-03-06 09:00 → Mon 2026-03-09 09:00 America/New_York "
         "(+2d 23h; crosses a DST change: EST → EDT)"),
    ],
)
def test_new_york_dst_crossings_are_flagged(
    repo: Repo, cli: Run, before: str, after: str, expected: str
) -> None:
    session(repo, before)
    cli("apply", repo.root, "--auto-approve")
    session(repo, after)
    assert f"~ start = {expected}" in cli("plan", repo.root).stdout
    cli("apply", repo.root, "--auto-approve")
    cli("plan", repo.root, "--detailed-exitcode")


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        # EU: clocks go forward on 2026-03-29 (CET → CEST) ...
        ("2026-03-27T18:00", "2026-03-30T18:00",
         "Fri 2026-03-27 18:00 → Mon 2026-03-30 18:00 Europe/Copenhagen "
         "(+2d 23h; crosses a DST change: CET → CEST)"),
        # ... and back on 2026-10-25 (CEST → CET)
        ("2026-10-23T18:00", "2026-10-26T18:00",
         "Fri 2026-10-23 18:00 → Mon 2026-10-26 18:00 Europe/Copenhagen "
         "(+3d 1h; crosses a DST change: CEST → CET)"),
    ],
)
def test_copenhagen_dst_crossings_are_flagged_for_events(
    repo: Repo, cli: Run, before: str, after: str, expected: str
) -> None:
    end = before[:11] + "21:00"
    repo.write("events.yaml", EVENT.format(start=before, end=end))
    cli("apply", repo.root, "--auto-approve")
    repo.write("events.yaml", EVENT.format(start=after, end=after[:11] + "21:00"))
    planned = cli("plan", repo.root).stdout
    assert f"~ start = {expected}" in planned
    assert "~ end   = " in planned and "21:00 Europe/Copenhagen" in planned


def test_a_same_instant_across_a_change_of_zone_flags_the_wall_clock(
    repo: Repo, cli: Run
) -> None:
    session(repo, "2026-06-02T09:00-04:00")  # an offset: the instant is fixed
    cli("apply", repo.root, "--auto-approve")
    session(repo, "2026-06-02T09:00-04:00", zone="America/Chicago")
    planned = cli("plan", repo.root).stdout
    assert ("~ time_zone = America/New_York → America/Chicago (same instant; the wall-clock "
            "start changes: 09:00 → 08:00)") in planned
    assert "~ start" not in planned


@pytest.mark.parametrize("alias", ["US/Eastern", "Eastern Time (US & Canada)"])
def test_alias_zones_produce_no_diff(repo: Repo, cli: Run, alias: str) -> None:
    session(repo, "2026-06-02T09:00")
    cli("apply", repo.root, "--auto-approve")
    session(repo, "2026-06-02T09:00", zone=alias)
    repo.forget_requests()
    assert "No changes" in cli("plan", repo.root, "--detailed-exitcode").stdout
    cli("apply", repo.root, "--auto-approve")
    assert repo.writes() == []


def test_a_remote_alias_equals_the_declared_canonical_zone(
    repo: Repo, cli: Run, http: httpx.Client
) -> None:
    seeded = http.post("/_sandbox/prevail/seed", json={"sessions": [{
        "title": "Deposition of J. Smith",
        "case": "2026-CV-0142",
        "start_date": "2026-06-02",
        "start_time": "09:00 AM",
        "time_zone": "US/Eastern",
        "estimated_duration": 1.5,
        "invites": [{"email": "counsel@example.com", "access_level": "participant"}],
        "session_details": {"additional_details": "reconciler-key: smith-deposition"},
    }]})
    assert seeded.status_code == 201, seeded.text
    session(repo, "2026-06-02T09:00")
    assert "No changes" in cli("plan", repo.root, "--detailed-exitcode").stdout


def test_the_markdown_plan_shows_moves_and_series(repo: Repo, cli: Run) -> None:
    session(repo, "2026-10-30T09:00")
    cli("apply", repo.root, "--auto-approve")
    session(repo, "2026-11-02T09:00")
    markdown = cli("plan", repo.root, "--format", "markdown").stdout
    assert ("! start: Fri 2026-10-30 09:00 → Mon 2026-11-02 09:00 America/New_York "
            "(+3d 1h; crosses a DST change: EDT → EST)") in markdown


def test_signed_differences() -> None:
    assert signed(timedelta(hours=1)) == "+1h"
    assert signed(timedelta(minutes=-30)) == "-30m"
    assert signed(timedelta(days=6, hours=23)) == "+6d 23h"
    assert signed(timedelta(hours=1, minutes=30)) == "+1h 30m"


def test_a_move_between_zones_names_both() -> None:
    assert move("2026-06-02T13:00:00Z", "2026-06-02T14:00:00Z", "America/New_York",
                "Europe/Copenhagen") == (
        "Tue 2026-06-02 09:00 America/New_York → Tue 2026-06-02 16:00 Europe/Copenhagen (+1h)"
    )
