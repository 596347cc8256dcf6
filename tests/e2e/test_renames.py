"""Renames: an object declared under a new key with `previous_keys: [old]` is the object that
carries the old key. The plan shows it as moved, apply re-marks it in one write (with any field
change), nothing is created, cancelled or deleted, `--prune` leaves it, and the next plan is
empty. Prevail cannot rewrite a scheduled session's marker: there the old key keeps identifying
the session, and the plan says so."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.fixtures.faults import assignment, event, session
from tests.fixtures.repo import SCOPE, Repo, Run
from tests.fixtures.scopes import live_per_key

ASSIGNMENT_ID = "asgmt-klJ23j4L23j43"


def renamed(entry: str, old: str, new: str) -> str:
    """A YAML entry of `old` declared under `new`, with `old` as its previous key."""
    return entry.replace(f"  - key: {old}\n", f"  - key: {new}\n    previous_keys: [{old}]\n", 1)


def managed_events(repo: Repo) -> dict[str, dict[str, Any]]:
    """This scope's stored events by the key they carry."""
    return {
        e["customFields"]["reconciler_key"]: e
        for e in repo.sandbox.store.query("prospero.events").documents
        if "reconciler_key" in (e.get("customFields") or {})
    }


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        capture_output=True,
        check=True,
    )


def live_sessions(repo: Repo) -> list[dict[str, Any]]:
    return [
        s
        for s in repo.sandbox.store.query("prevail.sessions").documents
        if s.get("state") != "canceled"
        and "reconciler-key:" in (s.get("session_details") or {}).get("additional_details", "")
    ]


def test_renaming_an_event_is_one_patch_of_its_key_and_fields(repo: Repo, cli: Run):
    repo.write(
        "e.yaml", "version: 1\nevents:\n" + event("gala", "Gala", 1) + event("other", "Other", 2)
    )
    cli("apply", repo.root, "--auto-approve")
    gala = managed_events(repo)["gala"]

    moved = renamed(event("gala", "Gala", 1), "gala", "gala-2027").replace(
        "capacity: 10", "capacity: 40"
    )
    repo.write("e.yaml", "version: 1\nevents:\n" + moved + event("other", "Other", 2))
    planned = cli("plan", repo.root, "--prune").stdout
    assert "~ events.gala-2027 (moved from events.gala) id=" + gala["id"] in planned
    assert "events.gala will" not in planned  # neither deleted nor anything else
    assert "Plan: 0 to create, 1 to update, 0 to cancel/delete." in planned

    repo.forget_requests()
    cli("apply", repo.root, "--auto-approve", "--prune")
    # One write: the field change and the new key together, in a merge patch.
    assert [(w.method, w.path, w.body) for w in repo.writes()] == [
        (
            "PATCH",
            f"/prospero/events/{gala['id']}",
            {"capacity": 40, "customFields": {"reconciler_key": "gala-2027"}},
        ),
    ]
    stored = managed_events(repo)
    assert set(stored) == {"gala-2027", "other"}
    assert stored["gala-2027"]["id"] == gala["id"] and stored["gala-2027"]["capacity"] == 40

    repo.forget_requests()
    result = cli("plan", repo.root, "--prune", "--detailed-exitcode")
    assert "No changes." in result.stdout
    assert repo.writes() == []


def test_renaming_a_session_never_reinvites_and_the_old_key_keeps_finding_it(repo: Repo, cli: Run):
    repo.write(
        "s.yaml",
        "version: 1\nsessions:\n" + session("depo", "Deposition", 1) + session("other", "Other", 2),
    )
    cli("apply", repo.root, "--auto-approve")
    [before] = [s for s in live_sessions(repo) if s["title"] == "Deposition"]

    # Renamed with a new title: one edit of the title, no schedule anew, no cancel.
    moved = renamed(session("depo", "Deposition", 1), "depo", "depo-2027")
    repo.write(
        "s.yaml",
        "version: 1\nsessions:\n"
        + moved.replace("title: Deposition", "title: Deposition of J. Smith")
        + session("other", "Other", 2),
    )
    planned = cli("plan", repo.root, "--prune").stdout
    assert "~ sessions.depo-2027 (moved from sessions.depo) id=" in planned
    assert (
        "sessions.depo-2027 was sessions.depo: prevail cannot rewrite the marker of an "
        "existing session, so it keeps the key depo, which identifies it for as long as "
        "previous_keys lists depo"
    ) in planned
    repo.forget_requests()
    cli("apply", repo.root, "--auto-approve", "--prune")
    assert [(w.method, w.path, w.body) for w in repo.writes()] == [
        (
            "PATCH",
            f"/prevail/sessions/{before['remote_session_id']}",
            {"remote_session": {"title": "Deposition of J. Smith"}},
        ),
    ]
    [after] = [
        s for s in live_sessions(repo) if s["remote_session_id"] == before["remote_session_id"]
    ]
    assert after["state"] == before["state"] and after["session_url"] == before["session_url"]
    assert after["invites"] == before["invites"]
    assert len(live_sessions(repo)) == 2

    # The next plan is empty and says why the old key still identifies it; a pure rename
    # writes nothing at all.
    repo.forget_requests()
    result = cli("plan", repo.root, "--prune", "--detailed-exitcode")
    assert "No changes." in result.stdout
    assert "it keeps the key depo, which identifies it for as long as previous_keys" in (
        result.stdout
    )
    cli("apply", repo.root, "--auto-approve", "--prune")
    assert repo.writes() == []
    assert live_per_key(repo)[("prevail.sessions", SCOPE, "depo")] == 1
    # Drift finds it under its old key, in sync: not missing, and not undeclared.
    assert json.loads(cli("drift", repo.root, "--format", "json").stdout)["items"] == []


