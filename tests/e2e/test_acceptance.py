"""The engine's acceptance, end to end: the CLI against a served sandbox, counting its requests."""

from __future__ import annotations

import json

import httpx

from tests.fixtures.faults import unmanaged_snapshot
from tests.fixtures.repo import Repo, Run

EVENT = """version: 1
events:
  - key: board-dinner
    title: Board dinner
    details: <p>Private room.</p>
    start: {start}
    end: 2027-05-04T21:00:00Z
    location: {{name: Harbour Club, address: 2 Quay St}}
    status: confirmed
    capacity: {capacity}
"""


def write_event(repo: Repo, *, start: str = "2027-05-04T19:00:00+01:00", capacity: int = 12,
                drop: str | None = None) -> None:
    text = EVENT.format(start=start, capacity=capacity)
    if drop:
        text = "\n".join(line for line in text.splitlines() if not line.strip().startswith(drop))
    repo.write("events.yaml", text + "\n")


def server_event(repo: Repo, key: str) -> dict[str, object]:
    page = repo.sandbox.store.query(
        "prospero.events", where={"customFields.reconciler_key": key}
    )
    assert page.total == 1, f"expected exactly one event {key}, found {page.total}"
    return page.documents[0]


def test_examples_converge_and_second_apply_makes_no_writes(examples_repo: Repo, cli: Run):
    root = examples_repo.root
    first = cli("apply", root, "--auto-approve")
    assert "Apply complete" in first.stdout
    assert "0 failed, 0 not attempted" in first.stdout
    assert examples_repo.writes(), "the first apply must write"

    examples_repo.forget_requests()
    cli("plan", root, "--detailed-exitcode", expect=0)
    cli("apply", root, "--auto-approve")
    assert examples_repo.writes() == []


def test_one_changed_field_is_one_patch_of_that_field(repo: Repo, cli: Run):
    """api-contract.md, Prospero — updates set only the fields passed; the rest is unchanged; PATCH
    as `application/merge-patch+json`; `application/json` accepted."""
    write_event(repo)
    cli("apply", repo.root, "--auto-approve")
    before = server_event(repo, "board-dinner")

    write_event(repo, capacity=14)
    repo.forget_requests()
    cli("apply", repo.root, "--auto-approve")
    writes = repo.writes()
    assert [(w.method, w.path) for w in writes] == [
        ("PATCH", f"/prospero/events/{before['id']}")
    ]
    assert writes[0].body == {"capacity": 14}
    assert writes[0].content_type.startswith("application/merge-patch+json")
    after = server_event(repo, "board-dinner")
    assert after["capacity"] == 14
    untouched = {k: v for k, v in before.items() if k not in ("capacity", "lastUpdatedAt")}
    assert {k: after[k] for k in untouched} == untouched


def test_removing_a_declared_field_sends_null(repo: Repo, cli: Run):
    """api-contract.md, Prospero — PATCH /events/{id}: RFC 7386 merge patch → 200 {event}."""
    write_event(repo)
    cli("apply", repo.root, "--auto-approve")

    write_event(repo, drop="details:")
    repo.forget_requests()
    cli("apply", repo.root, "--auto-approve")
    (patch,) = repo.writes()
    assert patch.method == "PATCH"
    assert patch.body["details"] is None
    assert set(patch.body) == {"details", "customFields"}
    assert set(patch.body["customFields"]) == {"reconciler_fields"}
    event = server_event(repo, "board-dinner")
    assert "details" not in event
    assert event["title"] == "Board dinner"


def test_same_instant_in_another_offset_plans_nothing(repo: Repo, cli: Run):
    write_event(repo, start="2027-05-04T19:00:00+01:00")
    cli("apply", repo.root, "--auto-approve")
    write_event(repo, start="2027-05-04T18:00:00Z")
    result = cli("plan", repo.root, "--detailed-exitcode", expect=0)
    assert "No changes" in result.stdout


def test_saved_plan_is_refused_when_a_planned_object_changed(repo: Repo, cli: Run):
    write_event(repo)
    cli("apply", repo.root, "--auto-approve")
    write_event(repo, capacity=20)
    plan_file = repo.root.parent / "plan.json"
    cli("plan", repo.root, "-o", plan_file)
    saved = json.loads(plan_file.read_text())
    assert saved["summary"]["update"] == 1

    # A colleague edits the same event in Prospero's UI.
    event = server_event(repo, "board-dinner")
    repo.sandbox.store.replace(
        "prospero.events", str(event["id"]), {**event, "title": "Board dinner (moved)"}
    )
    repo.forget_requests()
    result = cli("apply", plan_file, "--auto-approve", expect=1)
    assert "stale" in result.stderr
    assert repo.writes() == []


