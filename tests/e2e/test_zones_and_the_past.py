"""Never silently wrong about when: zones that name no place, the past, dates that do not exist.

The CLI against a served sandbox. A zone abbreviation is refused where it is written (it used to
be sent as some other city: `EST` as `America/Panama`), an object that would start before now
is not created (a year typo would have made a phantom session and its invitations), and a date
the calendar lacks is said to be one.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.fixtures.clock import FakeClock
from tests.fixtures.repo import Repo, Run

SESSION = """version: 1
sessions:
  - key: deposition
    title: Deposition of J. Smith
    case: 2027-CV-0142
    start: {start}
    time_zone: {zone}
    duration_hours: 1
    invites: [counsel@example.com]
{extra}"""

EVENT = """version: 1
events:
  - key: gala
    title: Gala
    start: {start}
    end: {end}
    time_zone: {zone}
{extra}"""


def session(repo: Repo, *, start: str = "2027-07-05T10:00", zone: str = "America/New_York",
            extra: str = "") -> None:
    repo.write("sessions.yaml", SESSION.format(start=start, zone=zone, extra=extra))


def event(repo: Repo, *, start: str = "2027-07-05T18:00", end: str = "2027-07-05T21:00",
          zone: str = "Europe/Paris", extra: str = "") -> None:
    repo.write("events.yaml", EVENT.format(start=start, end=end, zone=zone, extra=extra))


# -- zones that name no place ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "message"),
    [
        ("EST", "EST is UTC\N{MINUS SIGN}5 all year (no daylight saving); for New York write "
                "America/New_York"),
        ("MST", "MST is UTC\N{MINUS SIGN}7 all year (no daylight saving); for Denver write "
                "America/Denver, for Phoenix (no daylight saving) write America/Phoenix"),
        ("HST", "HST is UTC\N{MINUS SIGN}10 all year (no daylight saving); for Hawaii write "
                "Pacific/Honolulu"),
        ("CET", "CET is Central European time (UTC+1, UTC+2 in summer), not a place; for Paris "
                "write Europe/Paris, for Berlin write Europe/Berlin"),
        ("EST5EDT", "EST5EDT is a POSIX rule name, not a place (US Eastern time); for New York "
                    "write America/New_York"),
        ("Etc/GMT+5", "Etc/GMT+5 is a fixed offset: UTC\N{MINUS SIGN}5 all year, with no "
                      "daylight saving (tzdata's Etc/GMT names invert the sign); for New York "
                      "write America/New_York"),
        ("UTC-5", "UTC-5 is a fixed offset: UTC\N{MINUS SIGN}5 all year, with no daylight "
                  "saving; for New York write America/New_York"),
        ("GMT+2", "GMT+2 is a fixed offset: UTC+2 all year, with no daylight saving; for Athens "
                  "write Europe/Athens"),
        ("PST", "PST is US Pacific winter time (UTC\N{MINUS SIGN}8), half of Los Angeles' year; "
                "for Los Angeles write America/Los_Angeles"),
    ],
)
def test_a_zone_that_names_no_place_is_refused_at_its_line_by_validate_and_plan(
    repo: Repo, cli: Run, zone: str, message: str
) -> None:
    session(repo, zone=zone)
    expected = f"sessions.yaml:7:5: sessions[0].time_zone: {message}"
    assert expected in cli("validate", repo.root, expect=1).stderr
    assert expected in cli("plan", repo.root, expect=1).stderr
    assert "America/Phoenix\"?" not in cli("plan", repo.root, expect=1).stderr  # no string guess
    cli("apply", repo.root, "--auto-approve", expect=1)
    assert repo.writes() == []


def test_est_is_never_sent_as_panama(repo: Repo, cli: Run) -> None:
    """10:00 on 4 July in `EST` used to be sent as America/Panama, an hour off New York."""
    session(repo, start="2027-07-04T10:00", zone="EST")
    refused = cli("apply", repo.root, "--auto-approve", expect=1)
    assert "for New York write America/New_York" in refused.stderr
    assert not [w for w in repo.writes() if "America/Panama" in str(w.body)]
    assert repo.writes() == []


@pytest.mark.parametrize("zone", ["Etc/GMT+5", "CET", "PST"])
def test_an_events_zone_that_names_no_place_is_refused_too(
    repo: Repo, cli: Run, zone: str
) -> None:
    event(repo, zone=zone)
    assert f"events.yaml:7:5: events[0].time_zone: {zone} is" in cli(
        "validate", repo.root, expect=1
    ).stderr


def test_working_hours_in_an_abbreviation_are_refused(repo: Repo, cli: Run) -> None:
    session(repo)
    repo.write("checks.yaml", 'version: 1\nchecks:\n  working_hours:\n'
               '    CET: {start: "09:00", end: "17:00"}\n')
    refused = cli("validate", repo.root, expect=1).stderr
    assert "checks.yaml:4:5: checks.working_hours.CET: CET is Central European time" in refused


@pytest.mark.parametrize("utc", ["UTC", "Etc/UTC"])
def test_gmt_is_refused_and_utc_stays_allowed(repo: Repo, cli: Run, utc: str) -> None:
    """GMT is usually written for London's clock; UTC means what it says, all year."""
    session(repo, zone="GMT")
    refused = cli("validate", repo.root, expect=1).stderr
    assert ("GMT is UTC+0 all year (no summer time); for London write Europe/London, for UTC "
            "itself write UTC") in refused
    session(repo, zone=utc)
    cli("apply", repo.root, "--auto-approve")
    (created,) = [w for w in repo.writes() if w.method == "POST"]
    assert created.body["session_request"]["remote_session"]["start_time"] == "10:00 AM"
    cli("plan", repo.root, "--detailed-exitcode", expect=0)


