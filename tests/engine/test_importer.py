"""`reconciler import` and `apply --adopt` against the sandbox: the round trip leaves no diff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import yaml

from tests.fixtures.repo import Repo, Run


@pytest.fixture(autouse=True)
def _now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2027-01-04T00:00:00Z")


def wire_event(index: int) -> dict[str, Any]:
    start = datetime(2027, 2, 1, 8, tzinfo=UTC) + timedelta(hours=7 * index)
    event: dict[str, Any] = {
        # every fifth title repeats on the same day, so keys must be made unique
        "title": f"Client meeting {index // 5 if index % 5 == 0 else index}",
        "start": f"{start:%Y-%m-%dT%H:%M:%SZ}",
        "end": f"{start + timedelta(minutes=45):%Y-%m-%dT%H:%M:%SZ}",
        "status": index % 3,
    }
    if index % 4 == 0:
        event["location"] = {"name": f"Room {index % 7}", "address": "1 Main St"}
    if index % 6 == 0:
        event["customFields"] = {"crm_id": f"CRM-{index}", "billable": index % 12 == 0}
    if index % 10 == 0:
        event["details"] = "<p>Bring the contract.</p>"
        event["capacity"] = index
        event["flagged"] = True
    return event


def seed_events(http: httpx.Client, events: list[dict[str, Any]]) -> list[str]:
    response = http.post("/_sandbox/prospero/seed", json={"events": events})
    assert response.status_code == 201, response.text
    ids: list[str] = response.json()["ids"]
    return ids


def stored_events(repo: Repo) -> dict[str, dict[str, Any]]:
    return {event["id"]: event for event in repo.sandbox.store.query("prospero.events").documents}


def test_import_then_adopt_500_events_round_trips_with_no_changes(
    repo: Repo, cli: Run, http: httpx.Client
) -> None:
    seeded = seed_events(http, [wire_event(index) for index in range(500)])
    before = stored_events(repo)
    imported = repo.root / "imported" / "events.yaml"

    repo.forget_requests()
    result = cli("import", "--kind", "events", "-o", imported, repo.root)
    assert f"Wrote 503 events to {imported}" in result.stderr  # the 500 and 3 demo events
    assert len(repo.lists("/prospero/events")) == 2  # pages of 500
    document = yaml.safe_load(imported.read_text())
    entries = document["events"]
    assert len({entry["key"] for entry in entries}) == 503
    assert set(seeded) <= {entry["remote_id"] for entry in entries}

    # Until adopted, imported entries are skipped: never created a second time.
    repo.forget_requests()
    planned = cli("plan", repo.root)
    assert f"not managed yet: `reconciler apply {repo.root} --adopt` marks it" in planned.stdout
    assert "No changes" in planned.stdout
    assert repo.writes() == []

    repo.forget_requests()
    cli("apply", repo.root, "--adopt", "--auto-approve")
    # the managed events (none yet), then every event once, to find the 503 by id; then the
    # read-back of what was written: the 503 managed events, in pages of 500
    assert len(repo.lists("/prospero/events")) == 3 + 2
    writes = repo.writes()
    assert len(writes) == 503
    assert {w.method for w in writes} == {"PATCH"}
    assert all(set(w.body) == {"customFields"} for w in writes)
    assert all(
        set(w.body["customFields"])
        == {"reconciler_key", "managed_by", "reconciler_fields", "reconciler_scope"}
        for w in writes
    )
    # the scope is derived from the configuration's folder (no git repository, no stack)
    assert {w.body["customFields"]["reconciler_scope"] for w in writes} == {"schedule"}
    after = stored_events(repo)
    for event_id, event in before.items():  # nothing but our markers changed
        ours = {"reconciler_key", "managed_by", "reconciler_fields", "reconciler_scope"}
        custom = {k: v for k, v in after[event_id].get("customFields", {}).items() if k not in ours}
        assert custom == event.get("customFields", {})
        private = ("customFields", "lastUpdatedAt", "_index")  # _index: the store's own
        unchanged = {k: v for k, v in event.items() if k not in private}
        assert {k: after[event_id].get(k) for k in unchanged} == unchanged

    repo.forget_requests()
    final = cli("plan", repo.root, "--detailed-exitcode")
    assert "No changes" in final.stdout
    assert repo.writes() == []
    assert len(repo.lists("/prospero/events")) == 2  # the 503 managed events, 500 a page


def test_filters_choose_and_keys_come_from_names_and_dates(
    repo: Repo, cli: Run, http: httpx.Client
) -> None:
    seed_events(http, [
        {"title": "Board meeting", "start": "2027-03-01T09:00:00Z", "end": "2027-03-01T10:00:00Z",
         "status": 0},
        {"title": "Board meeting", "start": "2027-03-01T15:00:00Z", "end": "2027-03-01T16:00:00Z",
         "status": 0},
        {"title": "Café crème & co", "start": "2027-03-02T09:00:00Z",
         "end": "2027-03-02T10:00:00Z", "status": 0, "location": {"name": "Annex"}},
        {"title": "Tentative lunch", "start": "2027-03-03T12:00:00Z",
         "end": "2027-03-03T13:00:00Z", "status": 1},
    ])
    result = cli("import", "--kind", "events", "--where", "status=confirmed",
                 "--since", "2027-03-01", repo.root)
    document = yaml.safe_load(result.stdout)
    assert [entry["key"] for entry in document["events"]] == [
        "board-meeting-2027-03-01", "board-meeting-2027-03-01-2", "cafe-creme-co-2027-03-02",
        "spring-fair-2027-04-17",  # a demo event: confirmed is the default status
    ]
    assert document["events"][2] == {
        "key": "cafe-creme-co-2027-03-02",
        "remote_id": document["events"][2]["remote_id"],
        "title": "Café crème & co",
        "start": "2027-03-02T09:00:00Z",
        "end": "2027-03-02T10:00:00Z",
        "location": {"name": "Annex"},
        "status": "confirmed",
    }
    located = cli("import", "--kind", "events", "--where", "location.name=Annex", repo.root)
    assert len(yaml.safe_load(located.stdout)["events"]) == 1

    wrong = cli("import", "--kind", "events", "--where", "colour=red", repo.root, expect=1)
    assert "events have no field 'colour'" in wrong.stderr


def test_assignments_adopt_with_the_reserved_metadata_keys_only(repo: Repo, cli: Run) -> None:
    """api-contract.md, Previsto — the reconciler manages metadata only."""
    imported = repo.root / "assignments.yaml"
    cli("import", "--kind", "assignments", "-o", imported, repo.root)
    entries = yaml.safe_load(imported.read_text())["assignments"]
    assert len(entries) == 5
    routed = next(e for e in entries if e["select"] == {"id": "asgmt-Q8n2Lm4Rt7Vx1"})
    assert routed == {
        "key": "window-cleaning-offices-and-canteen-2027-02-11",
        "select": {"id": "asgmt-Q8n2Lm4Rt7Vx1"},
        "metadata": {"route": "R7"},
    }

    repo.forget_requests()
    cli("apply", repo.root, "--adopt", "--auto-approve")
    writes = repo.writes()
    assert len(writes) == 5 and {w.method for w in writes} == {"PUT"}
    routed_write = next(w for w in writes if w.path.endswith("asgmt-Q8n2Lm4Rt7Vx1"))
    # The whole resulting metadata (whether Previsto merges or replaces it): the keys as read,
    # plus the reserved ones.
    assert routed_write.body == {"meta": {
        "route": "R7",
        "reconciler_key": "window-cleaning-offices-and-canteen-2027-02-11",
        "reconciler_owned": "route",
        "reconciler_scope": "schedule",
    }}
    repo.forget_requests()
    assert "No changes" in cli("plan", repo.root, "--detailed-exitcode").stdout
    assert repo.writes() == []


def test_prevail_sessions_import_but_are_never_adopted(repo: Repo, cli: Run) -> None:
    imported = repo.root / "sessions.yaml"
    result = cli("import", "--kind", "sessions", "-o", imported, repo.root)
    assert "Warning: these sessions cannot be adopted: Prevail cannot mark" in result.stderr
    entries = yaml.safe_load(imported.read_text())["sessions"]
    alvarez = next(e for e in entries if e["remote_id"] == "rs_5eed000000000001")
    assert alvarez["start"] == "2027-03-15T10:00"
    assert alvarez["time_zone"] == "America/New_York"
    assert alvarez["invites"][0] == {"email": "counsel@alvarez-law.test", "access_level": "host"}

    repo.forget_requests()
    planned = cli("apply", repo.root, "--adopt", "--auto-approve")
    assert "additional_details, which Prevail does not let anyone edit" in planned.stdout
    assert repo.writes() == []


def test_a_saved_adoption_plan_applies_and_is_not_stale(repo: Repo, cli: Run) -> None:
    cli("import", "--kind", "events", "-o", repo.root / "events.yaml", repo.root)
    saved = repo.root.parent / "adopt.json"
    planned = cli("plan", repo.root, "--adopt", "-o", saved)
    assert planned.stdout.count("will be updated in place (adopt)") == 3
    assert "Plan: 0 to create, 3 to update, 0 to cancel/delete." in planned.stdout
    repo.forget_requests()
    cli("apply", saved, "--auto-approve")
    assert len(repo.writes()) == 3
    assert "No changes" in cli("plan", repo.root, "--detailed-exitcode").stdout


def test_importing_again_skips_what_the_configuration_already_names(
    repo: Repo, cli: Run
) -> None:
    repo.write("events.yaml", "version: 1\nevents:\n  - key: spring-fair-2027-04-17\n"
               "    title: Our fair\n    start: 2027-04-17T10:00:00Z\n")
    cli("import", "--kind", "events", "-o", repo.root / "first.yaml", repo.root)
    keys = [e["key"] for e in yaml.safe_load((repo.root / "first.yaml").read_text())["events"]]
    assert "spring-fair-2027-04-17-2" in keys  # the declared key is taken
    again = cli("import", "--kind", "events", repo.root)
    assert yaml.safe_load(again.stdout)["events"] == []


TITLES = {
    "会議": "hui-yi-2027-02-01",
    "Совещание совета": "soveshchanie-soveta-2027-02-01",
    "Συνάντηση": "sunantese-2027-02-01",
    "Réunion d'équipe": "reunion-d-equipe-2027-02-01",
    "📅": "event-2027-02-01",  # nothing to transliterate: the kind and the date
}


def test_non_latin_titles_keep_readable_keys_valid_for_the_schema(
    repo: Repo, cli: Run, http: httpx.Client
) -> None:
    seed_events(http, [
        {"title": title, "start": "2027-02-01T09:00:00Z", "end": "2027-02-01T10:00:00Z"}
        for title in TITLES
    ])
    imported = repo.root / "imported.yaml"
    cli("import", "--kind", "events", "--since", "2027-02-01", "-o", imported, repo.root)
    entries = yaml.safe_load(imported.read_text(encoding="utf-8"))["events"]
    keys = {entry["title"]: entry["key"] for entry in entries if entry["title"] in TITLES}
    assert keys == TITLES
    cli("validate", repo.root)  # every key matches the schema's key pattern
    cli("apply", repo.root, "--adopt", "--auto-approve")
    assert "No changes" in cli("plan", repo.root).stdout
