"""A saved plan is an intent: tampered plans are refused before anything is sent.

Each test saves a reviewed plan (one event's capacity 12 → 30), edits the file as an attacker
with write access to it would, and applies it against the served sandbox. Refusals that need no
network (a request outside base_url, another configuration, a bad signature) happen before any
request at all; the others after the refresh, whose requests only list (and log in to Prospero):
the sandbox's request log never holds a write.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.faults import unmanaged_snapshot
from tests.fixtures.repo import Repo, Run, providers_yaml

EVENT = """version: 1
events:
  - key: board-dinner
    title: Board dinner
    start: 2027-05-04T19:00:00Z
    end: 2027-05-04T21:00:00Z
    capacity: {capacity}
"""

Document = dict[str, Any]


@pytest.fixture
def plan_file(repo: Repo, cli: Run) -> Path:
    """A reviewed plan: update board-dinner's capacity to 30; the request log then empty."""
    repo.write("events.yaml", EVENT.format(capacity=12))
    cli("apply", repo.root, "--auto-approve")
    repo.write("events.yaml", EVENT.format(capacity=30))
    saved = repo.root.parent / "plan.json"
    cli("plan", repo.root, "-o", saved)
    repo.forget_requests()
    return saved


def tamper(path: Path, edit: Callable[[Document], None]) -> None:
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document))


def the_change(document: Document) -> Document:
    (change,) = document["changes"]
    assert change["address"] == "events.board-dinner"
    return change  # type: ignore[no-any-return]


def unmanaged_event_id(repo: Repo) -> str:
    ids = [name.split("/", 1)[1] for name in unmanaged_snapshot(repo)
           if name.startswith("prospero.events/")]
    assert ids, "the seeded sandbox holds unmanaged events"
    return ids[0]


def refused(cli: Run, plan: Path, *needles: str) -> str:
    result = cli("apply", plan, "--auto-approve", expect=1)
    assert "Apply complete" not in result.stdout
    for needle in needles:
        assert needle in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1, "one line: " + result.stderr
    return result.stderr


def only_listed(repo: Repo) -> None:
    """The refresh's requests, and nothing else: lists (and Prospero's login), no write."""
    requests = repo.requests()
    assert requests, "the refresh ran"
    assert all(r.method == "GET" or r.path.endswith("/auth/login") for r in requests), requests
    assert repo.writes() == []


def test_the_untampered_plan_applies(repo: Repo, cli: Run, plan_file: Path):
    cli("apply", plan_file, "--auto-approve")
    assert [w.body for w in repo.writes()] == [{"capacity": 30}]


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("{origin}/previsto/assignments", "it is an absolute URL"),
        ("http://attacker.example/collect", "it is an absolute URL"),
        ("//attacker.example/collect", "it is an absolute URL"),
        ("/../previsto/assignments", "'..' segment"),
        ("/events/%2e%2e/%2e%2e/previsto/assignments", "'..' segment"),
        ("/events\\..\\..\\previsto", "backslash"),
    ],
)
def test_a_request_outside_base_url_is_refused_before_any_request(
    repo: Repo, cli: Run, plan_file: Path, sandbox_url: str, path: str, why: str
):
    def edit(document: Document) -> None:
        the_change(document)["requests"][0]["path"] = path.format(origin=sandbox_url)

    tamper(plan_file, edit)
    refused(cli, plan_file, "events.board-dinner: request 1", "would leave prospero's base_url",
            why, "nothing was sent")
    assert repo.requests() == []


def test_an_extra_request_is_refused(repo: Repo, cli: Run, plan_file: Path):
    def edit(document: Document) -> None:
        change = the_change(document)
        change["requests"].append({"method": "DELETE", "path": f"/events/{change['remote_id']}"})

    tamper(plan_file, edit)
    refused(cli, plan_file, "events.board-dinner: 2 requests where the configuration calls "
            "for 1", "nothing was sent")
    only_listed(repo)


def test_a_changed_body_is_refused(repo: Repo, cli: Run, plan_file: Path):
    def edit(document: Document) -> None:
        the_change(document)["requests"][0]["body"] = {"capacity": 30, "title": "Pwned"}

    tamper(plan_file, edit)
    refused(cli, plan_file, "events.board-dinner: request 1: its body differs in title")
    only_listed(repo)


def test_a_changed_method_is_refused(repo: Repo, cli: Run, plan_file: Path):
    def edit(document: Document) -> None:
        the_change(document)["requests"][0]["method"] = "DELETE"

    tamper(plan_file, edit)
    refused(cli, plan_file,
            "events.board-dinner: request 1: method DELETE where the configuration calls for PATCH")
    only_listed(repo)