def test_prevails_own_name_for_a_fixed_offset_stays_allowed(repo: Repo, cli: Run) -> None:
    """"International Date Line West" is Prevail's (Rails') name for Etc/GMT+12: a user who
    picks it from Prevail's list means exactly that zone."""
    session(repo, zone="International Date Line West")
    planned = cli("plan", repo.root).stdout
    assert '+ time_zone      = "International Date Line West" (Etc/GMT+12)' in planned
    cli("apply", repo.root, "--auto-approve")
    cli("plan", repo.root, "--detailed-exitcode", expect=0)
    # The IANA spelling of the same fixed offset is refused, and points at Prevail's name.
    session(repo, zone="Etc/GMT+12")
    refused = cli("validate", repo.root, expect=1).stderr
    assert 'Prevail\'s own name for this zone, "International Date Line West", is accepted' in (
        refused
    )


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Eastern Time (US & Canada)", '"Eastern Time (US & Canada)" (America/New_York)'),
        ("US/Eastern", '"US/Eastern" (America/New_York)'),
    ],
)
def test_the_plan_shows_the_zone_as_written_with_its_iana_name_beside_it(
    repo: Repo, cli: Run, zone: str, shown: str
) -> None:
    session(repo, zone=zone)
    text = cli("plan", repo.root).stdout
    assert f"+ time_zone      = {shown}\n" in text
    assert f"+ start          = Mon 2027-07-05 10:00 {zone} (America/New_York)\n" in text
    markdown = cli("plan", repo.root, "--format", "markdown").stdout
    assert f"+ time_zone: {shown}\n" in markdown
    # The timeline reads in the zone as written too, its IANA name beside it.
    chart_zone = shown.replace('"', "").replace(" & ", " ")
    assert f"    title Schedule changes, times in {chart_zone}\n" in markdown


def test_a_changed_zone_reads_as_written_beside_its_iana_name(repo: Repo, cli: Run) -> None:
    session(repo, start="2027-07-05T10:00-04:00")
    cli("apply", repo.root, "--auto-approve")
    session(repo, start="2027-07-05T10:00-04:00", zone="Central Time (US & Canada)")
    planned = cli("plan", repo.root).stdout
    assert ("~ time_zone = America/New_York → Central Time (US & Canada) (America/Chicago) "
            "(same instant; the wall-clock start changes: 10:00 → 09:00)") in planned


# -- the past --------------------------------------------------------------------------------------


def ago(clock: FakeClock, days: int) -> str:
    return (clock.utcnow() - timedelta(days=days)).strftime("%Y-%m-%dT%H:00:00Z")


def test_an_event_dated_18_months_ago_is_not_created(
    repo: Repo, cli: Run, clock: FakeClock
) -> None:
    start, end = ago(clock, 548), ago(clock, 548 - 1)
    event(repo, start=start, end=end)
    planned = cli("plan", repo.root, "--detailed-exitcode", expect=0).stdout
    assert f"Skipped events.gala: it would start at {start}, before now (" in planned
    assert ("the past is frozen, so it is not created; set allow_past: true on it to back-fill "
            "a record, or apply with --force") in planned
    assert "+ events.gala" not in planned
    cli("apply", repo.root, "--auto-approve")
    assert repo.writes() == []
    # --force gets a deliberate one through.
    cli("apply", repo.root, "--auto-approve", "--force")
    (created,) = repo.writes()
    assert (created.method, created.body["event"]["start"]) == ("POST", start)


def test_a_session_in_the_past_sends_no_invitations(
    repo: Repo, cli: Run, clock: FakeClock
) -> None:
    """A year typo on a Prevail session would schedule it and invite everyone on it."""
    typo = (clock.utcnow() - timedelta(days=365)).strftime("%Y-%m-%dT10:00")
    session(repo, start=typo)
    applied = cli("apply", repo.root, "--auto-approve").stdout
    assert "Skipped sessions.deposition: it would start at" in applied
    assert repo.writes() == []


def test_allow_past_back_fills_a_record_and_then_converges(
    repo: Repo, cli: Run, clock: FakeClock
) -> None:
    start, end = ago(clock, 30), ago(clock, 29)
    event(repo, start=start, end=end, extra="    allow_past: true\n")
    cli("apply", repo.root, "--auto-approve")
    (created,) = [w for w in repo.writes() if w.method == "POST"]
    assert created.body["event"]["start"] == start
    repo.forget_requests()
    cli("plan", repo.root, "--detailed-exitcode", expect=0)
    cli("apply", repo.root, "--auto-approve")
    assert repo.writes() == []


