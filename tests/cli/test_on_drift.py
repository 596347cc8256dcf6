"""`--on-drift revert|keep|fail`: what apply does with fields edited outside git.

The scenario after a merge: the base commit declared the event with capacity 200; the merged
commit raises it to 250 (a config change), while a colleague retitled the event in Prospero's
own UI (drift: the title is declared alike at both commits).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.repo import Repo, Run

EVENT = """version: 1
events:
  - key: gala
    title: Winter Gala
    start: 2027-01-15T18:00:00Z
    end: 2027-01-15T23:00:00Z
    capacity: {capacity}
"""


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root, capture_output=True, text=True, check=True,
    )
    return done.stdout.strip()


def remote_gala(repo: Repo) -> dict[str, object]:
    page = repo.sandbox.store.query(
        "prospero.events", where={"customFields.reconciler_key": "gala"}
    )
    (event,) = page.documents
    return event


def retitle_remotely(repo: Repo, title: str) -> None:
    event = remote_gala(repo)
    repo.sandbox.store.replace("prospero.events", str(event["id"]), {**event, "title": title})


@pytest.fixture
def merged(repo: Repo, cli: Run) -> str:
    """The base commit applied, a colleague's remote retitle, then the merge raising capacity.

    Returns the base commit; the request log is empty."""
    repo.write("events.yaml", EVENT.format(capacity=200))
    git(repo.root, "init", "-q", "-b", "main")
    git(repo.root, "add", ".")
    git(repo.root, "commit", "-q", "-m", "base")
    cli("apply", repo.root, "--auto-approve")
    retitle_remotely(repo, "Winter Gala (Hall B)")
    repo.write("events.yaml", EVENT.format(capacity=250))
    git(repo.root, "commit", "-q", "-am", "more seats")
    repo.forget_requests()
    return git(repo.root, "rev-parse", "HEAD~1")


def patches(repo: Repo) -> list[object]:
    return [w.body for w in repo.writes() if w.method == "PATCH"]


def test_revert_is_the_default_and_says_which_reverted_fields_were_drift(
    repo: Repo, cli: Run, merged: str
):
    result = cli("apply", repo.root, "--auto-approve", "--base-ref", merged)
    assert patches(repo) == [{"title": "Winter Gala", "capacity": 250}]
    (title,) = [line for line in result.stdout.splitlines() if line.startswith("      ~ title")]
    assert title.endswith('"Winter Gala (Hall B)" → "Winter Gala"   # drift: reverts a remote edit')
    (seats,) = [line for line in result.stdout.splitlines() if line.startswith("      ~ capacity")]
    assert "drift" not in seats
    assert "✓ events.gala: updated" in result.stdout
    assert "reverted remote edits to title" in result.stdout
    assert remote_gala(repo)["title"] == "Winter Gala"


def test_keep_leaves_the_remote_edit_and_applies_the_config_change(
    repo: Repo, cli: Run, merged: str
):
    result = cli("apply", repo.root, "--auto-approve", "--base-ref", merged, "--on-drift", "keep")
    assert patches(repo) == [{"capacity": 250}]
    assert "Skipped events.gala: remote edit to title kept (--on-drift keep); capacity updated" in (
        result.stdout
    )
    event = remote_gala(repo)
    assert (event["title"], event["capacity"]) == ("Winter Gala (Hall B)", 250)
    # Nothing left but the kept edit: the next keep apply writes nothing.
    repo.forget_requests()
    again = cli("apply", repo.root, "--auto-approve", "--base-ref", merged, "--on-drift", "keep")
    assert repo.writes() == []
    assert "No changes" in again.stdout
    assert "remote edit to title kept" in again.stdout


def test_fail_refuses_and_names_the_drifted_fields(repo: Repo, cli: Run, merged: str):
    result = cli("apply", repo.root, "--auto-approve", "--base-ref", merged, "--on-drift", "fail",
                 "--force", expect=1)
    assert "refusing to apply: the plan would revert remote edits (--on-drift fail): " \
        "events.gala (title)" in result.stderr
    assert repo.writes() == []
    assert remote_gala(repo)["title"] == "Winter Gala (Hall B)"


def test_fail_lets_an_apply_without_drift_through(repo: Repo, cli: Run, merged: str):
    retitle_remotely(repo, "Winter Gala")  # the colleague undoes the edit
    cli("apply", repo.root, "--auto-approve", "--base-ref", merged, "--on-drift", "fail")
    assert patches(repo) == [{"capacity": 250}]


def test_plan_shows_what_fail_would_refuse(repo: Repo, cli: Run, merged: str):
    shown = cli("plan", repo.root, "--base-ref", merged, "--on-drift", "fail")
    assert "Warning: apply will refuse: the plan would revert remote edits" in shown.stdout


@pytest.mark.parametrize("policy", ["keep", "fail"])
def test_keep_and_fail_need_a_base_ref(repo: Repo, cli: Run, merged: str, policy: str):
    result = cli("apply", repo.root, "--auto-approve", "--on-drift", policy, expect=1)
    assert f"--on-drift {policy} needs --base-ref REF" in result.stderr
    assert repo.requests() == []


def test_a_saved_plan_keeps_the_policy_it_was_reviewed_with(repo: Repo, cli: Run, merged: str):
    saved = repo.root.parent / "plan.json"
    cli("plan", repo.root, "--base-ref", merged, "--on-drift", "keep", "-o", saved)
    document = json.loads(saved.read_text())
    assert document["source"]["on_drift"] == "keep"
    assert document["source"]["base_commit"] == merged
    assert [c["fields"] for c in document["changes"]] == [
        [{"field": "capacity", "before": 200, "after": 250}]
    ]

    refused = cli("apply", saved, "--auto-approve", "--on-drift", "revert", expect=1)
    assert "plan had --on-drift keep, apply has --on-drift revert" in refused.stderr
    repo.forget_requests()
    cli("apply", saved, "--auto-approve")
    assert patches(repo) == [{"capacity": 250}]
    assert remote_gala(repo)["title"] == "Winter Gala (Hall B)"


def test_a_saved_revert_plan_labels_the_drift_it_reverts(repo: Repo, cli: Run, merged: str):
    saved = repo.root.parent / "plan.json"
    cli("plan", repo.root, "--base-ref", "HEAD~1", "-o", saved)
    (change,) = json.loads(saved.read_text())["changes"]
    assert change["drift_fields"] == ["title"]
    applied = cli("apply", saved, "--auto-approve")
    assert "reverted remote edits to title" in applied.stdout
    assert patches(repo) == [{"title": "Winter Gala", "capacity": 250}]


SESSION = """version: 1
sessions:
  - key: smith-depo
    title: Deposition of J. Smith
    case: 2027-CV-0142
    start: 2027-03-02T09:00
    time_zone: America/New_York
    duration_hours: 1.5
    details: {details}
