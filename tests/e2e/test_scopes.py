"""Ownership scopes on one shared account: each configuration sees, prunes and reports only its own
scope; objects of before scopes wait for an explicit adoption."""

from __future__ import annotations

import json

import httpx

from tests.fixtures.faults import assignment, event, session
from tests.fixtures.repo import SCOPE, Repo, Run
from tests.fixtures.scopes import configuration, live_per_key, scoped_documents

TEAM_A = (
    "sessions:\n" + session("weekly-sync", "Team A sync", 1) + session("a-only", "A only", 2)
    + "events:\n" + event("weekly-sync", "Team A sync", 1) + event("a-gala", "A gala", 2)
    + "assignments:\n" + assignment("a-clean", "asgmt-klJ23j4L23j43", "north")
)
TEAM_B = (
    "sessions:\n" + session("weekly-sync", "Team B sync", 3) + session("b-only", "B only", 4)
    + "events:\n" + event("weekly-sync", "Team B sync", 3) + event("b-gala", "B gala", 4)
    + "assignments:\n" + assignment("b-clean", "asgmt-Zp3Kw9Hs2Yb6D", "south")
)


def test_each_configuration_prunes_only_its_own_scope(repo: Repo, cli: Run):
    team_a = configuration(repo, "team-a", stack="team-a", objects=TEAM_A)
    team_b = configuration(repo, "team-b", stack="team-b", objects=TEAM_B)
    cli("apply", team_a, "--auto-approve")
    cli("apply", team_b, "--auto-approve")
    # One key in two scopes is two objects, each marked with its own scope.
    counts = live_per_key(repo)
    assert counts[("prevail.sessions", "team-a", "weekly-sync")] == 1
    assert counts[("prevail.sessions", "team-b", "weekly-sync")] == 1
    assert counts[("prospero.events", "team-a", "weekly-sync")] == 1
    assert counts[("prospero.events", "team-b", "weekly-sync")] == 1
    b_before = scoped_documents(repo, "team-b")
    assert len(b_before) == 5

    # Each sees the other's objects, counts them, and plans nothing for them.
    planned = cli("plan", team_a, "--prune", "--detailed-exitcode").stdout
    assert "Scope: team-a (providers.stack at " in planned
    assert "Left alone, of other scopes: 2 sessions (team-b: 2), 2 events (team-b: 2)" in planned
    assert "No changes." in planned
    document = json.loads(cli("plan", team_a, "--format", "json").stdout)
    assert document["scope"]["name"] == "team-a"
    # Previsto's refresh asks only for this scope's marked assignments (a metadata filter), so
    # team B's are neither read nor counted there.
    assert set(document["scope"]["other_scopes"]) == {"sessions", "events"}

    # Team A drops everything but one object of each kind: --prune (and --force) removes only
    # team A's; team B's objects are exactly as they were.
    (team_a / "objects.yaml").write_text(
        "version: 1\nsessions:\n" + session("weekly-sync", "Team A sync", 1)
        + "events:\n" + event("weekly-sync", "Team A sync", 1)
        + "assignments:\n" + assignment("a-clean", "asgmt-klJ23j4L23j43", "north"),
        encoding="utf-8",
    )
    repo.forget_requests()
    applied = cli("apply", team_a, "--auto-approve", "--prune", "--force").stdout
    assert "2 applied, 0 failed" in applied
    sent = [record.path + json.dumps(record.body) for record in repo.writes()]
    b_ids = {where.split("/")[-1] for where in b_before}
    assert len(sent) == 2 and not [ident for ident in b_ids for text in sent if ident in text]
    assert scoped_documents(repo, "team-b") == b_before
    assert len(scoped_documents(repo, "team-a")) == 3

    # And the other way round.
    (team_b / "objects.yaml").write_text(
        "version: 1\nsessions:\n" + session("b-only", "B only", 4)
        + "events:\n" + event("b-gala", "B gala", 4)
        + "assignments:\n" + assignment("b-clean", "asgmt-Zp3Kw9Hs2Yb6D", "south"),
        encoding="utf-8",
    )
    a_before = scoped_documents(repo, "team-a")
    cli("apply", team_b, "--auto-approve", "--prune", "--force")
    assert scoped_documents(repo, "team-a") == a_before
    assert len(scoped_documents(repo, "team-b")) == 3
    cli("plan", team_a, "--prune", "--detailed-exitcode", expect=0)
    cli("plan", team_b, "--prune", "--detailed-exitcode", expect=0)


def test_prune_never_touches_a_kind_the_configuration_does_not_declare(repo: Repo, cli: Run):
    repo.write("all.yaml", "version: 1\n" + TEAM_A)
    cli("apply", repo.root, "--auto-approve")
    # One file of the same scope that holds only events (and the providers block).
    providers = (repo.root / "providers.yaml").read_text(encoding="utf-8")
    only_events = repo.root.parent / "only-events.yaml"
    only_events.write_text(
        providers.replace("providers:\n", f"providers:\n  stack: {SCOPE}\n")
        + "events:\n" + event("a-gala", "A gala", 2),
        encoding="utf-8",
    )
    planned = cli("plan", only_events, "--prune", "--format", "json").stdout
    document = json.loads(planned)
    removals = [change["address"] for change in document["changes"]]
    assert removals == ["events.weekly-sync"]  # the one undeclared event of this kind only
    assert any("declares no sessions, so none of the 2 managed sessions" in warning
               for warning in document["warnings"])
    assert any("declares no assignments" in warning for warning in document["warnings"])
    repo.forget_requests()
    cli("apply", only_events, "--auto-approve", "--prune")
    assert [(w.method, w.path.split("/")[1]) for w in repo.writes()] == [("DELETE", "prospero")]


