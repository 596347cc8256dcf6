"""After any apply, the next plan is empty, or says once why a declared value cannot hold.

Servers normalise what they are sent. Prevail's docs: "If a Host's `email` is not associated
with a registered account, the API ignores the value `host` and assigns `access_level:
participant`": both the sandbox (its seeded members) and the docs-shaped Prevail do so, and the
plan after the apply says it once instead of planning the same edit on every run. Previsto's
docs never say whether a passed `meta` merges or replaces: against a merging and a replacing
server alike (sandbox and docs-shaped), a key another integration set survives every write.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox import SandboxSettings
from tests.fixtures.docs_prevail import API_KEY, COMPANY_ID, DocsPrevail
from tests.fixtures.docs_previsto import (
    DOCUMENTED_ID,
    KEY,
    REFERENCE_ID,
    ServeDocsPrevisto,
    documented_assignments,
)
from tests.fixtures.repo import Repo, Run

NOT_HELD = "Prevail stored stranger@example.com as participant, not host"
NOTE = (
    f"sessions.hosted: {NOT_HELD}: not a member of the organisation (Prevail makes a host "
    "without a registered account a participant); not sent again: once they have an account, "
    "make them host in Prevail"
)
HOSTS = """sessions:
  - key: hosted
    title: Deposition of K. Host
    case: 2027-CV-0300
    start: 2027-06-10T09:00
    time_zone: America/New_York
    duration_hours: 2
    invites:
      - counsel@example.com
      - {email: stranger@example.com, access_level: host}
      - {email: host@example.com, access_level: host}
"""


def notes(result: Any) -> list[str]:
    """The plan's warnings, each once, from its JSON form; it plans no change."""
    plan = json.loads(result.stdout)
    assert plan["changes"] == []
    return list(plan["warnings"])


def held_invites(sessions: list[dict[str, Any]]) -> dict[str, str]:
    [session] = [s for s in sessions if s["title"] == "Deposition of K. Host"]
    return {invite["email"]: invite["access_level"] for invite in session["invites"]}


def test_a_host_without_an_account_is_said_once_not_planned_again(repo: Repo, cli: Run) -> None:
    """api-contract.md, Prevail — Hosts: the sandbox makes a non-member host a participant
    (host@example.com is one of its seeded members, stranger@example.com is not); the plan after
    the apply changes nothing, says why once, and drift finds nothing. A later edit adds only the
    new invitee: the host that cannot hold is never sent again."""
    repo.write("sessions.yaml", "version: 1\n" + HOSTS)
    cli("apply", repo.root, "--auto-approve")
    stored = repo.sandbox.store.query("prevail.sessions").documents
    assert held_invites(stored) == {
        "counsel@example.com": "participant",
        "stranger@example.com": "participant",
        "host@example.com": "host",
    }
    repo.forget_requests()

    again = cli("plan", repo.root, "--detailed-exitcode", expect=0)
    assert "not a member of the organisation" in again.output
    assert "No changes" in again.stdout
    assert notes(cli("plan", repo.root, "--format", "json")) == [NOTE]
    cli("drift", repo.root, expect=0)
    assert repo.writes() == []

    repo.write("sessions.yaml", "version: 1\n" + HOSTS + "      - expert@example.com\n")
    cli("apply", repo.root, "--auto-approve")
    [edit] = repo.writes()
    assert edit.method == "PATCH"
    assert edit.body == {"remote_session": {"invites": [
        {"email": "expert@example.com", "access_level": "participant"},
    ]}}
    cli("plan", repo.root, "--detailed-exitcode", expect=0)


