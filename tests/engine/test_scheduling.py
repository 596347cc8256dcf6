"""Scheduling checks at plan time, end to end: findings with FILE:LINE, and --strict."""

from __future__ import annotations

import pytest

from tests.fixtures.repo import Repo, Run

FIRST = """version: 1
sessions:
  - key: smith-deposition
    title: Deposition of J. Smith
    case: 2027-CV-0142
    start: 2027-03-02T09:00
    time_zone: America/New_York
    duration_hours: 2
    invites: [counsel@example.com, reporter@court.test]
"""

SECOND = """version: 1
sessions:
  - key: okafor-prep
    title: Expert preparation
    case: 2027-CV-0142
    start: 2027-03-02T10:30
    time_zone: US/Eastern
    duration_hours: 1
    deponent: {name: M. Okafor, email: Counsel@Example.com}
"""


@pytest.fixture(autouse=True)
def _now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2027-01-04T00:00:00Z")


def test_a_double_booking_names_both_declarations(repo: Repo, cli: Run) -> None:
    first = repo.write("a/depositions.yaml", FIRST)
    second = repo.write("b/prep.yaml", SECOND)
    planned = cli("plan", repo.root)
    assert (
        f"Warning: {first}:3:5: double booking: counsel@example.com in "
        "sessions.smith-deposition (Tue 2027-03-02 09:00-11:00 America/New_York, "
        f"{first}:3:5) and sessions.okafor-prep (Tue 2027-03-02 10:30-11:30 US/Eastern, "
        f"{second}:3:5)"
    ) in planned.stdout
    assert "Plan: 2 to create" in planned.stdout

    strict = cli("plan", repo.root, "--strict", expect=1)
    assert "Error: the schedule has 1 problem (scheduling checks):" in strict.stderr
    assert f"{second}:3:5" in strict.stderr
    repo.forget_requests()
    cli("apply", repo.root, "--auto-approve", "--strict", expect=1)
    assert repo.writes() == []


def test_a_declared_session_against_a_remote_managed_one(repo: Repo, cli: Run) -> None:
    repo.write("a.yaml", FIRST)
    cli("apply", repo.root, "--auto-approve")
    (repo.root / "a.yaml").unlink()  # still managed remotely; left alone without --prune
    second = repo.write("b.yaml", SECOND)
    planned = cli("plan", repo.root)
    assert (
        f"Warning: {second}:3:5: double booking: counsel@example.com in sessions.okafor-prep "
        f"(Tue 2027-03-02 10:30-11:30 US/Eastern, {second}:3:5) and sessions.smith-deposition "
        "(Tue 2027-03-02 09:00-11:00 America/New_York, remote, not declared here)"
    ) in planned.stdout


def test_sessions_that_only_touch_are_not_double_booked(repo: Repo, cli: Run) -> None:
    repo.write("a.yaml", FIRST)
    repo.write("b.yaml", SECOND.replace("10:30", "11:00"))
    assert "double booking" not in cli("plan", repo.root).stdout


EVENTS = """version: 1
events:
  - key: gala
    title: Winter Gala
    start: 2027-01-15T18:00:00+01:00
    end: 2027-01-15T23:00:00+01:00
    location: {name: Town Hall, address: 1 Main St}
  - key: rehearsal
    title: Choir rehearsal
    start: 2027-01-15T21:30:00Z
    end: 2027-01-15T23:00:00Z
    location: {name: town hall, address: 1  Main St}
  - key: elsewhere
    title: Board dinner
    start: 2027-01-15T18:00:00Z
    end: 2027-01-15T21:00:00Z
    location: {name: Harbour Club}
"""


def test_events_overlapping_at_one_location(repo: Repo, cli: Run) -> None:
    path = repo.write("events.yaml", EVENTS)
    planned = cli("plan", repo.root)
    assert (
        f"Warning: {path}:3:5: events.gala (Fri 2027-01-15 17:00-22:00 UTC, {path}:3:5) and "
        f"events.rehearsal (Fri 2027-01-15 21:30-23:00 UTC, {path}:8:5) overlap at the same "
        'location "town hall / 1 main st"'
    ) in planned.stdout
    assert "events.elsewhere" not in planned.stdout.split("reconciler will perform")[0]


SERIES_EVENT = """version: 1
events:
  - key: clinic
    title: Legal aid clinic
    start: 2027-02-01T17:00
    end: 2027-02-01T19:00
    time_zone: Europe/Copenhagen
    recurrence: {rrule: "FREQ=WEEKLY;COUNT=3"}
    overrides:
      2027-02-08: {end: 2027-02-08T16:00}
"""


def test_an_occurrence_ending_before_it_starts_is_an_error(repo: Repo, cli: Run) -> None:
    path = repo.write("clinic.yaml", SERIES_EVENT)
    result = cli("plan", repo.root, expect=1)
    assert (
        f"{path}:10:7: events.clinic@2027-02-08 ends (2027-02-08T15:00:00Z) before it starts "
        "(2027-02-08T16:00:00Z)"
    ) in result.stderr


HOURS = """version: 1
checks:
  working_hours:
    US/Eastern: {start: "08:00", end: "18:00"}
    Europe/Copenhagen: {days: [mon, tue, wed, thu], start: "09:00", end: "17:00"}
"""


def test_sessions_outside_working_hours(repo: Repo, cli: Run) -> None:
    hours = repo.write("checks.yaml", HOURS)
    path = repo.write("early.yaml", FIRST.replace("09:00", "07:00"))
    planned = cli("plan", repo.root)
    assert (
        f"Warning: {path}:3:5: sessions.smith-deposition (Tue 2027-03-02 07:00-09:00 "
        f"America/New_York) is outside working hours (mon-fri 08:00-18:00 America/New_York, "
        f"set at {hours}:4:5)"
    ) in planned.stdout
    cli("plan", repo.root, "--strict", expect=1)

    repo.write("early.yaml", FIRST)
    assert "working hours" not in cli("plan", repo.root, "--strict").stdout


def test_working_hours_are_checked_as_configuration(repo: Repo, cli: Run) -> None:
    path = repo.write("checks.yaml", HOURS.replace("US/Eastern", "Mars/Olympus")
                      .replace('end: "17:00"', 'end: "08:00"'))
    result = cli("validate", repo.root, expect=1)
    assert f'{path}:4:5: checks.working_hours["Mars/Olympus"]: unknown time zone' in result.stderr
    assert (f'{path}:5:69: checks.working_hours["Europe/Copenhagen"].end: the working day '
            "must end after it starts") in result.stderr

    repo.write("more.yaml", HOURS)
    again = cli("validate", repo.root, expect=1)
    assert "checks are configured twice" in again.stderr