def test_objects_of_before_scopes_wait_for_an_explicit_adoption(
    repo: Repo, cli: Run, http: httpx.Client
):
    # Two events marked by a reconciler of before scopes: one this configuration declares.
    seeded = http.post("/_sandbox/prospero/seed", json={"events": [
        {"title": title, "start": "2027-07-01T10:00:00Z", "end": "2027-07-01T11:00:00Z",
         "capacity": 10, "customFields": {"reconciler_key": key, "managed_by": "reconciler",
                                          "reconciler_fields": "capacity,end,start,title"}}
        for key, title in (("e-a", "Alpha"), ("e-old", "Old"))
    ]})
    assert seeded.status_code == 201, seeded.text
    legacy_id = seeded.json()["ids"][0]
    repo.write("e.yaml", "version: 1\nevents:\n" + event("e-a", "Alpha", 1))

    # Until adopted: reported, never created again, never pruned.
    repo.forget_requests()
    planned = cli("plan", repo.root, "--prune", "--detailed-exitcode").stdout
    assert "Left alone, managed before scopes: 2 events; `--adopt-unscoped`" in planned
    assert (f"Skipped events.e-a: managed before scopes ({legacy_id} carries this key but no "
            "scope)") in planned
    assert "No changes." in planned
    cli("apply", repo.root, "--auto-approve", "--prune", "--force")
    assert repo.writes() == []

    # The explicit step: one marker write for the declared one, nothing else changes. Made as
    # a saved plan, which is applied with the option it was made with.
    saved = repo.root.parent / "adopt.json"
    cli("plan", repo.root, "--adopt-unscoped", "-o", saved)
    adopted = cli("apply", saved, "--auto-approve").stdout
    assert "events.e-a will be updated in place (adopt scope)" in adopted
    assert [(w.method, w.path, w.body) for w in repo.writes()] == [
        ("PATCH", f"/prospero/events/{legacy_id}", {"customFields": {"reconciler_scope": SCOPE}})
    ]
    after = cli("plan", repo.root, "--detailed-exitcode").stdout
    assert "Left alone, managed before scopes: 1 event" in after
    assert "No changes." in after


def test_a_session_of_before_scopes_is_adopted_by_scheduling_it_anew(
    repo: Repo, cli: Run, http: httpx.Client
):
    seeded = http.post("/_sandbox/prevail/seed", json={"sessions": [{
        "title": "Alpha", "start_date": "2027-06-01", "start_time": "09:00 AM",
        "time_zone": "America/New_York", "estimated_duration": 1,
        "invites": [{"email": "s-a@example.com", "access_level": "participant"}],
        "session_details": {"additional_details": "reconciler-key: s-a"},
    }]})
    assert seeded.status_code == 201, seeded.text
    (legacy_id,) = seeded.json()["sessions"]
    repo.write("s.yaml", "version: 1\nsessions:\n" + session("s-a", "Alpha", 1))
    assert "Skipped sessions.s-a: managed before scopes" in cli("plan", repo.root).stdout

    planned = cli("plan", repo.root, "--adopt-unscoped").stdout
    assert "sessions.s-a will be cancelled and scheduled anew (adopt scope)" in planned
    assert "Prevail cannot write the scope on an existing session" in planned
    cli("apply", repo.root, "--auto-approve", "--adopt-unscoped")
    assert live_per_key(repo)[("prevail.sessions", SCOPE, "s-a")] == 1
    assert repo.sandbox.store.get("prevail.sessions", legacy_id)["state"] == "canceled"
    cli("plan", repo.root, "--detailed-exitcode", expect=0)


def test_the_derived_scope_is_shown_with_how_to_set_it(repo: Repo, cli: Run):
    repo.write("e.yaml", "version: 1\nevents:\n" + event("e-a", "Alpha", 1))
    planned = cli("plan", repo.root).stdout
    assert planned.startswith(
        f"Scope: {SCOPE} (derived from the folder name, outside any git repository; set "
        "providers.stack to name it)\n"
    )
    cli("apply", repo.root, "--auto-approve")
    # The same files under another folder name derive another scope: the plan says the objects
    # are there under the old one, and how to keep it.
    moved = configuration(repo, "renamed", stack=None,
                          objects="events:\n" + event("e-a", "Alpha", 1))
    warned = cli("plan", moved).stdout
    assert f"Left alone, of other scopes: 1 event ({SCOPE}: 1)" in warned
    assert (f"Warning: this configuration's scope 'renamed' has no object yet, while other "
            f"scopes do: {SCOPE} (1); if one of them is this configuration's, set "
            "providers.stack to its name") in warned
    kept = configuration(repo, "renamed", stack=SCOPE,
                         objects="events:\n" + event("e-a", "Alpha", 1))
    cli("plan", kept, "--detailed-exitcode", expect=0)
