"""No duplicates unseen: two live objects with one key in one scope are reported by plan, drift and
the Action, and removed (the oldest kept); applies on one machine never overlap; a killed apply and
a re-run converge to one object per key with at most one more apply."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.config import load
from reconciler.engine.lock import accounts, apply_lock, lock_directory, lock_path
from reconciler.providers import build_providers
from reconciler.sandbox.faults import Fault
from tests.fixtures.clock import FakeClock
from tests.fixtures.faults import event, session
from tests.fixtures.repo import SCOPE, Repo, Run
from tests.fixtures.scopes import live_per_key, start_apply

EVENTS = "events:\n" + event("e-a", "Alpha", 1) + event("e-b", "Bravo", 2)
SESSIONS = ("sessions:\n" + session("s-a", "Alpha", 1) + session("s-b", "Bravo", 2)
            + session("s-c", "Charlie", 3))
# Seconds a create waits in the sandbox: longer than an in-process run takes to plan (the runs
# that must overlap the slow one are in-process, on the injected clock).
SLOW = 1.5


def duplicated(repo: Repo) -> dict[tuple[str, str, str], int]:
    return {key: count for key, count in live_per_key(repo).items() if count > 1}


def test_a_duplicate_is_reported_then_removed_keeping_the_oldest(
    repo: Repo, cli: Run, http: httpx.Client
):
    repo.write("e.yaml", "version: 1\n" + EVENTS)
    cli("apply", repo.root, "--auto-approve")
    # A second live event with e-a's marker, as a concurrent run or a lost response leaves.
    seeded = http.post("/_sandbox/prospero/seed", json={"events": [{
        "title": "Alpha", "start": "2027-07-01T10:00:00Z", "end": "2027-07-01T11:00:00Z",
        "capacity": 10, "customFields": {"reconciler_key": "e-a", "managed_by": "reconciler",
                                         "reconciler_fields": "capacity,end,start,title",
                                         "reconciler_scope": SCOPE}}]})
    assert seeded.status_code == 201, seeded.text
    twins = [e for e in repo.sandbox.store.query("prospero.events").documents
             if (e.get("customFields") or {}).get("reconciler_key") == "e-a"]
    oldest, newest = sorted(twins, key=lambda e: (e["createdAt"], e["id"]))

    planned = cli("plan", repo.root, "--detailed-exitcode", expect=2).stdout
    assert (f"Duplicate: 2 live objects carry the key events.e-a in this scope (ids "
            f"{oldest['id']}, {newest['id']}); the oldest, {oldest['id']}, is kept") in planned
    assert f"- events.e-a#{newest['id']} id={newest['id']}" in planned
    assert "Plan: 0 to create, 0 to update, 1 to cancel/delete." in planned
    document = json.loads(cli("plan", repo.root, "--format", "json").stdout)
    assert document["duplicates"] == [
        {"address": "events.e-a", "kept": oldest["id"], "extras": [newest["id"]]}
    ]
    markdown = cli("plan", repo.root, "--format", "markdown").stdout
    assert "> ⚠️ Duplicate: 2 live objects carry the key events.e-a" in markdown

    drifted = cli("drift", repo.root, expect=2).stdout
    assert f"events.e-a#{newest['id']}: a second live object carrying this key" in drifted
    assert "1 duplicate." in drifted

    repo.forget_requests()
    cli("apply", repo.root, "--auto-approve")
    assert [(w.method, w.path, w.body) for w in repo.writes()] == [
        ("DELETE", "/prospero/events", {"ids": [newest["id"]]})
    ]
    assert duplicated(repo) == {}
    cli("plan", repo.root, "--detailed-exitcode", expect=0)
    cli("drift", repo.root, expect=0)


def test_applies_on_one_machine_take_turns(repo: Repo, cli: Run, clock: FakeClock):
    repo.write("s.yaml", "version: 1\n" + SESSIONS)
    repo.sandbox.faults.add(Fault(kind="latency", path=r"^/prevail/sessions$", method="POST",
                                  seconds=SLOW, times=3))
    first = start_apply(repo.root, cwd=Path.cwd())
    wait_for_creates(repo, first)
    # The first run's creates are in flight, not stored yet: an overlapping run would plan them
    # again. This one (in this process, on the injected clock) polls the lock; while it waits,
    # the first run finishes for real.
    clock.on_sleep = lambda _: first.wait(timeout=120) if first.poll() is None else None
    second = cli("apply", repo.root, "--auto-approve")
    _, err_first = first.communicate(timeout=120)
    assert first.returncode == 0, err_first
    assert "Waiting for another apply of this scope to finish" in second.stderr
    assert clock.waits_for("lock") == [0.05]  # one poll, then the lock was free
    assert "No changes." in second.stdout
    counts = live_per_key(repo)
    assert [counts[("prevail.sessions", SCOPE, key)] for key in ("s-a", "s-b", "s-c")] == [1, 1, 1]


def test_applies_from_two_checkouts_take_turns(
    repo: Repo, cli: Run, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Another working directory (another checkout of the repository, or another folder that
    points at the same sandbox database) meets the same lock: the scope and the accounts name
    it, not the folder."""
    repo.write("s.yaml", "version: 1\n" + SESSIONS)
    repo.sandbox.faults.add(Fault(kind="latency", path=r"^/prevail/sessions$", method="POST",
                                  seconds=SLOW, times=3))
    here = Path.cwd()
    elsewhere = tmp_path / "other-checkout"
    shutil.copytree(repo.root, elsewhere / repo.root.name)
    first = start_apply(repo.root, cwd=here)
    wait_for_creates(repo, first)
    monkeypatch.chdir(elsewhere)
    clock.on_sleep = lambda _: first.wait(timeout=120) if first.poll() is None else None
    second = cli("apply", elsewhere / repo.root.name, "--auto-approve")
    monkeypatch.chdir(here)
    _, err_first = first.communicate(timeout=120)
    assert first.returncode == 0, err_first
    assert "Waiting for another apply of this scope to finish" in second.stderr
    assert "No changes." in second.stdout
    assert duplicated(repo) == {}


