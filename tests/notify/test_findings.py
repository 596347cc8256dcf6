"""Drift and duplicates are standing conditions: each is told to a target once (per fingerprint),
told again when it changes, and forgotten once `drift` sees it gone."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.fixtures.faults import event
from tests.fixtures.repo import SCOPE, Repo, Run
from tests.notify.conftest import Inbox, notify_to

EVENTS = "version: 1\nevents:\n" + event("f-one", "One", 3) + event("f-two", "Two", 4)


def retitle(repo: Repo, key: str, title: str) -> None:
    page = repo.sandbox.store.query("prospero.events", where={"customFields.reconciler_key": key})
    (found,) = page.documents
    repo.sandbox.store.replace("prospero.events", str(found["id"]), {**found, "title": title})


def test_drift_is_told_once_per_fingerprint(repo: Repo, cli: Run, inbox: Inbox, tmp_path: Path):
    repo.write("events.yaml", EVENTS)
    cli("apply", repo.root, "--auto-approve")
    notify_to(repo)
    retitle(repo, "f-one", "One (moved to Hall B)")
    cli("drift", repo.root, expect=2)
    (payload,) = inbox.payloads
    assert payload["title"] == "reconciler drift in schedule: drift-detected"
    assert payload["message"].splitlines()[:3] == [
        "1 event edited remotely",
        "",
        "events.f-one: edited remotely (title)",
    ]

    cli("drift", repo.root, expect=2)  # the same drift: already told
    cli("plan", repo.root)  # a plan reverting it is no news either
    assert len(inbox.payloads) == 1

    retitle(repo, "f-two", "Two (cancelled?)")  # new drift: only it is told
    cli("drift", repo.root, expect=2)
    assert inbox.first_lines[1:] == ["1 event edited remotely"]
    assert "events.f-two: edited remotely (title)" in inbox.bodies[1]
    assert "f-one" not in inbox.bodies[1]

    retitle(repo, "f-one", "One (Hall C)")  # the same field, another value: new drift
    cli("drift", repo.root, expect=2)
    assert len(inbox.payloads) == 3 and "events.f-one" in inbox.bodies[2]

    # What was told is kept as digests in the user's cache, never the values.
    (memory,) = (tmp_path / "cache" / "reconciler" / "notified").glob(f"{SCOPE}-*.json")
    kept = json.loads(memory.read_text(encoding="utf-8"))
    assert len(kept["drift-detected"]) == 2
    assert "Hall" not in memory.read_text(encoding="utf-8")


def test_drift_undone_and_done_again_is_told_again(repo: Repo, cli: Run, inbox: Inbox):
    repo.write("events.yaml", EVENTS)
    cli("apply", repo.root, "--auto-approve")
    notify_to(repo, ["drift-detected"])
    retitle(repo, "f-one", "Edited")
    cli("drift", repo.root, expect=2)
    cli("apply", repo.root, "--auto-approve")  # reverted
    cli("drift", repo.root, expect=0)  # seen gone: forgotten
    retitle(repo, "f-one", "Edited")
    cli("drift", repo.root, expect=2)
    assert inbox.first_lines == ["1 event edited remotely", "1 event edited remotely"]


def test_a_duplicate_is_told_once_whichever_command_finds_it(
    repo: Repo, cli: Run, inbox: Inbox, http: httpx.Client
):
    repo.write("events.yaml", EVENTS)
    cli("apply", repo.root, "--auto-approve")
    notify_to(repo, ["duplicate-found"])
    seeded = http.post(
        "/_sandbox/prospero/seed",
        json={
            "events": [
                {
                    "title": "One",
                    "start": "2027-07-03T10:00:00Z",
                    "end": "2027-07-03T11:00:00Z",
                    "capacity": 10,
                    "customFields": {
                        "reconciler_key": "f-one",
                        "managed_by": "reconciler",
                        "reconciler_fields": "capacity,end,start,title",
                        "reconciler_scope": SCOPE,
                    },
                }
            ]
        },
    )
    assert seeded.status_code == 201, seeded.text
    cli("plan", repo.root)
    (payload,) = inbox.payloads
    assert payload["title"] == "reconciler plan in schedule: duplicate-found"
    assert payload["message"].splitlines()[0] == "1 event duplicated"
    cli("plan", repo.root)
    cli("drift", repo.root, expect=2)
    assert len(inbox.payloads) == 1
