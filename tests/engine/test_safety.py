"""Safety rails: each one refusing, and `--force` (or the per-object option) getting through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.fixtures.repo import SCOPE, Repo, Run


def events_yaml(count: int, *, title: str = "Event", start: str = "2027-09-01T10:00:00Z",
                end: str = "2027-09-01T11:00:00Z", extra: str = "") -> str:
    body = "".join(
        f"  - key: ev-{n}\n    title: {title} {n}\n    start: {start}\n    end: {end}\n{extra}"
        for n in range(count)
    )
    return "version: 1\nevents:\n" + body


def test_mass_delete_is_refused_then_forced(repo: Repo, cli: Run):
    repo.write("events.yaml", events_yaml(10))
    cli("apply", repo.root, "--auto-approve")
    repo.write("events.yaml", events_yaml(6))  # 4 of 10 managed (40 %) would be deleted
    repo.forget_requests()
    refused = cli("apply", repo.root, "--auto-approve", "--prune", expect=1)
    assert "delete 4 of 10 managed events (40 % > 30 %)" in refused.stderr
    assert "--force" in refused.stderr
    assert repo.writes() == []
    warned = cli("plan", repo.root, "--prune")
    assert "apply will refuse" in warned.stdout
    cli("apply", repo.root, "--auto-approve", "--prune", "--force")
    (deleted,) = [w for w in repo.writes() if w.method == "DELETE"]  # one bulk delete
    assert deleted.path == "/prospero/events" and len(deleted.body["ids"]) == 4


def test_mass_update_is_refused_unless_threshold_raised(repo: Repo, cli: Run):
    repo.write("events.yaml", events_yaml(10))
    cli("apply", repo.root, "--auto-approve")
    repo.write("events.yaml", events_yaml(10, title="Renamed"))
    refused = cli("apply", repo.root, "--auto-approve", expect=1)
    assert "update 10 of 10 managed events" in refused.stderr
    cli("apply", repo.root, "--auto-approve", "--max-change-percent", "100")
    cli("plan", repo.root, "--detailed-exitcode", expect=0)


SESSION = """version: 1
sessions:
  - key: guarded
    title: Guarded session
    case: 2027-CV-0142
    start: 2027-10-01T09:00
    time_zone: America/New_York
    duration_hours: 1
    invites: [{invites}]
    protect: true
"""


def test_protected_object_is_never_cancelled(repo: Repo, cli: Run):
    repo.write("s.yaml", SESSION.format(invites="a@example.com, b@example.com"))
    cli("apply", repo.root, "--auto-approve")
    # Removing an invitee needs cancel + schedule anew, which a protected session never gets.
    repo.write("s.yaml", SESSION.format(invites="a@example.com"))
    repo.forget_requests()
    result = cli("apply", repo.root, "--auto-approve", "--force")
    assert "Skipped sessions.guarded: protect: true" in result.stdout
    assert repo.writes() == []


def test_the_past_is_frozen(repo: Repo, cli: Run, http: httpx.Client):
    past = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:00:00Z")
    later = (datetime.now(UTC) - timedelta(days=2) + timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:00:00Z"
    )
    seeded = http.post("/_sandbox/prospero/seed", json={"events": [{
        "title": "Yesterday's meeting", "start": past, "end": later,
        "customFields": {"reconciler_key": "old", "managed_by": "reconciler",
                         "reconciler_fields": "end,start,title", "reconciler_scope": SCOPE},
    }]})
    assert seeded.status_code == 201, seeded.text
    repo.write("e.yaml", f"version: 1\nevents:\n  - key: old\n    title: Renamed\n"
               f"    start: {past}\n    end: {later}\n")
    repo.forget_requests()
    result = cli("apply", repo.root, "--auto-approve", "--force")
    assert "Skipped events.old: it started at" in result.stdout
    assert "the past is frozen" in result.stdout
    assert repo.writes() == []


def test_short_notice_needs_force_or_allow_short_notice(repo: Repo, cli: Run):
    soon = datetime.now(UTC) + timedelta(hours=5)
    start, end = (soon.strftime("%Y-%m-%dT%H:00:00Z"),
                  (soon + timedelta(hours=1)).strftime("%Y-%m-%dT%H:00:00Z"))
    repo.write("e.yaml", events_yaml(1, start=start, end=end))
    refused = cli("apply", repo.root, "--auto-approve", expect=1)
    assert "starting within 24 hours" in refused.stderr
    assert repo.writes() == []
    repo.write("e.yaml", events_yaml(1, start=start, end=end,
                                     extra="    allow_short_notice: true\n"))
    cli("apply", repo.root, "--auto-approve")
    repo.write("e.yaml", events_yaml(1, title="Moved", start=start, end=end))
    cli("apply", repo.root, "--auto-approve", "--force")
    cli("plan", repo.root, "--detailed-exitcode", expect=0)


def test_saved_plan_with_skipped_changes_is_not_stale(repo: Repo, cli: Run, http: httpx.Client):
    past = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:00:00Z")
    later = (datetime.now(UTC) - timedelta(days=2) + timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:00:00Z"
    )
    seeded = http.post("/_sandbox/prospero/seed", json={"events": [{
        "title": "Yesterday's meeting", "start": past, "end": later,
        "customFields": {"reconciler_key": "old", "managed_by": "reconciler",
                         "reconciler_fields": "end,start,title", "reconciler_scope": SCOPE},
    }]})
    assert seeded.status_code == 201
    repo.write("e.yaml", f"version: 1\nevents:\n  - key: old\n    title: Renamed\n"
               f"    start: {past}\n    end: {later}\n" + events_yaml(1).split("events:\n")[1])
    plan_file = repo.root.parent / "plan.json"
    cli("plan", repo.root, "-o", plan_file)
    result = cli("apply", plan_file, "--auto-approve")
    assert "stale" not in result.output
    assert "1 applied" in result.stdout