def test_renaming_an_assignment_rewrites_its_key_metadata_once(repo: Repo, cli: Run):
    repo.write(
        "a.yaml",
        "version: 1\nassignments:\n"
        + assignment("clean", ASSIGNMENT_ID, "north")
        + assignment("other", "asgmt-Zp3Kw9Hs2Yb6D", "south"),
    )
    cli("apply", repo.root, "--auto-approve")

    repo.write(
        "a.yaml",
        "version: 1\nassignments:\n"
        + renamed(assignment("clean", ASSIGNMENT_ID, "north"), "clean", "clean-2027")
        + assignment("other", "asgmt-Zp3Kw9Hs2Yb6D", "south"),
    )
    planned = cli("plan", repo.root, "--prune").stdout
    assert f"~ assignments.clean-2027 (moved from assignments.clean) id={ASSIGNMENT_ID}" in planned
    assert "renamed: record the key clean-2027 on the object (it carries clean)" in planned
    markdown = cli("plan", repo.root, "--format", "markdown").stdout
    assert "**1 assignment renamed.**" in markdown
    assert "| `assignments.clean-2027` (moved from `assignments.clean`) |" in markdown
    html = cli("plan", repo.root, "--format", "html").stdout
    assert "<code>assignments.clean-2027</code> (moved from <code>assignments.clean</code>)" in html
    repo.forget_requests()
    cli("apply", repo.root, "--auto-approve", "--prune")
    [write] = repo.writes()
    assert (write.method, write.path) == ("PUT", f"/previsto/assignments/{ASSIGNMENT_ID}")
    assert write.body["meta"]["reconciler_key"] == "clean-2027"
    meta = repo.sandbox.store.get("previsto.assignments", ASSIGNMENT_ID)["meta"]
    assert meta["reconciler_key"] == "clean-2027" and meta["crew"] == "north"
    assert meta["reconciler_owned"] == "crew" and meta["reconciler_scope"] == SCOPE

    repo.forget_requests()
    assert "No changes." in cli("plan", repo.root, "--prune", "--detailed-exitcode").stdout
    assert repo.writes() == []


def test_both_the_old_and_the_new_key_found_remotely_is_refused(repo: Repo, cli: Run):
    repo.write(
        "e.yaml", "version: 1\nevents:\n" + event("gala", "Gala", 1) + event("gala-2027", "Gala", 1)
    )
    cli("apply", repo.root, "--auto-approve")
    stored = managed_events(repo)
    repo.write(
        "e.yaml", "version: 1\nevents:\n" + renamed(event("gala", "Gala", 1), "gala", "gala-2027")
    )
    repo.forget_requests()
    for command in (("plan", "--prune"), ("apply", "--prune", "--auto-approve"), ("drift",)):
        result = cli(command[0], repo.root, *command[1:], expect=1)
        message = " ".join(result.stderr.split())
        assert "e.yaml:3:5: events.gala-2027 lists previous_keys [gala], but both" in message
        assert f"events.gala (id {stored['gala']['id']})" in message
        assert f"events.gala-2027 (id {stored['gala-2027']['id']})" in message
        assert "is not guessed" in message
    assert repo.writes() == []


