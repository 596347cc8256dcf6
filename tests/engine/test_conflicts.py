"""The overlaps a plan introduces or resolves, per person and place, in every plan format."""

from __future__ import annotations

import json

import pytest

from reconciler.render.json import schema_problems
from tests.fixtures.repo import Repo, Run

DEPOSITION = """version: 1
sessions:
  - key: smith-deposition
    title: Deposition of J. Smith
    case: 2027-CV-0142
    start: 2027-03-02T09:00
    time_zone: America/New_York
    duration_hours: 2
    invites: [counsel@example.com, {email: host@example.com, access_level: host}]
"""

PREP = """version: 1
sessions:
  - key: okafor-prep
    title: Expert preparation
    case: 2027-CV-0142
    start: 2027-03-02T{start}
    time_zone: America/New_York
    duration_hours: 1
    deponent: {{name: M. Okafor, email: Counsel@Example.com}}
"""

OVERLAP = (
    "person counsel@example.com: sessions.smith-deposition (Tue 2027-03-02 09:00-11:00 "
    "America/New_York, invitee) overlaps sessions.okafor-prep (Tue 2027-03-02 10:30-11:30 "
    "America/New_York, deponent)"
)


@pytest.fixture(autouse=True)
def _now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2027-01-04T00:00:00Z")


def _applied(repo: Repo, cli: Run, prep_start: str) -> None:
    repo.write("depositions.yaml", DEPOSITION)
    repo.write("prep.yaml", PREP.format(start=prep_start))
    cli("apply", repo.root, "--auto-approve")


def test_moving_a_session_onto_another_with_the_same_deponent_introduces_an_overlap(
    repo: Repo, cli: Run
) -> None:
    """The moved session now overlaps one its deponent attends: one overlap introduced, listed
    with the person, both objects, their roles and times."""
    _applied(repo, cli, "11:30")
    repo.write("prep.yaml", PREP.format(start="10:30"))
    text = cli("plan", repo.root).stdout
    assert "Conflicts: the plan introduces 1 overlap, resolves 0." in text
    assert f"  + introduces {OVERLAP}" in text
    assert "resolves person" not in text


def test_moving_it_away_resolves_the_overlap(repo: Repo, cli: Run) -> None:
    """The overlap the remote schedule has now is gone after the apply: resolved, not
    introduced."""
    _applied(repo, cli, "10:30")
    repo.write("prep.yaml", PREP.format(start="11:30"))
    text = cli("plan", repo.root).stdout
    assert "Conflicts: the plan introduces 0 overlaps, resolves 1." in text
    assert f"  - resolves {OVERLAP}" in text


def test_an_overlap_before_and_after_is_neither(repo: Repo, cli: Run) -> None:
    """A session moved within the overlap keeps the same overlap: nothing to report."""
    _applied(repo, cli, "10:30")
    repo.write("prep.yaml", PREP.format(start="10:45"))
    planned = cli("plan", repo.root, "--format", "json").stdout
    assert json.loads(planned)["conflicts"] == {"introduced": [], "resolved": []}
    text = cli("plan", repo.root).stdout
    assert "1 to update" in text
    assert "Conflicts" not in text


def test_cancelling_an_overlapping_session_resolves_it_per_person(repo: Repo, cli: Run) -> None:
    """With --prune, the session that goes resolves its overlap; a second shared person is a
    second overlap (the host, by role)."""
    _applied(repo, cli, "10:30")
    repo.write(
        "prep.yaml",
        PREP.format(start="10:30").replace(
            "duration_hours: 1\n", "duration_hours: 1\n    invites: [host@example.com]\n"
        ),
    )
    cli("apply", repo.root, "--auto-approve")
    (repo.root / "prep.yaml").unlink()
    text = cli("plan", repo.root, "--prune").stdout
    assert "Conflicts: the plan introduces 0 overlaps, resolves 2." in text
    assert f"  - resolves {OVERLAP}" in text
    assert (
        "  - resolves person host@example.com: sessions.smith-deposition (Tue 2027-03-02 "
        "09:00-11:00 America/New_York, host) overlaps sessions.okafor-prep (Tue 2027-03-02 "
        "10:30-11:30 America/New_York, invitee)"
    ) in text


