"""Recurring sessions and events end to end: expansion, exdates, overrides, DST, the frozen past."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.fixtures.repo import SCOPE, Repo, Run

MARKER = "reconciler-key: "

SERIES = """version: 1
sessions:
  - key: status-call
    title: Weekly status call
    case: 2027-CV-0142
    start: {start}
    time_zone: America/New_York
    duration_hours: 1
    invites: [counsel@example.com]
    recurrence:
      rrule: {rule}
      exdates: [{exdates}]
    overrides:
      2027-03-22:
        start: 2027-03-23T14:00
        title: Weekly status call (moved for the hearing)
"""


def write_series(
    repo: Repo,
    *,
    start: str = "2027-03-01T09:00",
    rule: str = "FREQ=WEEKLY;BYDAY=MO;COUNT=6",
    exdates: str = "2027-03-15",
) -> None:
    repo.write("sessions.yaml", SERIES.format(start=start, rule=rule, exdates=exdates))


def managed_sessions(repo: Repo, *, live: bool = True) -> dict[str, dict[str, Any]]:
    """The sandbox's sessions that carry our key, by key (canceled ones left out when `live`)."""
    found = {}
    for session in repo.sandbox.store.query("prevail.sessions").documents:
        details = (session.get("session_details") or {}).get("additional_details") or ""
        last = details.rstrip("\n").rpartition("\n")[2]
        if last.startswith(MARKER) and not (live and session["state"] == "canceled"):
            found[last[len(MARKER):]] = session
    return found


def managed_events(repo: Repo) -> dict[str, dict[str, Any]]:
    return {
        event["customFields"]["reconciler_key"]: event
        for event in repo.sandbox.store.query("prospero.events").documents
        if "reconciler_key" in (event.get("customFields") or {})
    }


