"""`plan --format ics`: the schedule as the apply will leave it, read back by calendar libraries.

Every calendar here is parsed with `icalendar` and expanded with `recurring-ical-events`, as a
calendar application would, and compared with the plan's own occurrences (instants, DST days,
exdates) and with the calendar the next plan shows once the apply is done.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from tests.config.test_recurrence_rfc5545 import EXAMPLES, SERIES, Example
from tests.fixtures.repo import SCOPE, Repo, Run

NEW_YORK = ZoneInfo("America/New_York")


@dataclass(frozen=True, order=True)
class Seen:
    """One occurrence as a calendar application shows it (instants in UTC)."""

    uid: str
    start: str
    end: str | None
    summary: str
    status: str


def utc(moment: date | datetime | None) -> str | None:
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        return moment.isoformat()
    assert moment.tzinfo is not None, f"{moment} is a floating time"
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def expanded(text: str) -> list[Seen]:
    """Every occurrence `recurring-ical-events` finds in the calendar."""
    calendar = icalendar.Calendar.from_ical(text)
    return sorted(
        Seen(
            uid=str(event["UID"]),
            start=utc(event.start) or "",
            end=utc(event.end) if "DTEND" in event else None,
            summary=str(event["SUMMARY"]),
            status=str(event["STATUS"]),
        )
        for event in recurring_ical_events.of(calendar).all()
    )


def read_by_vtimezones(text: str) -> list[str | None]:
    """Each VEVENT's start read through the file's own VTIMEZONE (as a calendar without a zone
    database would), against the same start read through the zone database: (by VTIMEZONE, by
    zoneinfo) must agree."""
    calendar = icalendar.Calendar.from_ical(text)
    zones = {
        str(zone["TZID"]): zone.to_tz(lookup_tzid=False) for zone in calendar.walk("VTIMEZONE")
    }
    mismatched = []
    for event in calendar.walk("VEVENT"):
        tzid = event["DTSTART"].params.get("TZID")
        if tzid is None:
            continue
        by_file = event.start.replace(tzinfo=zones[tzid])
        if utc(by_file) != utc(event.start):
            mismatched.append(utc(event.start))
    return mismatched


def components(text: str) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(text).walk("VEVENT"))


def uid(address: str) -> str:
    kind, _, key = address.partition(".")
    return f"{kind}.{key.partition('@')[0]}@{SCOPE}.reconciler"


def planned(document: dict[str, Any]) -> list[Seen]:
    """The plan's creates as occurrences: start, and end (or start + duration) in UTC."""
    seen = []
    for change in document["changes"]:
        if change["kind"] not in ("sessions", "events"):
            continue
        assert change["action"] == "create", change["address"]
        after = {field["field"]: field["after"] for field in change["fields"]}
        start = datetime.fromisoformat(after["start"])
        end = after.get("end")
        if end is None and after.get("duration_hours"):
            end = utc(start + timedelta(hours=after["duration_hours"]))
        status = {"tentative": "TENTATIVE"}.get(after.get("status", ""), "CONFIRMED")
        seen.append(
            Seen(
                uid=uid(change["address"]),
                start=utc(start) or "",
                end=end,
                summary=after["title"],
                status=status,
            )
        )
    return sorted(seen)


def plan_with_calendar(cli: Run, repo: Repo, *options: str) -> tuple[dict[str, Any], str]:
    """The JSON plan and the calendar `--calendar` saved beside it, from one run."""
    target = repo.root.parent / "schedule.ics"
    result = cli("plan", repo.root, "--format", "json", "--calendar", target, *options)
    return json.loads(result.stdout), target.read_text(encoding="utf-8")