def test_moving_a_future_event_into_the_past_is_not_done(
    repo: Repo, cli: Run, clock: FakeClock
) -> None:
    event(repo)
    cli("apply", repo.root, "--auto-approve")
    repo.forget_requests()
    start, end = ago(clock, 365), ago(clock, 364)
    event(repo, start=start, end=end)
    applied = cli("apply", repo.root, "--auto-approve").stdout
    assert f"Skipped events.gala: it would move to {start}, before now (" in applied
    assert "so it is not moved" in applied
    assert repo.writes() == []


def test_now_is_the_installed_clock(repo: Repo, cli: Run, clock: FakeClock) -> None:
    """The rail reads the product's clock, which tests (and benchmarks) replace."""
    later = clock.utcnow() + timedelta(days=30)
    event(repo, start=later.strftime("%Y-%m-%dT%H:00:00Z"),
          end=(later + timedelta(hours=2)).strftime("%Y-%m-%dT%H:00:00Z"))
    assert "+ events.gala" in cli("plan", repo.root).stdout
    clock.advance(timedelta(days=60).total_seconds())
    assert "Skipped events.gala: it would start at" in cli("plan", repo.root).stdout


def test_an_all_day_event_of_today_is_created_and_of_yesterday_is_not(
    repo: Repo, cli: Run, clock: FakeClock
) -> None:
    today = clock.utcnow().date()
    repo.write("events.yaml", f"""version: 1
events:
  - key: today
    title: Office closed
    start: {today.isoformat()}
    all_day: true
  - key: yesterday
    title: Office closed
    start: {(today - timedelta(days=1)).isoformat()}
    all_day: true
    allow_short_notice: true
""")
    planned = cli("plan", repo.root).stdout
    assert "+ events.today" in planned
    assert "Skipped events.yesterday: it would start at" in planned


# -- dates that do not exist -----------------------------------------------------------------------


def test_february_30th_gets_the_calendars_reason(repo: Repo, cli: Run) -> None:
    event(repo, start="2027-02-30T18:00", end="2027-02-30T21:00")
    for command in ("validate", "plan"):
        refused = cli(command, repo.root, expect=1).stderr
        assert ('events.yaml:5:5: events[0].start: "2027-02-30T18:00" is not a date: February '
                "2027 has no 30th (it has 28 days)") in refused
        assert "events.yaml:6:5: events[0].end:" in refused
        assert "ISO 8601" not in refused


@pytest.mark.parametrize(
    ("where", "text", "reason"),
    [
        ("recurrence", "    recurrence: {rrule: FREQ=WEEKLY;COUNT=3, exdates: [2027-02-29]}\n",
         '"2027-02-29" is not a date: February 2027 has no 29th (2027 is not a leap year)'),
        ("recurrence", "    recurrence: {rrule: FREQ=WEEKLY, until: 2027-04-31}\n",
         '"2027-04-31" is not a date: April 2027 has no 31st (it has 30 days)'),
    ],
)
def test_a_series_date_that_does_not_exist_gets_the_calendars_reason(
    repo: Repo, cli: Run, where: str, text: str, reason: str
) -> None:
    event(repo, start="2027-02-08T18:00", end="2027-02-08T21:00", extra=text)
    refused = cli("validate", repo.root, expect=1).stderr
    assert f"events[0].{where}" in refused and reason in refused


def test_an_assignment_selected_by_a_day_that_does_not_exist(repo: Repo, cli: Run) -> None:
    repo.write("assignments.yaml", "version: 1\nassignments:\n  - key: clean\n"
               "    select: {contact_id: cont-242342, date: 2027-02-30}\n"
               "    metadata: {crew: north}\n")
    refused = cli("validate", repo.root, expect=1).stderr
    assert ('assignments.yaml:4:39: assignments[0].select.date: "2027-02-30" is not a date: '
            "February 2027 has no 30th") in refused


# -- a local UNTIL with a zoned start --------------------------------------------------------------


def test_a_local_until_is_refused_with_the_utc_until_rfc_5545_wants(repo: Repo, cli: Run) -> None:
    rule = "    recurrence: {{rrule: FREQ=WEEKLY;UNTIL={until}}}\n"
    session(repo, start="2027-03-01T09:00", extra=rule.format(until="20270322T235959"))
    refused = cli("validate", repo.root, expect=1).stderr
    assert ("UNTIL=20270322T235959 is a local date-time, but the start is a date-time in a time "
            "zone, and RFC 5545 then wants UNTIL as a UTC date-time (ending in Z): write "
            "UNTIL=20270323T035959Z (2027-03-22 23:59:59 in America/New_York)") in refused
    session(repo, start="2027-03-01T09:00", extra=rule.format(until="20270323T035959Z"))
    planned = cli("plan", repo.root).stdout
    assert "+ sessions.deposition@2027-03-22" in planned
    assert "sessions.deposition@2027-03-29" not in planned