def test_a_changed_field_list_is_refused(repo: Repo, cli: Run, plan_file: Path):
    """What the reviewer read is part of the plan: a field change edited alone is refused."""

    def edit(document: Document) -> None:
        the_change(document)["fields"][0]["after"] = 3000

    tamper(plan_file, edit)
    refused(cli, plan_file, "events.board-dinner: its field changes differ (capacity)")
    only_listed(repo)


def test_a_request_aimed_at_an_unmanaged_object_is_refused(repo: Repo, cli: Run, plan_file: Path):
    victim = unmanaged_event_id(repo)
    before = unmanaged_snapshot(repo)

    def edit(document: Document) -> None:
        the_change(document)["requests"][0]["path"] = f"/events/{victim}"

    tamper(plan_file, edit)
    refused(cli, plan_file, f"path /events/{victim} where the configuration calls for /events/")
    only_listed(repo)
    assert unmanaged_snapshot(repo) == before


def test_an_added_change_to_an_unmanaged_object_is_refused(
    repo: Repo, cli: Run, plan_file: Path
):
    victim = unmanaged_event_id(repo)
    before = unmanaged_snapshot(repo)

    def edit(document: Document) -> None:
        document["changes"].append({
            "address": "events.all-hands", "kind": "events", "key": "all-hands",
            "provider": "prospero", "action": "delete", "reason": "cleanup", "remote_id": victim,
            "fields": [], "requests": [{"method": "DELETE", "path": f"/events/{victim}"}],
        })
        document["summary"]["delete"] = 0  # the printed summary lies too

    tamper(plan_file, edit)
    refused(cli, plan_file,
            "events.all-hands: not an object this configuration declares or manages")
    only_listed(repo)
    assert unmanaged_snapshot(repo) == before


def test_an_added_change_to_a_managed_object_in_sync_is_refused_not_called_stale(
    repo: Repo, cli: Run
):
    """The checksum seals the changes the plan was made with: one added later is named."""
    repo.write("events.yaml", EVENT.format(capacity=12) + EVENT.split("events:\n")[1].format(
        capacity=5).replace("board-dinner", "staff-lunch"))
    cli("apply", repo.root, "--auto-approve")
    repo.write("events.yaml", EVENT.format(capacity=30) + EVENT.split("events:\n")[1].format(
        capacity=5).replace("board-dinner", "staff-lunch"))
    saved = repo.root.parent / "plan.json"
    cli("plan", repo.root, "-o", saved)
    repo.forget_requests()

    def edit(document: Document) -> None:
        change = dict(the_change(document))
        lunch = json.loads(json.dumps(change).replace("board-dinner", "staff-lunch"))
        document["changes"].append(lunch)

    tamper(saved, edit)
    stderr = refused(cli, saved, "events.staff-lunch: the configuration and the remote state "
                     "call for no such change")
    assert "stale" not in stderr
    only_listed(repo)