def test_every_format_shows_the_conflicts(repo: Repo, cli: Run) -> None:
    """Markdown, HTML and the JSON plan (valid by its published schema) carry the same overlap."""
    _applied(repo, cli, "11:30")
    repo.write("prep.yaml", PREP.format(start="10:30"))
    markdown = cli("plan", repo.root, "--format", "markdown").stdout
    assert "**Conflicts:** the plan introduces 1 overlap, resolves 0." in markdown
    assert f"- 🔴 introduces {OVERLAP}" in markdown
    html = cli("plan", repo.root, "--format", "html").stdout
    assert "<strong>Conflicts: the plan introduces 1 overlap, resolves 0.</strong>" in html
    assert f'<li class="introduced">introduces {OVERLAP}</li>' in html
    document = json.loads(cli("plan", repo.root, "--format", "json").stdout)
    assert schema_problems(document) == []
    assert document["conflicts"] == {
        "introduced": [
            {
                "subject": "person",
                "name": "counsel@example.com",
                "objects": [
                    {
                        "address": "sessions.smith-deposition",
                        "role": "invitee",
                        "start": "2027-03-02T14:00:00Z",
                        "end": "2027-03-02T16:00:00Z",
                        "time_zone": "America/New_York",
                    },
                    {
                        "address": "sessions.okafor-prep",
                        "role": "deponent",
                        "start": "2027-03-02T15:30:00Z",
                        "end": "2027-03-02T16:30:00Z",
                        "time_zone": "America/New_York",
                    },
                ],
            }
        ],
        "resolved": [],
    }


EVENTS = """version: 1
events:
  - key: gala
    title: Winter Gala
    start: 2027-01-15T18:00:00Z
    end: 2027-01-15T23:00:00Z
    location: {{name: Town Hall, address: 1 Main St}}
  - key: rehearsal
    title: Choir rehearsal
    start: 2027-01-15T{start}
    end: 2027-01-16T02:00:00Z
    location: {{name: town hall, address: 1  Main St}}
"""


def test_an_event_moved_onto_another_at_one_location(repo: Repo, cli: Run) -> None:
    """Places count as people do: the location named as declared, case and spacing aside."""
    repo.write("events.yaml", EVENTS.format(start="23:00:00Z"))
    cli("apply", repo.root, "--auto-approve")
    repo.write("events.yaml", EVENTS.format(start="21:30:00Z"))
    text = cli("plan", repo.root).stdout
    assert "Conflicts: the plan introduces 1 overlap, resolves 0." in text
    assert (
        "  + introduces location Town Hall / 1 Main St: events.gala (Fri 2027-01-15 18:00-23:00 "
        "UTC, location) overlaps events.rehearsal (Fri 2027-01-15 21:30-Sat 2027-01-16 02:00 "
        "UTC, location)"
    ) in text


def test_a_rename_alone_neither_introduces_nor_resolves(repo: Repo, cli: Run) -> None:
    """The renamed (and moved) session is the same object: its overlap is the one there
    before, under its new address."""
    _applied(repo, cli, "10:30")
    renamed = PREP.format(start="10:45").replace(
        "key: okafor-prep\n", "key: okafor-preparation\n    previous_keys: [okafor-prep]\n"
    )
    repo.write("prep.yaml", renamed)
    document = json.loads(cli("plan", repo.root, "--format", "json").stdout)
    assert [change["moved_from"] for change in document["changes"]] == ["sessions.okafor-prep"]
    assert document["conflicts"] == {"introduced": [], "resolved": []}


def test_many_overlaps_fold_in_markdown_under_their_count(repo: Repo, cli: Run) -> None:
    """Six sessions moved onto the deposition: the count stays on screen, the list folds."""
    sessions = "".join(
        f"""  - key: prep-{index}
    title: Preparation {index}
    case: 2027-CV-0142
    start: 2027-03-02T{{start}}
    time_zone: America/New_York
    duration_hours: 1
    deponent: {{{{name: M. Okafor, email: counsel@example.com}}}}
"""
        for index in range(6)
    )
    repo.write("depositions.yaml", DEPOSITION)
    repo.write("prep.yaml", ("version: 1\nsessions:\n" + sessions).format(start="12:00"))
    cli("apply", repo.root, "--auto-approve")
    repo.write("prep.yaml", ("version: 1\nsessions:\n" + sessions).format(start="10:00"))
    markdown = cli("plan", repo.root, "--format", "markdown").stdout
    summary = "**Conflicts:** the plan introduces 6 overlaps, resolves 0."
    assert f"{summary}\n\n<details><summary>Each overlap</summary>\n" in markdown
    assert markdown.count("- 🔴 introduces person counsel@example.com") == 6