def test_the_docs_shaped_prevail_downgrades_a_host_and_the_plan_converges(
    docs_prevail: DocsPrevail, tmp_path: Path, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """api-contract.md, Prevail — Hosts [doc]: against a server answering only as the docs
    show, plan → apply → plan is empty but for the one note, and no edit is sent again."""
    monkeypatch.setenv("PREVAIL_COMPANY_ID", COMPANY_ID)
    monkeypatch.setenv("PREVAIL_API_KEY", API_KEY)
    monkeypatch.chdir(tmp_path)
    docs_prevail.members = {"host@example.com"}
    schedule = tmp_path / "schedule.yaml"
    schedule.write_text(
        f"version: 1\nproviders:\n  prevail:\n    base_url: {docs_prevail.url}\n"
        "    company_id: ${PREVAIL_COMPANY_ID}\n    api_key: ${PREVAIL_API_KEY}\n" + HOSTS
    )
    cli("plan", schedule, "--detailed-exitcode", expect=2)
    cli("apply", schedule, "--auto-approve")
    assert held_invites(docs_prevail.sessions)["stranger@example.com"] == "participant"
    docs_prevail.forget()

    again = cli("plan", schedule, "--detailed-exitcode", expect=0)
    assert NOT_HELD in again.output
    assert notes(cli("plan", schedule, "--format", "json")) == [NOTE]
    cli("apply", schedule, "--auto-approve")
    assert docs_prevail.writes() == []


LONG = """sessions:
  - key: long
    title: {title}
    case: 2027-CV-0400
    start: 2027-06-10T09:00
    time_zone: America/New_York
{duration}"""


def test_a_long_session_is_read_back_though_its_duration_is_not_declared(
    docs_prevail: DocsPrevail, tmp_path: Path, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """api-contract.md, Prevail — List [doc]: `end_time` keeps the sessions that *end* before
    it; a session whose duration the YAML leaves out may last longer than any margin, so the
    read-back after its edit lists as far ahead as a refresh and finds it."""
    monkeypatch.setenv("PREVAIL_COMPANY_ID", COMPANY_ID)
    monkeypatch.setenv("PREVAIL_API_KEY", API_KEY)
    monkeypatch.chdir(tmp_path)
    schedule = tmp_path / "schedule.yaml"
    head = (f"version: 1\nproviders:\n  prevail:\n    base_url: {docs_prevail.url}\n"
            "    company_id: ${PREVAIL_COMPANY_ID}\n    api_key: ${PREVAIL_API_KEY}\n")
    thirty = "    duration_hours: 30\n"
    schedule.write_text(head + LONG.format(title="Arbitration", duration=thirty))
    cli("apply", schedule, "--auto-approve")
    schedule.write_text(head + LONG.format(title="Arbitration, day 1", duration=""))
    result = cli("apply", schedule, "--auto-approve")
    assert "not found after the write" not in result.output
    [session] = docs_prevail.sessions
    assert (session["title"], session["estimated_duration"]) == ("Arbitration, day 1", 30)
    cli("plan", schedule, "--detailed-exitcode", expect=0)


# -- Previsto: a key another integration set survives a merging and a replacing server ---------

FOREIGN = {"crm_id": "C-1042"}


SECOND_IN_SANDBOX = "asgmt-Q8n2Lm4Rt7Vx1"  # another of the sandbox's seeded assignments


def assignments_yaml(first: str | None, second: str) -> str:
    """`first` (its metadata line, None: not declared) on the docs' example assignment, and a
    second assignment declared throughout (so a --prune may remove the first's keys)."""
    declared = f"  - key: first\n    select: {{id: {DOCUMENTED_ID}}}\n{first}" if first else ""
    return (
        f"version: 1\nassignments:\n{declared}"
        f"  - key: second\n    select: {{id: {second}}}\n    metadata: {{crew: south}}\n"
    )


def ours_and_theirs(meta: dict[str, Any]) -> dict[str, Any]:
    """The metadata without the reconciler's reserved keys."""
    return {k: v for k, v in meta.items() if not k.startswith("reconciler_")}


def walk_through(write: Any, held: Any, run: Any, sent: Any, *, second: str) -> None:
    """Apply a change of one of our keys with a removal of another, then a --prune: the foreign
    key is there after each, each write carries the whole resulting metadata (`sent()`: the
    bodies of the PUTs to the first assignment), and the plan after each is empty."""
    write(assignments_yaml("    metadata: {crew: north, po_number: PO-7781}\n", second))
    run("apply", "--auto-approve")
    assert ours_and_theirs(held()) == {**FOREIGN, "crew": "north", "po_number": "PO-7781"}
    write(assignments_yaml("    metadata: {crew: west}\n", second))
    run("apply", "--auto-approve")
    assert held() == {**FOREIGN, "crew": "west", "reconciler_key": "first",
                      "reconciler_owned": "crew", "reconciler_scope": "schedule"}
    assert sent()[-1] == {"meta": {
        **FOREIGN, "crew": "west", "po_number": None, "reconciler_key": "first",
        "reconciler_owned": "crew", "reconciler_scope": "schedule",
    }}
    run("plan", "--detailed-exitcode")
    write(assignments_yaml(None, second))
    run("apply", "--auto-approve", "--prune")
    assert held() == FOREIGN
    assert sent()[-1] == {"meta": {
        **FOREIGN, "crew": None, "reconciler_key": None, "reconciler_owned": None,
        "reconciler_scope": None,
    }}
    run("plan", "--prune", "--detailed-exitcode")


@pytest.mark.parametrize(
    "sandbox_settings",
    [SandboxSettings(admin=True, previsto_meta_updates="merge"),
     SandboxSettings(admin=True, previsto_meta_updates="replace")],
    ids=["merging", "replacing"],
)
def test_a_foreign_metadata_key_survives_a_merging_or_replacing_sandbox(
    repo: Repo, cli: Run
) -> None:
    """api-contract.md, Previsto — Metadata: writes send the whole resulting `meta` (removed
    keys as null), so the emulator's merging and replacing modes end with the same metadata."""
    store = repo.sandbox.store
    document = store.get("previsto.assignments", DOCUMENTED_ID)
    assert document is not None
    store.replace("previsto.assignments", DOCUMENTED_ID, {**document, "meta": dict(FOREIGN)})

    def held() -> dict[str, Any]:
        stored = store.get("previsto.assignments", DOCUMENTED_ID)
        assert stored is not None
        return dict(stored["meta"])

    walk_through(
        lambda text: repo.write("assignments.yaml", text),
        held,
        lambda *args: cli(*args[:1], repo.root, *args[1:]),
        lambda: [r.body for r in repo.writes() if r.path.endswith(DOCUMENTED_ID)],
        second=SECOND_IN_SANDBOX,
    )


@pytest.mark.parametrize("meta_updates", ["merge", "replace"])
def test_a_foreign_metadata_key_survives_a_merging_or_replacing_docs_server(
    meta_updates: str, serve_docs_previsto: ServeDocsPrevisto, tmp_path: Path, cli: Run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """api-contract.md, Previsto — Metadata: a docs-shaped server read literally (a passed
    `meta` replaces the stored one) keeps another integration's key, as a merging one does."""
    assignments = documented_assignments()
    assignments[0]["meta"] = dict(FOREIGN)
    server = serve_docs_previsto(assignments, meta_updates=meta_updates)
    monkeypatch.setenv("PREVISTO_API_KEY", KEY)
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "schedule"
    root.mkdir()
    (root / "providers.yaml").write_text(
        f"version: 1\nproviders:\n  previsto:\n    base_url: {server.url}\n"
        "    api_key: ${PREVISTO_API_KEY}\n    requests_per_minute: 60000\n"
    )
    walk_through(
        lambda text: (root / "assignments.yaml").write_text(text),
        lambda: dict(server.assignments[DOCUMENTED_ID]["meta"]),
        lambda *args: cli(*args[:1], root, *args[1:]),
        lambda: [r.body for r in server.writes() if r.path.endswith(DOCUMENTED_ID)],
        second=REFERENCE_ID,
    )