def test_a_plan_for_another_configuration_is_refused_before_any_request(
    repo: Repo, cli: Run, sandbox_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The plan names its configuration by a relative path: made in one checkout, applied from
    another directory whose `schedule/` is another configuration, it is refused."""
    staging, production = tmp_path / "staging", tmp_path / "production"
    for env, capacity in ((staging, 30), (production, 500)):
        (env / "schedule").mkdir(parents=True)
        (env / "schedule" / "providers.yaml").write_text(providers_yaml(sandbox_url))
        (env / "schedule" / "events.yaml").write_text(EVENT.format(capacity=capacity))
    monkeypatch.chdir(staging)
    cli("plan", "schedule", "-o", tmp_path / "plan.json")
    repo.forget_requests()

    monkeypatch.chdir(production)
    refused(cli, tmp_path / "plan.json", "was made for another configuration than schedule here",
            "events.yaml changed", "nothing was sent")
    assert repo.requests() == []

    # The same configuration in another place is the same configuration.
    shutil.copytree(staging / "schedule", tmp_path / "elsewhere" / "schedule")
    monkeypatch.chdir(tmp_path / "elsewhere")
    cli("apply", tmp_path / "plan.json", "--auto-approve")
    (created,) = repo.writes()
    assert (created.method, created.body["event"]["capacity"]) == ("POST", 30)


def test_a_plan_for_another_account_is_refused(
    repo: Repo, cli: Run, plan_file: Path, monkeypatch: pytest.MonkeyPatch
):
    """Same files, another account: the identity read from the environment differs."""
    monkeypatch.setenv("PROSPERO_EMAIL", "someone@prospero.test")
    refused(cli, plan_file, "providers.prospero endpoint or account differs")
    assert repo.requests() == []


def test_a_plan_from_before_a_configuration_edit_is_refused(
    repo: Repo, cli: Run, plan_file: Path
):
    repo.write("events.yaml", EVENT.format(capacity=30) + "# reviewed again\n")
    refused(cli, plan_file, "(events.yaml changed)")
    assert repo.requests() == []


@pytest.fixture
def plan_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = "a-long-random-plan-signing-key"
    monkeypatch.setenv("RECONCILER_PLAN_KEY", key)
    return key


def test_a_signed_plan_applies(repo: Repo, cli: Run, plan_key: str):
    repo.write("events.yaml", EVENT.format(capacity=12))
    cli("apply", repo.root, "--auto-approve")
    repo.write("events.yaml", EVENT.format(capacity=30))
    saved = repo.root.parent / "plan.json"
    made = cli("plan", repo.root, "-o", saved)
    assert "(signed)" in made.stdout
    assert json.loads(saved.read_text())["signature"].startswith("hmac-sha256:")
    assert plan_key not in saved.read_text()
    cli("apply", saved, "--auto-approve")
    assert [w.body for w in repo.writes() if w.method == "PATCH"] == [{"capacity": 30}]


def test_a_tampered_signed_plan_is_refused_before_any_request(
    repo: Repo, cli: Run, plan_key: str
):
    repo.write("events.yaml", EVENT.format(capacity=12))
    saved = repo.root.parent / "plan.json"
    cli("plan", repo.root, "-o", saved)
    repo.forget_requests()

    def edit(document: Document) -> None:
        the_change(document)["reason"] = "harmless, trust me"

    tamper(saved, edit)
    refused(cli, saved, "the signature does not match")
    assert repo.requests() == []


def test_an_unsigned_plan_is_refused_when_a_key_is_set(
    repo: Repo, cli: Run, plan_file: Path, plan_key: str
):
    refused(cli, plan_file, "is not signed, and RECONCILER_PLAN_KEY is set")
    assert repo.requests() == []


def test_a_plan_signed_with_another_key_is_refused(
    repo: Repo, cli: Run, plan_file: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("RECONCILER_PLAN_KEY", "the-planning-jobs-key")
    repo.write("events.yaml", EVENT.format(capacity=30))
    cli("plan", repo.root, "-o", plan_file)
    monkeypatch.setenv("RECONCILER_PLAN_KEY", "the-apply-jobs-other-key")
    repo.forget_requests()
    refused(cli, plan_file, "the signature does not match")
    assert repo.requests() == []


def test_a_signed_plan_without_the_key_says_its_signature_is_not_checked(
    repo: Repo, cli: Run, plan_file: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("RECONCILER_PLAN_KEY", "the-planning-jobs-key")
    cli("plan", repo.root, "-o", plan_file)
    monkeypatch.delenv("RECONCILER_PLAN_KEY")
    result = cli("apply", plan_file, "--auto-approve")
    assert "is signed, but RECONCILER_PLAN_KEY is not set" in result.stderr


def test_changes_the_plan_does_not_hold_are_named_not_applied(repo: Repo, cli: Run):
    """A remote edit to another object after the plan was made leaves the plan valid; the edit
    is not reverted by it, and apply says the next plan will show it."""
    lunch = EVENT.split("events:\n")[1].replace("board-dinner", "staff-lunch")
    repo.write("events.yaml", EVENT.format(capacity=12) + lunch.format(capacity=5))
    cli("apply", repo.root, "--auto-approve")
    repo.write("events.yaml", EVENT.format(capacity=30) + lunch.format(capacity=5))
    saved = repo.root.parent / "plan.json"
    cli("plan", repo.root, "-o", saved)
    (event,) = repo.sandbox.store.query(
        "prospero.events", where={"customFields.reconciler_key": "staff-lunch"}).documents
    repo.sandbox.store.replace("prospero.events", str(event["id"]), {**event, "capacity": 6})
    repo.forget_requests()

    applied = cli("apply", saved, "--auto-approve")
    assert "Warning: the configuration now calls for 1 change this plan does not hold " \
        "(events.staff-lunch): not applied; the next plan shows them" in applied.stdout
    assert [w.body for w in repo.writes()] == [{"capacity": 30}]
