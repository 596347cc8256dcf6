"""Change windows: apply writes only inside them; plan says so in advance."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.repo import Repo, Run

EVENT = """version: 1
events:
  - key: gala
    title: Winter Gala
    start: 2027-01-15T18:00:00+01:00
    end: 2027-01-15T23:00:00+01:00
    capacity: 100
"""

WINDOWS = """
windows:
  - name: office-hours
    allow: FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR
    start: 2026-01-05T08:00
    duration_hours: 10
    time_zone: Eastern Time (US & Canada)
  - name: year-end-freeze
    deny: FREQ=YEARLY
    start: 2026-12-24T00:00
    duration_hours: 264
    time_zone: Europe/London
    kinds: [events]
"""


@pytest.fixture
def windowed(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> Repo:
    providers = repo.root / "providers.yaml"
    providers.write_text(providers.read_text() + WINDOWS)
    repo.write("events.yaml", EVENT)
    monkeypatch.setenv("RECONCILER_ALLOW_PINNED_CLOCK", "1")
    return repo


def at(monkeypatch: pytest.MonkeyPatch, now: str) -> None:
    monkeypatch.setenv("RECONCILER_NOW", now)


def test_apply_outside_the_allow_window_refuses_before_any_write_and_names_the_next_opening(
    windowed: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saturday afternoon in New York: closed until Monday 08:00 on the window's own clock,
    and --force does not open it."""
    at(monkeypatch, "2026-12-05T19:00:00Z")
    result = cli("apply", windowed.root, "--auto-approve", "--force", expect=1)
    assert (
        "refusing to apply: mandatory policy change-window: events may not change now: outside "
        "the allow window office-hours; the next opening is Mon 2026-12-07 08:00 Eastern Time "
        "(US & Canada) (office-hours)"
    ) in result.output
    assert windowed.writes() == []


def test_plan_says_so_in_advance_in_every_format(
    windowed: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    at(monkeypatch, "2026-12-05T19:00:00Z")
    text = cli("plan", windowed.root).stdout
    assert "Policy: mandatory policy change-window: events may not change now" in text
    document = json.loads(cli("plan", windowed.root, "--format", "json").stdout)
    (finding,) = document["policy"]["findings"]
    assert finding["rule"] == "change-window" and finding["level"] == "mandatory"


def test_inside_the_allow_window_apply_writes(
    windowed: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    at(monkeypatch, "2026-12-07T14:00:00Z")  # Monday 09:00 in New York
    cli("apply", windowed.root, "--auto-approve")
    assert [record.method for record in windowed.writes()] == ["POST"]


def test_a_deny_window_wins_over_an_open_allow_window_and_names_its_end(
    windowed: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Monday 28 December, 10:00 in New York: office hours, but the freeze (events only) is on
    until 4 January 00:00 in London; office hours then open at 08:00 New York time."""
    at(monkeypatch, "2026-12-28T15:00:00Z")
    result = cli("apply", windowed.root, "--auto-approve", expect=1)
    assert (
        "events may not change now: the deny window year-end-freeze is in progress; the next "
        "opening is Mon 2027-01-04 08:00 Eastern Time (US & Canada) (office-hours)"
    ) in result.output
    assert windowed.writes() == []


def test_a_window_for_another_kind_does_not_hold_this_one_back(
    windowed: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The freeze names events only: a session in the same week goes through office hours."""
    windowed.write("events.yaml", "version: 1\n")
    windowed.write(
        "sessions.yaml",
        """version: 1
sessions:
  - key: depo
    title: Deposition
    case: 2027-CV-1
    start: 2027-03-02T10:00
    time_zone: America/New_York
    duration_hours: 1
    invites: [counsel@example.com]
""",
    )
    at(monkeypatch, "2026-12-28T15:00:00Z")
    cli("apply", windowed.root, "--auto-approve")
    assert [record.method for record in windowed.writes()] == ["POST"]


def test_a_window_with_a_mistake_is_a_configuration_error_at_its_line(repo: Repo, cli: Run) -> None:
    providers = repo.root / "providers.yaml"
    providers.write_text(
        providers.read_text()
        + """
windows:
  - name: broken
    allow: FREQ=SOMETIMES
    start: 2026-01-05T08:00
    duration_hours: 1
"""
    )
    result = cli("validate", repo.root, expect=1)
    assert "providers.yaml:" in result.output and "window broken:" in result.output
