"""A partial apply says exactly what was and was not done, journals it, and a re-run converges."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.sandbox.faults import Fault
from tests.fixtures.faults import FAST, event
from tests.fixtures.repo import Repo, Run


def two_events(title: str) -> str:
    return "version: 1\nevents:\n" + event("p-one", f"{title} one", 3) + event(
        "p-two", f"{title} two", 4
    )


def event_id(repo: Repo, key: str) -> str:
    page = repo.sandbox.store.query("prospero.events", where={"customFields.reconciler_key": key})
    return str(page.documents[0]["id"])


def test_independent_changes_proceed_and_the_rerun_converges(repo: Repo, cli: Run):
    repo.write("e.yaml", two_events("Before"))
    cli(*FAST, "apply", repo.root, "--auto-approve")
    broken = event_id(repo, "p-one")
    repo.write("e.yaml", two_events("After"))
    # p-one's update fails every attempt; p-two's goes through.
    repo.sandbox.faults.add(Fault(kind="status", status=500, path=f"/events/{broken}$",
                                  method="PATCH", times=5))
    result = cli(*FAST, "apply", repo.root, "--auto-approve", expect=1)
    assert "Apply complete: 1 applied, 1 failed, 0 not attempted." in result.stdout
    assert "events.p-one" in result.stdout and "500" in result.stdout
    assert f"Run `reconciler apply {repo.root}` again" in result.stdout

    journal = [json.loads(line) for line in Path(".reconciler/journal.jsonl").read_text()
               .splitlines()]
    outcomes = {(e["address"], e["event"]) for e in journal if e["event"] != "start"}
    assert ("events.p-two", "applied") in outcomes
    assert ("events.p-one", "failed") in outcomes

    repo.forget_requests()
    cli(*FAST, "apply", repo.root, "--auto-approve")
    assert [w.path for w in repo.writes()] == [f"/prospero/events/{broken}"]
    cli(*FAST, "plan", repo.root, "--detailed-exitcode", expect=0)


def test_fail_fast_leaves_the_rest_not_attempted(repo: Repo, cli: Run):
    repo.write("e.yaml", "version: 1\nevents:\n" + event("p-one", "One", 3))
    cli(*FAST, "apply", repo.root, "--auto-approve")
    broken = event_id(repo, "p-one")
    repo.write("e.yaml", "version: 1\nevents:\n" + event("p-one", "One again", 3)
               + event("p-new", "New", 5))
    repo.sandbox.faults.add(Fault(kind="status", status=500, path=f"/events/{broken}$",
                                  method="PATCH", times=5))
    # Creates run before updates; fail in the create phase to leave the update not attempted.
    repo.sandbox.faults.add(Fault(kind="status", status=422, path=r"^/prospero/events$",
                                  method="POST", times=1))
    result = cli(*FAST, "apply", repo.root, "--auto-approve", "--fail-fast", expect=1)
    assert "0 applied, 1 failed, 1 not attempted." in result.stdout
    assert "not attempted" in result.stdout