@pytest.fixture
def january(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2027-01-04T00:00:00Z")


# -- the examples ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("january")
def test_the_examples_calendar_holds_exactly_the_plans_occurrences(
    examples_repo: Repo, cli: Run
) -> None:
    document, saved = plan_with_calendar(cli, examples_repo)
    printed = cli("plan", examples_repo.root, "--format", "ics").stdout
    assert printed.replace(stamp(printed), "") == saved.replace(stamp(saved), "")

    seen = expanded(printed)
    assert seen == planned(document)
    assert read_by_vtimezones(printed) == []
    # The weekly conference keeps 16:00 in New York across the DST change of 2027-03-14 (21:00Z,
    # then 20:00Z), skips its exdate (03-29), and its override moves 04-05's to Tuesday 04-06.
    conference = uid("sessions.status-conference")
    assert [s.start for s in seen if s.uid == conference] == [
        "2027-03-08T21:00:00Z",
        "2027-03-15T20:00:00Z",
        "2027-03-22T20:00:00Z",
        "2027-04-06T20:00:00Z",
        "2027-04-12T20:00:00Z",
    ]
    occurrences = [event for event in components(printed) if event["UID"] == conference]
    assert [event["RECURRENCE-ID"].dt for event in occurrences] == [
        datetime(2027, 3, 8, 16, tzinfo=NEW_YORK),
        datetime(2027, 3, 15, 16, tzinfo=NEW_YORK),
        datetime(2027, 3, 22, 16, tzinfo=NEW_YORK),
        datetime(2027, 4, 5, 16, tzinfo=NEW_YORK),
        datetime(2027, 4, 12, 16, tzinfo=NEW_YORK),
    ]
    # Times in the object's own zone (a Prevail zone name is its IANA zone), one VTIMEZONE each.
    assert "DTSTART;TZID=America/New_York:20270304T143000" in printed  # Eastern Time (US & Canada)
    assert [zone["TZID"] for zone in icalendar.Calendar.from_ical(printed).walk("VTIMEZONE")] == [
        "America/New_York"
    ]
    # Everything is new: SEQUENCE 0; assignments have no time in the plan and are left out.
    assert {event["SEQUENCE"] for event in components(printed)} == {0}
    assert not any(event["UID"].startswith("assignments.") for event in components(printed))


def stamp(text: str) -> str:
    """The DTSTAMP lines' value (when the file was made), the one thing two runs may differ in."""
    (value,) = {line for line in text.splitlines() if line.startswith("DTSTAMP:")}
    return value


CHANGES = {
    # One occurrence fewer (its session is cancelled), the deposition an hour later.
    "sessions/status-conferences.yaml": (
        "exdates: [2027-03-29]",
        "exdates: [2027-03-29, 2027-04-12]",
    ),
    "sessions/depositions.yaml": ("start: 2027-03-02T09:00", "start: 2027-03-02T10:00"),
}


@pytest.mark.usefixtures("january")
def test_the_calendar_of_a_plan_is_the_calendar_once_it_is_applied(
    examples_repo: Repo, cli: Run
) -> None:
    cli("apply", examples_repo.root, "--auto-approve")
    for relative, (old, new) in CHANGES.items():
        path = examples_repo.root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new), encoding="utf-8")
    (examples_repo.root / "events" / "firm-calendar.yaml").write_text(
        (examples_repo.root / "events" / "firm-calendar.yaml")
        .read_text(encoding="utf-8")
        .split("  - key: cle-ethics-seminar")[0],
        encoding="utf-8",
    )

    document, before = plan_with_calendar(cli, examples_repo, "--prune")
    actions = {change["address"]: change["action"] for change in document["changes"]}
    assert actions == {
        "sessions.status-conference@2027-04-12": "cancel",
        "sessions.smith-deposition": "update",
        "events.cle-ethics-seminar": "delete",
    }
    cli("apply", examples_repo.root, "--auto-approve", "--prune", "--force")
    _, after = plan_with_calendar(cli, examples_repo, "--prune")

    live = [seen for seen in expanded(before) if seen.status != "CANCELLED"]
    assert live == expanded(after)
    cancelled = [seen for seen in expanded(before) if seen.status == "CANCELLED"]
    assert [(seen.uid, seen.start) for seen in cancelled] == [
        (uid("events.cle-ethics-seminar"), "2027-02-10T15:00:00Z"),
        (uid("sessions.status-conference"), "2027-04-12T20:00:00Z"),
    ]
    # The occurrence an exdate now cancels keeps the RECURRENCE-ID it was imported under.
    (dropped,) = [
        e for e in components(before) if e["STATUS"] == "CANCELLED" and "RECURRENCE-ID" in e
    ]
    assert dropped["RECURRENCE-ID"].dt == datetime(2027, 4, 12, 16, tzinfo=NEW_YORK)
    sequences = {
        (str(event["UID"]), utc(event.start)): event["SEQUENCE"] for event in components(before)
    }
    assert sequences[(uid("sessions.smith-deposition"), "2027-03-02T15:00:00Z")] == 1
    assert sequences[(uid("sessions.status-conference"), "2027-04-12T20:00:00Z")] == 1
    assert sequences[(uid("events.cle-ethics-seminar"), "2027-02-10T15:00:00Z")] == 1
    assert sequences[(uid("events.winter-gala"), "2027-01-15T17:00:00Z")] == 0  # untouched
    assert {event["SEQUENCE"] for event in components(after)} == {0}