def test_weekly_rule_with_an_exdate_and_an_overridden_occurrence(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2027-02-20T00:00:00Z")
    write_series(repo)

    planned = cli("plan", repo.root)
    assert "# series sessions.status-call: 5 occurrences: 5 new" in planned.stdout
    cli("apply", repo.root, "--auto-approve")

    sessions = managed_sessions(repo)
    assert sorted(sessions) == [
        "status-call@2027-03-01",
        "status-call@2027-03-08",
        "status-call@2027-03-22",  # keyed by the rule's date, although it moved to the 23rd
        "status-call@2027-03-29",
        "status-call@2027-04-05",
    ]
    # 09:00 New York on both sides of the 2027-03-14 DST change
    assert {(s["start_date"], s["start_time"]) for key, s in sessions.items()
            if key != "status-call@2027-03-22"} == {
        ("2027-03-01", "09:00 AM"), ("2027-03-08", "09:00 AM"), ("2027-03-29", "09:00 AM"),
        ("2027-04-05", "09:00 AM"),
    }
    moved = sessions["status-call@2027-03-22"]
    assert (moved["start_date"], moved["start_time"]) == ("2027-03-23", "02:00 PM")
    assert moved["title"] == "Weekly status call (moved for the hearing)"
    assert sessions["status-call@2027-03-01"]["title"] == "Weekly status call"

    repo.forget_requests()
    again = cli("plan", repo.root, "--detailed-exitcode")
    assert "No changes" in again.stdout
    assert repo.writes() == []


def test_a_changed_rule_moves_and_cancels_occurrences_grouped_by_series(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2027-02-20T00:00:00Z")
    write_series(repo)
    cli("apply", repo.root, "--auto-approve")
    before = managed_sessions(repo)

    # one hour later, one fewer week, and one more exdate
    write_series(repo, start="2027-03-01T10:00", rule="FREQ=WEEKLY;BYDAY=MO;COUNT=5",
                 exdates="2027-03-15, 2027-03-08")
    planned = cli("plan", repo.root)
    assert "# series sessions.status-call: 2 of 3 occurrences move; 2 cancelled" in planned.stdout
    assert "~ start = Mon 2027-03-01 09:00 → 10:00 America/New_York (+1h)" in planned.stdout
    assert "no longer an occurrence of its series" in planned.stdout

    markdown = cli("plan", repo.root, "--format", "markdown").stdout
    assert "- 🔁 series `sessions.status-call`: 2 of 3 occurrences move; 2 cancelled" in markdown
    document = json.loads(cli("plan", repo.root, "--format", "json").stdout)
    assert document["series"] == {"sessions.status-call": 3}
    moved = next(c for c in document["changes"] if c["key"] == "status-call@2027-03-01")
    assert (moved["time_zone"], moved["starts_at"]) == ("America/New_York", "2027-03-01T15:00:00Z")

    repo.forget_requests()
    cli("apply", repo.root, "--auto-approve")
    cancelled = {before["status-call@2027-03-08"]["remote_session_id"],
                 before["status-call@2027-04-05"]["remote_session_id"]}
    assert {w.path.split("/")[3] for w in repo.writes() if w.path.endswith("/cancel")} == cancelled
    assert sorted(managed_sessions(repo)) == [
        "status-call@2027-03-01", "status-call@2027-03-22", "status-call@2027-03-29",
    ]
    cli("plan", repo.root, "--detailed-exitcode")


def test_an_occurrence_in_the_past_is_untouched_after_the_rule_changes(
    repo: Repo, cli: Run, http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A managed occurrence from last week, seeded straight into the sandbox.
    seeded = http.post("/_sandbox/prevail/seed", json={"sessions": [{
        "title": "Weekly status call",
        "case": "2027-CV-0142",
        "start_date": "2027-03-08",
        "start_time": "09:00 AM",
        "time_zone": "America/New_York",
        "estimated_duration": 1,
        "invites": [{"email": "counsel@example.com", "access_level": "participant"}],
        "session_details": {"additional_details": f"reconciler-scope: {SCOPE}\n"
                                                  + MARKER + "status-call@2027-03-08"},
    }]})
    assert seeded.status_code == 201, seeded.text
    (past_id,) = seeded.json()["sessions"]
    monkeypatch.setenv("RECONCILER_NOW", "2027-03-10T12:00:00Z")

    # The rule now says 10:00 on Tuesdays: the 8th is no longer an occurrence, the rest move.
    write_series(repo, start="2027-03-02T10:00", rule="FREQ=WEEKLY;BYDAY=TU;COUNT=6",
                 exdates="2027-03-16")
    repo.write("sessions.yaml", (repo.root / "sessions.yaml").read_text().replace(
        "2027-03-22:", "2027-03-23:"))
    planned = cli("plan", repo.root)
    assert ("Skipped sessions.status-call@2027-03-08: it started at 2027-03-08T14:00:00Z; "
            "the past is frozen") in planned.stdout
    assert "status-call@2027-03-02" not in planned.stdout  # past: never created either
    assert "status-call@2027-03-09" not in planned.stdout

    repo.forget_requests()
    cli("apply", repo.root, "--auto-approve")
    assert not [w for w in repo.writes() if past_id in w.path]
    sessions = managed_sessions(repo)
    assert sessions["status-call@2027-03-08"]["state"] == "ready"
    assert sessions["status-call@2027-03-08"]["start_time"] == "09:00 AM"
    assert sorted(sessions) == [
        "status-call@2027-03-08", "status-call@2027-03-23", "status-call@2027-03-30",
        "status-call@2027-04-06",
    ]


def test_an_unbounded_rule_needs_a_horizon(repo: Repo, cli: Run) -> None:
    write_series(repo, rule="FREQ=WEEKLY;BYDAY=MO")
    result = cli("validate", repo.root, expect=1)
    assert (f"{repo.root / 'sessions.yaml'}:10:5: sessions[0].recurrence: the rule "
            '"FREQ=WEEKLY;BYDAY=MO" never ends') in result.stderr


def test_a_horizon_bounds_an_endless_rule_and_prune_keeps_what_lies_beyond(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2027-02-20T00:00:00Z")
    text = SERIES.format(start="2027-03-01T09:00", rule="FREQ=WEEKLY;BYDAY=MO",
                         exdates="2027-03-15")
    repo.write("sessions.yaml", text.replace("    overrides:", "      horizon: 60\n    overrides:"))
    cli("apply", repo.root, "--auto-approve")
    assert len(managed_sessions(repo)) == 7  # Mondays 2027-03-01 .. 2027-04-19, minus one

    # Later, with a shorter horizon: the far occurrences are still the rule's, so they stay.
    monkeypatch.setenv("RECONCILER_NOW", "2027-02-21T00:00:00Z")
    repo.write("sessions.yaml", text.replace("    overrides:", "      horizon: 20\n    overrides:"))
    repo.forget_requests()
    result = cli("plan", repo.root, "--prune", "--detailed-exitcode")
    assert "No changes" in result.stdout


EVENT_SERIES = """version: 1
events:
  - key: board-dinner
    title: Board dinner
    start: 2026-10-16T18:00
    end: 2026-10-16T21:30
    time_zone: Europe/Copenhagen
    location: {name: Harbour Club}
    recurrence: {rrule: "FREQ=WEEKLY;COUNT=3"}
    overrides:
      2026-10-23: {start: 2026-10-24T19:00}
"""


def test_events_keep_wall_clock_across_the_eu_change_and_a_moved_start_keeps_the_duration(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2026-10-01T00:00:00Z")
    repo.write("events.yaml", EVENT_SERIES)
    cli("apply", repo.root, "--auto-approve")
    events = managed_events(repo)
    assert {key: (e["start"], e["end"]) for key, e in events.items()} == {
        "board-dinner@2026-10-16": ("2026-10-16T16:00:00Z", "2026-10-16T19:30:00Z"),  # CEST
        "board-dinner@2026-10-23": ("2026-10-24T17:00:00Z", "2026-10-24T20:30:00Z"),
        "board-dinner@2026-10-30": ("2026-10-30T17:00:00Z", "2026-10-30T20:30:00Z"),  # CET
    }
    cli("plan", repo.root, "--detailed-exitcode")


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        ({"rule": "FREQ=WEEKLY;COUNT=3;UNTIL=20270401"}, "11:7", "COUNT and UNTIL cannot both"),
        ({"rule": "FREQ=FORTNIGHTLY;COUNT=3"}, "11:7", "invalid 'FREQ': FORTNIGHTLY"),
        ({"rule": '"DTSTART:20270301T090000\\nRRULE:FREQ=WEEKLY"'}, "11:7",
         "write the RRULE alone"),
        ({"exdates": "2027-03-16"}, "12:17", "2027-03-16 is not an occurrence of the rule"),
        ({"exdates": "2027-03-22"}, "14:7", "2027-03-22 is both overridden and in exdates"),
        ({"rule": "FREQ=WEEKLY;BYDAY=TU;COUNT=3", "exdates": ""}, "14:7",
         "2027-03-22 is not an occurrence of the rule"),
    ],
)
def test_rule_mistakes_are_configuration_errors(
    repo: Repo, cli: Run, change: dict[str, str], where: str, message: str
) -> None:
    write_series(repo, **change)
    result = cli("validate", repo.root, expect=1)
    location = f"{repo.root / 'sessions.yaml'}:{where}:"
    assert any(line.startswith(location) and message in line
               for line in result.stderr.splitlines()), result.stderr


def test_a_recurring_event_needs_a_time_zone(repo: Repo, cli: Run) -> None:
    repo.write("events.yaml", EVENT_SERIES.replace("    time_zone: Europe/Copenhagen\n", "")
               .replace("T18:00", "T18:00:00+02:00").replace("T21:30", "T21:30:00+02:00"))
    result = cli("validate", repo.root, expect=1)
    assert "events[0].recurrence: a recurring event needs time_zone" in result.stderr


def test_a_utc_until_bounds_the_rule(repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2027-02-20T00:00:00Z")
    write_series(repo, rule="FREQ=WEEKLY;BYDAY=MO;UNTIL=20270323T000000Z")
    assert "Valid: 3 sessions" in cli("validate", repo.root).stdout  # 1st, 8th, 22nd


HOURLY = """version: 1
events:
  - key: intake
    title: Witness intake slot
    start: 2027-03-01T09:00
    end: 2027-03-01T09:45
    time_zone: America/New_York
    location: {{name: Harbour Club}}
    recurrence: {{rrule: "FREQ=HOURLY;COUNT={count}"}}
"""


def test_a_sub_daily_series_creates_every_occurrence_and_cancels_the_one_it_drops(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2027-02-20T00:00:00Z")
    repo.write("events.yaml", HOURLY.format(count=3))
    cli("apply", repo.root, "--auto-approve")
    assert {key: (e["start"], e["end"]) for key, e in managed_events(repo).items()} == {
        "intake@2027-03-01T09:00": ("2027-03-01T14:00:00Z", "2027-03-01T14:45:00Z"),
        "intake@2027-03-01T10:00": ("2027-03-01T15:00:00Z", "2027-03-01T15:45:00Z"),
        "intake@2027-03-01T11:00": ("2027-03-01T16:00:00Z", "2027-03-01T16:45:00Z"),
    }
    repo.forget_requests()
    assert "No changes" in cli("plan", repo.root, "--detailed-exitcode").stdout

    repo.write("events.yaml", HOURLY.format(count=2))
    planned = cli("plan", repo.root)
    assert "# series events.intake: 2 occurrences: 1 deleted" in planned.stdout
    assert "- events.intake@2027-03-01T11:00" in planned.stdout
    cli("apply", repo.root, "--auto-approve")
    assert sorted(managed_events(repo)) == ["intake@2027-03-01T09:00", "intake@2027-03-01T10:00"]
    cli("plan", repo.root, "--detailed-exitcode")


NIGHTS = """version: 1
events:
  - key: night
    title: Night shift handover
    start: {start}
    end: {end}
    time_zone: America/New_York
    location: {{name: Harbour Club}}
    recurrence: {{rrule: "FREQ=WEEKLY;COUNT=2"}}
"""


@pytest.mark.parametrize(
    ("start", "end", "now", "changed"),
    [
        # spring forward: 02:30 does not exist on 2027-03-14, so 03:30 EDT, and an hour long
        ("2027-03-07T02:30", "2027-03-07T03:30", "2027-03-01T00:00:00Z",
         ("night@2027-03-14", "2027-03-14T07:30:00Z", "2027-03-14T08:30:00Z")),
        # fall back: ends at the second 01:30 of 2027-11-07 (EST), an hour after it began
        ("2027-10-31T01:30", "2027-10-31T02:30", "2027-10-20T00:00:00Z",
         ("night@2027-11-07", "2027-11-07T05:30:00Z", "2027-11-07T06:30:00Z")),
    ],
)
def test_an_occurrence_on_a_dst_change_lasts_as_long_as_the_first_and_converges(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch,
    start: str, end: str, now: str, changed: tuple[str, str, str],
) -> None:
    monkeypatch.setenv("RECONCILER_NOW", now)
    repo.write("events.yaml", NIGHTS.format(start=start, end=end))
    cli("apply", repo.root, "--auto-approve")
    key, begins, ends = changed
    event = managed_events(repo)[key]
    assert (event["start"], event["end"]) == (begins, ends)
    repo.forget_requests()
    assert "No changes" in cli("plan", repo.root, "--detailed-exitcode").stdout
    assert repo.writes() == []


WARNED = """version: 1
events:
  - key: offsite
    title: Partners' offsite
    start: 2027-09-06T09:00
    end: 2027-09-06T17:00
    time_zone: America/New_York
    location: {name: Harbour Club}
    recurrence: {rrule: "FREQ=YEARLY;COUNT=3"}
  - key: review
    title: File review
    start: 2027-03-02T09:00
    end: 2027-03-02T10:00
    time_zone: America/New_York
    location: {name: Harbour Club}
    recurrence: {rrule: "FREQ=WEEKLY;BYDAY=MO;COUNT=2"}
"""


def test_series_warnings_are_in_the_text_json_and_markdown_plans(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2027-02-20T00:00:00Z")
    path = repo.write("events.yaml", WARNED)
    beyond = (f"{path}:9:5: events[0].recurrence: no occurrence within the horizon (180 days "
              "ahead), so nothing is declared yet: the first, 2027-09-06T09:00:00, is declared "
              "from 2027-03-10 on; set horizon: 199 to declare it now")
    outside = (f'{path}:12:5: events[1].start: 2027-03-02T09:00:00 is not an occurrence of the '
               'rule "FREQ=WEEKLY;BYDAY=MO;COUNT=2"; RFC 5545 keeps the start as the first '
               "occurrence all the same (and COUNT counts it)")

    text = cli("plan", repo.root).stdout
    assert f"Warning: {beyond}" in text
    assert f"Warning: {outside}" in text
    assert "events.review@2027-03-02" in text  # the start is planned, as the RFC reads it

    document = json.loads(cli("plan", repo.root, "--format", "json").stdout)
    assert document["warnings"][0] == beyond
    assert document["warnings"][1].startswith(outside)

    markdown = cli("plan", repo.root, "--format", "markdown").stdout
    assert f"> ⚠️ {beyond}" in markdown
