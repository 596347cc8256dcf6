"""`reconciler drift`: each drifted field with remote and declared values, ignored fields,
missing and undeclared objects, and the exit codes."""

from __future__ import annotations

import json

import httpx

from tests.fixtures.repo import Repo, Run

TOKEN = {"Authorization": "Bearer sandbox-prospero-token"}

EVENTS = """version: 1
events:
  - key: fair
    title: Spring fair
    start: 2027-04-10T10:00:00Z
    end: 2027-04-10T16:00:00Z
    location: {name: Town Hall, address: 1 Main St}
    capacity: 300
    ignore_changes: [capacity]
  - key: gone
    title: Will be deleted remotely
    start: 2027-04-11T10:00:00Z
    end: 2027-04-11T11:00:00Z
"""


def event_id(repo: Repo, key: str) -> str:
    page = repo.sandbox.store.query("prospero.events", where={"customFields.reconciler_key": key})
    return str(page.documents[0]["id"])


def test_drift_report(repo: Repo, cli: Run, http: httpx.Client):
    repo.write("e.yaml", EVENTS)
    repo.commit_all()  # git tells that the YAML of `fair` did not move: the remote did
    cli("apply", repo.root, "--auto-approve")
    assert cli("drift", repo.root, expect=0).stdout.startswith("In sync")

    fair = event_id(repo, "fair")
    patched = http.patch(f"/prospero/events/{fair}", headers=TOKEN,
                         json={"location": {"name": "Old Mill"}, "capacity": 250})
    assert patched.status_code == 200
    deleted = http.delete(f"/prospero/events/{event_id(repo, 'gone')}", headers=TOKEN)
    assert deleted.status_code == 204
    repo.write("e.yaml", EVENTS.replace("ignore_changes: [capacity]",
                                        "ignore_changes: [capacity]\n  - key: new\n"
                                        "    title: New\n    start: 2027-05-01T10:00:00Z\n"
                                        "    end: 2027-05-01T11:00:00Z"))
    text = cli("drift", repo.root, expect=2).stdout
    assert "events.fair: changed remotely (last updated 20" in text
    assert "location.name: remote \"Old Mill\", declared \"Town Hall\"" in text
    assert "capacity: remote 250, declared 300 (ignored: ignore_changes)" in text
    assert "events.gone: declared but missing remotely" in text
    assert "events.new: declared but missing remotely" in text
    assert "Drift: 1 changed remotely, 2 missing, 0 no longer declared." in text

    document = json.loads(cli("drift", repo.root, "--format", "json", expect=2).stdout)
    assert document["in_sync"] is False
    assert document["drift"] == {"drifted": 1, "missing": 2, "undeclared": 0, "ignored": 0,
                                 "duplicate": 0}
    assert document["directions"] == {"remote": 1, "git": 0, "unknown": 0}
    (fair,) = [item for item in document["items"] if item["address"] == "events.fair"]
    assert {field["field"]: field["direction"] for field in fair["fields"]} == {
        "location": "remote"}
    markdown = cli("drift", repo.root, "--format", "markdown", expect=2).stdout
    assert markdown.startswith("<!-- reconciler-drift -->")
    assert "`events.fair`" in markdown


def test_undeclared_managed_object_is_reported(repo: Repo, cli: Run):
    repo.write("e.yaml", EVENTS)
    cli("apply", repo.root, "--auto-approve")
    repo.write("e.yaml", EVENTS.split("  - key: gone")[0])
    text = cli("drift", repo.root, expect=2).stdout
    assert "events.gone: managed remotely but no longer declared" in text