# -- RFC 5545's examples ---------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.title for example in EXAMPLES])
def test_the_rfc_examples_calendar_shows_the_rfcs_dates(
    example: Example, repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = date.fromisoformat(example.start[:10])
    last = date.fromisoformat(example.expected[-1][:10])
    monkeypatch.setenv("RECONCILER_NOW", f"{first - timedelta(days=1)}T00:00:00Z")
    repo.write(
        "events.yaml",
        SERIES.format(
            start=example.start,
            end=example.start[:11] + "09:45",
            rrule=example.rrule,
            exdates=", ".join(example.exdates),
            horizon=(last - first).days + 2,
        ),
    )
    document, text = plan_with_calendar(cli, repo)

    seen = expanded(text)
    assert seen == planned(document)
    assert read_by_vtimezones(text) == []
    starts = tuple(
        datetime.fromisoformat(s.start).astimezone(NEW_YORK).strftime("%Y-%m-%dT%H:%M")
        for s in seen
    )
    if example.forever:
        assert starts[: len(example.expected)] == example.expected
    else:
        assert starts == example.expected
    for excluded in example.exdates:
        assert not any(start.startswith(excluded) for start in starts)
    # One series, each occurrence told apart by the start the rule gives it.
    events = components(text)
    assert {str(event["UID"]) for event in events} == {f"events.rfc@{SCOPE}.reconciler"}
    recurrences = [event["RECURRENCE-ID"].dt for event in events]
    assert recurrences == [event.start for event in events]


# -- details ---------------------------------------------------------------------------------------

MIXED = """version: 1
sessions:
  - key: {key}
    title: {title}
    case: 2027-CV-0142
    start: 2027-03-02T09:00
    time_zone: {zone}
    duration_hours: 1
    invites: [counsel@example.com]
    via: request
events:
  - key: offsite
    title: Offsite
    all_day: true
    start: 2027-05-03
    end: 2027-05-05
"""


@pytest.mark.usefixtures("january")
def test_zones_all_day_events_requests_and_secrets(repo: Repo, cli: Run) -> None:
    # A title that carries the Prevail key, placed where the line would be folded and beside a
    # comma that iCalendar escapes: neither may let the key through.
    title = "x" * 60 + ", sandbox-prevail-key, after"
    repo.write("schedule.yaml", MIXED.format(key="hawaii-call", title=title, zone="Hawaii"))
    text = cli("plan", repo.root, "--format", "ics").stdout

    unfolded = text.replace("\r\n ", "")
    assert "sandbox-prevail-key" not in unfolded
    assert "sandbox-prevail-key" not in str(components(text)[0]["SUMMARY"])
    by_uid = {str(event["UID"]): event for event in components(text)}
    call = by_uid[uid("sessions.hawaii-call")]
    assert "DTSTART;TZID=Pacific/Honolulu:20270302T090000" in unfolded
    assert call.end - call.start == timedelta(hours=1)
    assert call["STATUS"] == "TENTATIVE"  # a session request waits for Prevail's staff
    offsite = by_uid[uid("events.offsite")]
    assert (offsite.start, offsite.end) == (date(2027, 5, 3), date(2027, 5, 5))
    assert offsite["STATUS"] == "CONFIRMED"
    assert [zone["TZID"] for zone in icalendar.Calendar.from_ical(text).walk("VTIMEZONE")] == [
        "Pacific/Honolulu"
    ]