def test_saved_plan_applies_when_fresh(repo: Repo, cli: Run):
    write_event(repo)
    cli("apply", repo.root, "--auto-approve")
    write_event(repo, capacity=30)
    plan_file = repo.root.parent / "plan.json"
    cli("plan", repo.root, "-o", plan_file)
    repo.forget_requests()
    cli("apply", plan_file, "--auto-approve")
    assert [w.body for w in repo.writes()] == [{"capacity": 30}]


def test_wrong_credentials_fail_cleanly_per_provider(repo: Repo, cli: Run, monkeypatch):
    """api-contract.md, Prevail — auth: missing, bad signature, unknown slug, expired, alg not HS256
    → 401; Previsto — a bad key → 401."""
    write_event(repo)
    repo.write(
        "more.yaml",
        "version: 1\nsessions:\n  - key: s1\n    title: T\n    case: C-1\n"
        "    start: 2027-06-01T09:00\n"
        "    time_zone: America/New_York\n    duration_hours: 1\n"
        "assignments:\n  - key: a1\n    select: {id: asgmt-klJ23j4L23j43}\n"
        "    metadata: {crew: north}\n",
    )
    canaries = {
        "prevail": ("PREVAIL_API_KEY", "canary-prevail-wrong-key"),
        "prospero": ("PROSPERO_PASSWORD", "canary-prospero-wrong-password"),
        "previsto": ("PREVISTO_API_KEY", "sk_canary_wrong"),
    }
    for provider, (variable, value) in canaries.items():
        monkeypatch.setenv(variable, value)
        result = cli("plan", repo.root, expect=1)
        assert f"authentication failed for {provider}" in result.stderr
        assert value not in result.output
        monkeypatch.undo()
        from tests.fixtures.repo import SANDBOX_ENV

        for name, good in SANDBOX_ENV.items():
            monkeypatch.setenv(name, good)
        monkeypatch.chdir(repo.root.parent)


def test_unmanaged_objects_are_never_touched(examples_repo: Repo, cli: Run, http: httpx.Client):
    """api-contract.md, The sandbox — a demo plan shows creates, updates and untouched objects."""
    cli("apply", examples_repo.root, "--auto-approve")
    examples_repo.forget_requests()
    cli("apply", examples_repo.root, "--auto-approve", "--prune")
    assert examples_repo.writes() == []

    # Remove all declared objects but one of each kind (a kind declared nowhere is never
    # pruned): --prune then touches only what we manage.
    before = unmanaged_snapshot(examples_repo)
    assert len(before) >= 8  # the demo organisation's sessions, events and assignments
    (examples_repo.root / "sessions" / "depositions.yaml").unlink()
    for relative in ("events/firm-calendar.yaml", "assignments/cleaning.yaml"):
        path = examples_repo.root / relative
        path.write_text(path.read_text().split("\n\n  - key:")[0] + "\n")
    examples_repo.forget_requests()
    cli("apply", examples_repo.root, "--auto-approve", "--prune", "--force")
    assert examples_repo.writes(), "--prune must remove what we manage"
    after = unmanaged_snapshot(examples_repo)
    assert {ident: after.get(ident) for ident in before} == before


def test_foreign_metadata_keys_survive(repo: Repo, cli: Run):
    """api-contract.md, Previsto — the reconciler manages metadata only; a write sends the
    whole resulting `meta`, so [model] merging keeps the keys others set."""
    repo.write(
        "a.yaml",
        "version: 1\nassignments:\n  - key: feb\n    select: {id: asgmt-Q8n2Lm4Rt7Vx1}\n"
        "    metadata: {crew: east}\n",
    )
    cli("apply", repo.root, "--auto-approve")
    meta = repo.sandbox.store.get("previsto.assignments", "asgmt-Q8n2Lm4Rt7Vx1")
    assert meta is not None
    assert meta["meta"]["route"] == "R7"
    assert meta["meta"]["crew"] == "east"

    repo.write(
        "a.yaml",
        "version: 1\nassignments:\n  - key: feb\n    select: {id: asgmt-Q8n2Lm4Rt7Vx1}\n"
        "    metadata: {crew: west, shift: night}\n",
    )
    repo.forget_requests()
    cli("apply", repo.root, "--auto-approve")
    (put,) = repo.writes()
    assert put.method == "PUT"
    assert put.body["meta"]["crew"] == "west"
    # The whole resulting metadata, another's key as read: kept by a merging or replacing server.
    assert put.body["meta"]["route"] == "R7"
    stored = repo.sandbox.store.get("previsto.assignments", "asgmt-Q8n2Lm4Rt7Vx1")
    assert stored is not None
    assert stored["meta"]["route"] == "R7"
    assert stored["meta"]["shift"] == "night"