def test_a_saved_plan_carries_the_move_and_is_refused_once_stale(
    repo: Repo, cli: Run, tmp_path: Path
):
    repo.write("e.yaml", "version: 1\nevents:\n" + event("gala", "Gala", 1))
    cli("apply", repo.root, "--auto-approve")
    gala = managed_events(repo)["gala"]
    repo.write(
        "e.yaml", "version: 1\nevents:\n" + renamed(event("gala", "Gala", 1), "gala", "gala-2027")
    )
    saved = tmp_path / "plan.json"
    cli("plan", repo.root, "--prune", "-o", saved)
    [change] = json.loads(saved.read_text())["changes"]
    assert (change["address"], change["moved_from"], change["action"]) == (
        "events.gala-2027",
        "events.gala",
        "update",
    )

    # A saved plan that no longer says where the object moved from is not the derived one.
    tampered = tmp_path / "tampered.json"
    document = json.loads(saved.read_text())
    del document["changes"][0]["moved_from"]
    tampered.write_text(json.dumps(document))
    result = cli("apply", tampered, "--auto-approve", expect=1)
    assert "previous address none where the configuration calls for events.gala" in (
        " ".join(result.stderr.split())
    )

    repo.forget_requests()
    cli("apply", saved, "--auto-approve")
    assert [(w.method, w.body) for w in repo.writes()] == [
        ("PATCH", {"customFields": {"reconciler_key": "gala-2027"}})
    ]
    assert managed_events(repo)["gala-2027"]["id"] == gala["id"]

    # Made again, then the event is renamed remotely meanwhile: the plan is stale.
    repo.write(
        "e.yaml",
        "version: 1\nevents:\n" + renamed(event("gala-2027", "Gala", 1), "gala-2027", "gala-27"),
    )
    cli("plan", repo.root, "-o", saved)
    stored = managed_events(repo)["gala-2027"]
    fields = {**stored["customFields"], "reconciler_key": "gala-27"}
    repo.sandbox.store.replace("prospero.events", stored["id"], {**stored, "customFields": fields})
    result = cli("apply", saved, "--auto-approve", expect=1)
    assert "is stale" in result.stderr


def test_drift_and_import_see_a_renamed_event_as_the_declared_one(
    repo: Repo, cli: Run, http: httpx.Client
):
    repo.write("e.yaml", "version: 1\nevents:\n" + event("gala", "Gala", 1))
    cli("apply", repo.root, "--auto-approve")
    repo.write(
        "e.yaml", "version: 1\nevents:\n" + renamed(event("gala", "Gala", 1), "gala", "gala-2027")
    )
    # Renamed in git, not applied yet: neither missing nor undeclared.
    assert json.loads(cli("drift", repo.root, "--format", "json").stdout)["items"] == []

    # An unmanaged event whose derived key would be a previous key gets another one.
    seeded = http.post(
        "/_sandbox/prospero/seed",
        json={
            "events": [
                {"title": "Gala", "start": "2027-07-01T10:00:00Z", "end": "2027-07-01T11:00:00Z"}
            ]
        },
    )
    assert seeded.status_code == 201, seeded.text
    repo.write(
        "e.yaml",
        "version: 1\nevents:\n"
        + renamed(event("gala", "Gala", 1), "gala", "gala-2027").replace(
            "previous_keys: [gala]", "previous_keys: [gala, gala-2027-07-01]"
        ),
    )
    imported = repo.root / "imported.yaml"
    cli("import", "--kind", "events", "--since", "2027-07-01", "-o", imported, repo.root)
    keys = [entry["key"] for entry in _yaml(imported)["events"]]
    assert "gala-2027-07-01-2" in keys and "gala-2027-07-01" not in keys
    assert "gala-2027" not in keys  # the renamed event is managed: never imported


def test_a_renamed_series_moves_each_occurrence(repo: Repo, cli: Run):
    series = (
        "  - key: standup\n    title: Stand-up\n    start: 2027-07-05T09:00\n"
        "    end: 2027-07-05T09:15\n    time_zone: Europe/Paris\n"
        '    recurrence: {rrule: "FREQ=DAILY;COUNT=3", horizon: 3650}\n'
    )
    repo.write("e.yaml", "version: 1\nevents:\n" + series)
    cli("apply", repo.root, "--auto-approve")
    ids = {key: e["id"] for key, e in managed_events(repo).items()}
    assert sorted(ids) == [f"standup@2027-07-0{day}" for day in (5, 6, 7)]

    repo.write("e.yaml", "version: 1\nevents:\n" + renamed(series, "standup", "daily-standup"))
    planned = cli("plan", repo.root, "--prune").stdout
    assert "~ events.daily-standup@2027-07-06 (moved from events.standup@2027-07-06)" in planned
    repo.forget_requests()
    cli("apply", repo.root, "--auto-approve", "--prune")
    assert sorted((w.method, w.path) for w in repo.writes()) == sorted(
        ("PATCH", f"/prospero/events/{ident}") for ident in ids.values()
    )
    assert {key: e["id"] for key, e in managed_events(repo).items()} == {
        key.replace("standup", "daily-standup"): ident for key, ident in ids.items()
    }
    assert "No changes." in cli("plan", repo.root, "--prune", "--detailed-exitcode").stdout