"""


def test_keep_cannot_keep_what_a_replace_sends_anyway(repo: Repo, cli: Run):
    """Prevail cannot change details in place: the session is scheduled anew from the
    configuration, so the remote title cannot survive, and keep says so."""
    repo.write("sessions.yaml", SESSION.format(details="Bring exhibits A-F."))
    git(repo.root, "init", "-q", "-b", "main")
    git(repo.root, "add", ".")
    git(repo.root, "commit", "-q", "-m", "base")
    base = git(repo.root, "rev-parse", "HEAD")
    cli("apply", repo.root, "--auto-approve")
    (session,) = [s for s in repo.sandbox.store.query("prevail.sessions").documents
                  if "reconciler-key: smith-depo" in json.dumps(s)]
    repo.sandbox.store.replace("prevail.sessions", str(session["remote_session_id"]),
                               {**session, "title": "Deposition of Jane Smith"})
    repo.write("sessions.yaml", SESSION.format(details="Bring exhibits A-G."))

    shown = cli("plan", repo.root, "--base-ref", base, "--on-drift", "keep", "--format", "json")
    document = json.loads(shown.stdout)
    (change,) = document["changes"]
    assert change["action"] == "replace"
    assert change["drift_fields"] == ["title"]
    assert any(
        warning.startswith("sessions.smith-depo: the remote edit to title cannot be kept: "
                           "prevail sets it with details (")
        and warning.endswith("it is reverted")
        for warning in document["warnings"]
    ), document["warnings"]
    assert document["skipped"] == []