def test_a_shared_sandbox_db_is_one_lock_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Two folders whose `--sandbox` runs share one database file write to one account: one lock.
    Another database file is another account: another lock."""
    database = tmp_path / "shared" / "sandbox.db"
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    monkeypatch.chdir(tmp_path / "a")
    same = lock_path(lock_directory(), SCOPE, accounts({}, sandbox_db=database))
    monkeypatch.chdir(tmp_path / "b")
    relative = Path("..") / "shared" / "sandbox.db"
    assert lock_path(lock_directory(), SCOPE, accounts({}, sandbox_db=relative)) == same
    other = accounts({}, sandbox_db=tmp_path / "other.db")
    assert lock_path(lock_directory(), SCOPE, other) != same
    assert lock_directory() == tmp_path / "cache" / "reconciler" / "locks"


def test_a_killed_apply_and_an_immediate_rerun_leave_no_duplicate(
    repo: Repo, cli: Run, clock: FakeClock
):
    repo.write("s.yaml", "version: 1\n" + SESSIONS)
    repo.sandbox.faults.add(Fault(kind="latency", path=r"^/prevail/sessions$", method="POST",
                                  seconds=SLOW, times=3))
    killed = start_apply(repo.root, cwd=Path.cwd())
    wait_for_creates(repo, killed)
    os.kill(killed.pid, signal.SIGKILL)
    killed.communicate()
    # Straight away: the lock died with the process, but its journal shows creates with no
    # outcome. The re-run waits out their window (on the injected clock, while the server
    # finishes for real) before it plans, then finds what landed.
    clock.on_sleep = lambda _: settle(repo)
    rerun = cli("apply", repo.root, "--auto-approve")
    assert "of an interrupted apply (.reconciler/journal.jsonl shows no outcome) may still " \
           "land" in rerun.stderr
    [waited] = clock.waits_for("interrupted")
    # --create-timeout + --settle-time from the creates' start, give or take the seconds the
    # killed process ran for real while the test's clock stood still.
    assert 60 + 30 - 5 < waited < 60 + 30 + 30
    assert duplicated(repo) == {}
    counts = live_per_key(repo)
    assert [counts[("prevail.sessions", SCOPE, key)] for key in ("s-a", "s-b", "s-c")] == [1, 1, 1]
    cli("plan", repo.root, "--detailed-exitcode", expect=0)
    # A later apply has nothing in flight to wait for.
    cli("apply", repo.root, "--auto-approve")
    assert len(clock.waits_for("interrupted")) == 1


def test_a_held_lock_stops_apply_with_a_clear_message(repo: Repo, cli: Run):
    repo.write("e.yaml", "version: 1\n" + EVENTS)
    with held_lock(repo) as held:
        result = CliRunner().invoke(
            main, ["apply", str(repo.root), "--auto-approve", "--lock-timeout", "0"]
        )
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: another apply of the scope '{SCOPE}' is still running on this machine (it "
        f"holds {held}); waited 0 s. Run apply again once it has finished, or wait longer "
        "with --lock-timeout"
    )
    assert repo.requests() == []  # nothing was read or sent while the other run held the scope
    cli("apply", repo.root, "--auto-approve")  # released: the next run goes ahead


def test_a_lock_held_past_the_timeout_is_polled_for_that_long_then_refused(
    repo: Repo, clock: FakeClock
):
    repo.write("e.yaml", "version: 1\n" + EVENTS)
    with held_lock(repo):
        result = CliRunner().invoke(
            main, ["apply", str(repo.root), "--auto-approve", "--lock-timeout", "30"]
        )
    assert result.exit_code == 1
    assert "waited 30 s. Run apply again once it has finished" in result.stderr
    polls = clock.waits_for("lock")
    assert sum(polls) == pytest.approx(30) and max(polls) <= 0.05  # polled, never one long nap
    assert repo.requests() == []


def held_lock(repo: Repo) -> AbstractContextManager[Path]:
    """The lock an apply of the repository takes, held here."""
    providers = build_providers(load(repo.root))
    try:
        return apply_lock(SCOPE, written=accounts(providers), wait=0)
    finally:
        for provider in providers.values():
            provider.client.close()


def wait_for_creates(repo: Repo, process: subprocess.Popen[str]) -> None:
    """Until the sandbox has received the process's first create (bounded)."""
    for _ in range(600):
        if any(r.method == "POST" and r.path == "/prevail/sessions" for r in repo.requests()):
            return
        if process.poll() is not None:
            pytest.fail(f"the apply ended before creating: {process.communicate()}")
        time.sleep(0.05)
    pytest.fail("the apply never sent a create")


def settle(repo: Repo) -> None:
    """Until every request the sandbox received has been answered (the slow ones included)."""
    for _ in range(400):
        if all(r.status != 0 for r in repo.requests()):
            return
        time.sleep(0.05)
    pytest.fail("the sandbox kept requests open")