def _yaml(path: Path) -> dict[str, Any]:
    import yaml

    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def test_a_rename_in_a_pull_request_is_config_and_a_remote_edit_stays_drift(repo: Repo, cli: Run):
    root = repo.root
    repo.write("e.yaml", "version: 1\nevents:\n" + event("gala", "Gala", 1))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    cli("apply", root, "--auto-approve")
    # Someone edits the title in Prospero; the pull request renames the event, nothing else.
    stored = managed_events(repo)["gala"]
    repo.sandbox.store.replace("prospero.events", stored["id"], {**stored, "title": "Gala!"})
    git(root, "checkout", "-q", "-b", "pr")
    repo.write(
        "e.yaml", "version: 1\nevents:\n" + renamed(event("gala", "Gala", 1), "gala", "gala-2027")
    )
    git(root, "commit", "-q", "-am", "rename")

    [change] = json.loads(cli("plan", root, "--base-ref", "main", "--format", "json").stdout)[
        "changes"
    ]
    assert (change["address"], change["moved_from"]) == ("events.gala-2027", "events.gala")
    assert change["origin"] == "config" and change["drift_fields"] == ["title"]


def test_a_renamed_event_of_before_scopes_is_adopted_and_rekeyed_in_one_write(repo: Repo, cli: Run):
    repo.write("e.yaml", "version: 1\nevents:\n" + event("gala", "Gala", 1))
    cli("apply", repo.root, "--auto-approve")
    stored = managed_events(repo)["gala"]
    unscoped = {k: v for k, v in stored["customFields"].items() if k != "reconciler_scope"}
    repo.sandbox.store.replace(
        "prospero.events", stored["id"], {**stored, "customFields": unscoped}
    )
    repo.write(
        "e.yaml", "version: 1\nevents:\n" + renamed(event("gala", "Gala", 1), "gala", "gala-2027")
    )
    planned = cli("plan", repo.root, "--prune").stdout
    assert "Skipped events.gala-2027: managed before scopes" in planned
    assert "No changes." in planned  # neither created again nor pruned

    repo.forget_requests()
    cli("apply", repo.root, "--auto-approve", "--adopt-unscoped")
    assert [(w.method, w.body) for w in repo.writes()] == [
        ("PATCH", {"customFields": {"reconciler_scope": SCOPE, "reconciler_key": "gala-2027"}})
    ]
    assert "No changes." in cli("plan", repo.root, "--prune", "--detailed-exitcode").stdout


def test_a_renamed_session_scheduled_anew_for_another_reason_takes_the_new_key(
    repo: Repo, cli: Run
):
    """Only a change Prevail cannot make in place (an invitee removed) schedules anew, as it
    would without the rename; the new session then carries the new key."""
    depo = session("depo", "Deposition", 1).replace(
        "[depo@example.com]", "[depo@example.com, gone@example.com]"
    )
    repo.write("s.yaml", "version: 1\nsessions:\n" + depo)
    cli("apply", repo.root, "--auto-approve")
    repo.write(
        "s.yaml",
        "version: 1\nsessions:\n" + renamed(session("depo", "Deposition", 1), "depo", "depo-2027"),
    )
    planned = cli("plan", repo.root, "--prune").stdout
    assert "-/+ sessions.depo-2027 (moved from sessions.depo)" in planned
    assert "invitees cannot be removed in place (gone@example.com)" in planned
    assert "keeps the key" not in planned
    cli("apply", repo.root, "--auto-approve", "--prune")
    assert live_per_key(repo) == {("prevail.sessions", SCOPE, "depo-2027"): 1}


def test_a_renamed_series_still_owns_the_occurrences_its_rule_dropped(repo: Repo, cli: Run):
    """Shortened as it is renamed: the old key's occurrence the new rule no longer has goes
    without --prune, as it would in a series that kept its key."""
    series = (
        "  - key: standup\n    title: Stand-up\n    start: 2027-07-05T09:00\n"
        "    end: 2027-07-05T09:15\n    time_zone: Europe/Paris\n"
        '    recurrence: {rrule: "FREQ=DAILY;COUNT=3", horizon: 3650}\n'
    )
    repo.write("e.yaml", "version: 1\nevents:\n" + series)
    cli("apply", repo.root, "--auto-approve")
    shorter = renamed(series, "standup", "daily-standup").replace("COUNT=3", "COUNT=2")
    repo.write("e.yaml", "version: 1\nevents:\n" + shorter)
    document = json.loads(cli("plan", repo.root, "--format", "json").stdout)
    planned = {c["address"]: (c["action"], c.get("moved_from")) for c in document["changes"]}
    assert planned == {
        "events.daily-standup@2027-07-05": ("update", "events.standup@2027-07-05"),
        "events.daily-standup@2027-07-06": ("update", "events.standup@2027-07-06"),
        "events.standup@2027-07-07": ("delete", None),
    }
    [removal] = [c for c in document["changes"] if c["action"] == "delete"]
    assert removal["reason"].startswith("no longer an occurrence of its series")
