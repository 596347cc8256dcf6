"""Protection lives on the object: `protect: true`, once applied, outlives the YAML entry and
`--force`, until a plan that declares the object with `protect: false` has been applied."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.fixtures.faults import assignment, event, session
from tests.fixtures.repo import SCOPE, Repo, Run
from tests.fixtures.scopes import live_per_key

PROTECTED = f"{SCOPE} (protected)"


def test_a_protected_event_outlives_its_entry_until_unprotected(repo: Repo, cli: Run):
    gala = event("gala", "Gala", 1)
    repo.write("e.yaml", "version: 1\nevents:\n" + gala + "    protect: true\n"
               + event("other", "Other", 2))
    cli("apply", repo.root, "--auto-approve")
    stored = {e["customFields"]["reconciler_key"]: e
              for e in repo.sandbox.store.query("prospero.events").documents
              if "reconciler_key" in (e.get("customFields") or {})}
    assert stored["gala"]["customFields"]["reconciler_scope"] == PROTECTED
    assert stored["other"]["customFields"]["reconciler_scope"] == SCOPE

    # The entry is gone: neither --prune nor --force removes the event.
    repo.write("e.yaml", "version: 1\nevents:\n" + event("other", "Other", 2))
    for extra in ((), ("--force",)):
        repo.forget_requests()
        result = cli("apply", repo.root, "--auto-approve", "--prune", *extra)
        assert ("Skipped events.gala: protected on the object (protect: true was applied)"
                in result.stdout)
        assert repo.writes() == []
    assert live_per_key(repo)[("prospero.events", PROTECTED, "gala")] == 1

    # Declared again with protect: false: the plan's only write clears the mark ...
    repo.write("e.yaml", "version: 1\nevents:\n" + gala + "    protect: false\n"
               + event("other", "Other", 2))
    repo.forget_requests()
    planned = cli("apply", repo.root, "--auto-approve", "--prune").stdout
    assert "clear the object's protection (protect: false)" in planned
    assert [(w.method, w.body) for w in repo.writes()] == [
        ("PATCH", {"customFields": {"reconciler_scope": SCOPE}})
    ]
    # ... and once that has been applied, removing the entry removes the event.
    repo.write("e.yaml", "version: 1\nevents:\n" + event("other", "Other", 2))
    repo.forget_requests()
    cli("apply", repo.root, "--auto-approve", "--prune")
    assert [w.method for w in repo.writes()] == ["DELETE"]
    assert ("prospero.events", SCOPE, "gala") not in live_per_key(repo)


def test_protecting_an_existing_assignment_is_one_marker_write(repo: Repo, cli: Run):
    clean = assignment("clean", "asgmt-klJ23j4L23j43", "north")
    repo.write("a.yaml", "version: 1\nassignments:\n" + clean)
    cli("apply", repo.root, "--auto-approve")
    repo.write("a.yaml", "version: 1\nassignments:\n" + clean + "    protect: true\n")
    repo.forget_requests()
    assert "record protect: true on the object" in cli("plan", repo.root).stdout
    cli("apply", repo.root, "--auto-approve")
    assert [(w.method, w.path, w.body) for w in repo.writes()] == [
        ("PUT", "/previsto/assignments/asgmt-klJ23j4L23j43",  # the whole resulting metadata
         {"meta": {"crew": "north", "reconciler_key": "clean", "reconciler_owned": "crew",
                   "reconciler_scope": PROTECTED}}),
    ]
    repo.forget_requests()
    cli("apply", repo.root, "--auto-approve")
    assert repo.writes() == []  # recorded once: never written again while unchanged

    # Another assignment keeps this kind declared: the protected one's entry goes, and its
    # metadata stays, --force or not.
    repo.write("a.yaml", "version: 1\nassignments:\n"
               + assignment("other", "asgmt-Zp3Kw9Hs2Yb6D", "south"))
    cli("apply", repo.root, "--auto-approve")
    repo.forget_requests()
    result = cli("apply", repo.root, "--auto-approve", "--prune", "--force")
    assert "Skipped assignments.clean: protected on the object" in result.stdout
    assert repo.writes() == []
    meta = repo.sandbox.store.get("previsto.assignments", "asgmt-klJ23j4L23j43")["meta"]
    assert meta["crew"] == "north" and meta["reconciler_scope"] == PROTECTED


def test_a_session_scheduled_protected_keeps_its_mark(repo: Repo, cli: Run):
    repo.write("s.yaml", "version: 1\nsessions:\n" + session("depo", "Deposition", 1)
               + "    protect: true\n" + session("other", "Other", 2))
    cli("apply", repo.root, "--auto-approve")
    assert live_per_key(repo)[("prevail.sessions", PROTECTED, "depo")] == 1

    # Prevail never edits a session's marker: protect: false is reported, the mark stays, and
    # neither a replace nor --prune cancels the session.
    repo.write("s.yaml", "version: 1\nsessions:\n"
               + session("depo", "Deposition", 1).replace("depo@example.com", "new@example.com")
               + "    protect: false\n" + session("other", "Other", 2))
    repo.forget_requests()
    result = cli("apply", repo.root, "--auto-approve", "--force")
    assert ("sessions.depo: it was created with protect: true, which prevail cannot clear"
            in result.stdout)
    assert "Skipped sessions.depo: protected on the object" in result.stdout
    repo.write("s.yaml", "version: 1\nsessions:\n" + session("other", "Other", 2))
    result = cli("apply", repo.root, "--auto-approve", "--prune", "--force")
    assert "Skipped sessions.depo: protected on the object" in result.stdout
    assert repo.writes() == []
    assert live_per_key(repo)[("prevail.sessions", PROTECTED, "depo")] == 1

    # protect: true on an existing session cannot be recorded: it protects while declared.
    repo.write("s.yaml", "version: 1\nsessions:\n" + session("other", "Other", 2)
               + "    protect: true\n")
    planned = cli("plan", repo.root, "--detailed-exitcode").stdout
    assert "sessions.other: protect: true cannot be recorded on it" in planned


def test_marker_writes_are_not_schedule_changes_for_the_rails(repo: Repo, cli: Run):
    # Twelve events (past the mass-change rail's minimum of 10), one of them within 24 hours.
    soon = (datetime.now(UTC) + timedelta(hours=5)).strftime("%Y-%m-%dT%H:00:00Z")
    later = (datetime.now(UTC) + timedelta(hours=6)).strftime("%Y-%m-%dT%H:00:00Z")
    entries = [event(f"e-{n}", f"Event {n}", n) for n in range(1, 12)]
    entries.append(f"  - key: soon\n    title: Soon\n    start: {soon}\n    end: {later}\n"
                   "    allow_short_notice: true\n")
    repo.write("e.yaml", "version: 1\nevents:\n" + "".join(entries))
    cli("apply", repo.root, "--auto-approve")
    # Protecting all twelve writes twelve marks: neither a mass update nor short notice.
    protected = [entry.replace("    allow_short_notice: true\n", "") + "    protect: true\n"
                 for entry in entries]
    repo.write("e.yaml", "version: 1\nevents:\n" + "".join(protected))
    repo.forget_requests()
    cli("apply", repo.root, "--auto-approve")
    assert len(repo.writes()) == 12
    assert {json.dumps(w.body, sort_keys=True) for w in repo.writes()} == {
        json.dumps({"customFields": {"reconciler_scope": PROTECTED}})
    }


def test_a_protection_mark_removed_remotely_is_drift_and_is_restored(repo: Repo, cli: Run):
    """Anyone with API access can edit the scope mark and drop `(protected)`: `drift` says so,
    and the next apply records the protection again, so a later --prune cannot remove it."""
    repo.write("e.yaml", "version: 1\nevents:\n" + event("gala", "Gala", 1)
               + "    protect: true\n")
    cli("apply", repo.root, "--auto-approve")
    [gala] = [e for e in repo.sandbox.store.query("prospero.events").documents
              if (e.get("customFields") or {}).get("reconciler_key") == "gala"]
    fields = {**gala["customFields"], "reconciler_scope": SCOPE}
    repo.sandbox.store.replace("prospero.events", gala["id"], {**gala, "customFields": fields})

    drifted = cli("drift", repo.root, "--format", "json", expect=2).stdout
    [item] = json.loads(drifted)["items"]
    assert item["address"] == "events.gala" and item["status"] == "drifted"
    assert [(f["field"], f["remote"], f["declared"]) for f in item["fields"]] == [
        ("protect", False, True)
    ]
    repo.forget_requests()
    applied = cli("apply", repo.root, "--auto-approve").stdout
    assert "record protect: true on the object" in applied
    assert [(w.method, w.body) for w in repo.writes()] == [
        ("PATCH", {"customFields": {"reconciler_scope": PROTECTED}})
    ]
    cli("drift", repo.root, expect=0)


def test_a_mark_stripped_remotely_does_not_let_prune_remove_what_the_base_ref_protects(
    repo: Repo, cli: Run
):
    """The entry is gone from the YAML and someone dropped `(protected)` from the mark: with
    `--base-ref`, the configuration last applied (which declared `protect: true`) still
    protects the object, and `--prune` leaves it. Without a base ref only the mark is known."""
    root = repo.root
    repo.write("e.yaml", "version: 1\nevents:\n" + event("gala", "Gala", 1)
               + "    protect: true\n" + event("other", "Other", 2))
    repo.commit_all("base")
    cli("apply", root, "--auto-approve")
    repo.git("checkout", "-q", "-b", "pr")
    repo.write("e.yaml", "version: 1\nevents:\n" + event("other", "Other", 2))
    repo.git("commit", "-q", "-am", "drop the gala entry")
    [gala] = [e for e in repo.sandbox.store.query("prospero.events").documents
              if (e.get("customFields") or {}).get("reconciler_key") == "gala"]
    fields = {**gala["customFields"], "reconciler_scope": SCOPE}
    repo.sandbox.store.replace("prospero.events", gala["id"], {**gala, "customFields": fields})

    repo.forget_requests()
    result = cli("apply", root, "--auto-approve", "--prune", "--base-ref", "main")
    assert "Skipped events.gala: declared protect: true at the base ref" in result.stdout
    assert repo.writes() == []
    assert live_per_key(repo)[("prospero.events", SCOPE, "gala")] == 1
    planned = cli("plan", root, "--prune").stdout  # no base: the mark is all there is
    assert "- events.gala" in planned


def test_an_event_whose_scope_mark_was_changed_by_hand_is_not_created_again(
    repo: Repo, cli: Run
):
    """Someone re-marks a managed event for another scope: it would look missing, and a create
    would make a second gala. An event of another scope with this key and every declared field
    is held back, named, with how to take it back; one that differs is that scope's own."""
    repo.write("e.yaml", "version: 1\nevents:\n" + event("gala", "Gala", 1))
    cli("apply", repo.root, "--auto-approve")
    [gala] = [e for e in repo.sandbox.store.query("prospero.events").documents
              if (e.get("customFields") or {}).get("reconciler_key") == "gala"]
    fields = {**gala["customFields"], "reconciler_scope": "team-x"}
    repo.sandbox.store.replace("prospero.events", gala["id"], {**gala, "customFields": fields})

    repo.forget_requests()
    result = cli("apply", repo.root, "--auto-approve")
    assert (f"Skipped events.gala: not created: prospero holds {gala['id']} with this key and "
            "every declared field, marked for the scope 'team-x'") in result.stdout
    assert f"set it back to '{SCOPE}' in prospero" in result.stdout
    assert repo.writes() == []
    # Another scope's gala that differs (its own title) is that scope's: ours is created.
    repo.sandbox.store.replace("prospero.events", gala["id"],
                               {**gala, "title": "Team X gala", "customFields": fields})
    cli("apply", repo.root, "--auto-approve")
    assert live_per_key(repo)[("prospero.events", SCOPE, "gala")] == 1
    assert live_per_key(repo)[("prospero.events", "team-x", "gala")] == 1
