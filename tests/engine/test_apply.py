"""Honest outcomes for creates whose answers were lost: apply decides each from what the server
holds (found: created; not there once the server must have finished: sent again, once; a bulk
create only for the keys that did not land), so a server that commits after the client's
timeout ends with exactly one object per key and a report that says created.

The engine-level cases build the providers with a read timeout of tens of milliseconds against a
server that commits later: after a real delay (`latency`, and `clock.on_sleep` lets it finish
during the first pause, as a real pause would), or once N seconds have passed on the test's clock
(`hold`: the server's time is the injected clock's). The look-ups' pauses are the injected
clock's: the tests assert them instead of spending them. The command-line cases show what a user
reads.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from reconciler.config import load
from reconciler.engine.apply import (
    LOOKUP_FIRST_PAUSE,
    LOOKUP_LONGEST_PAUSE,
    SETTLE_TIME,
    ApplyReport,
    Journal,
    apply_plan,
)
from reconciler.engine.plan import PlanOptions, build_plan
from reconciler.http import RetryPolicy
from reconciler.providers import build_providers
from reconciler.sandbox.faults import Fault
from tests.fixtures.clock import FakeClock
from tests.fixtures.faults import FAST, event, session
from tests.fixtures.repo import Repo, Run

READ_TIMEOUT = 0.05  # a create's (real) read timeout: the answers lost here are creates'
# Every other request's: a list answered slowly on a busy machine is not what is tested.
LIST_TIMEOUT = 10.0
# The server commits this long after the request arrives: after the client's read timeout, and
# before the client looks a second time (read timeout + margin after it gave up).
COMMIT_AFTER = 0.15

ONE = "events:\n" + event("e-one", "One", 5)
THREE = "events:\n" + "".join(event(f"e-bulk-{n}", f"Bulk {n}", 10 + n) for n in range(3))


def live_events(repo: Repo) -> dict[str, int]:
    """How many events the sandbox holds per key."""
    counts: dict[str, int] = {}
    for document in repo.sandbox.store.query("prospero.events").documents:
        key = (document.get("customFields") or {}).get("reconciler_key")
        if key:
            counts[key] = counts.get(key, 0) + 1
    return counts


def creates_sent(repo: Repo, path: str = "/prospero/events") -> int:
    return sum(1 for r in repo.requests() if r.method == "POST" and r.path == path)


def apply_engine(repo: Repo, objects: str, journal: Journal | None = None) -> ApplyReport:
    repo.write("objects.yaml", "version: 1\n" + objects)
    state = load(repo.root)
    providers = build_providers(
        state, timeout=LIST_TIMEOUT, create_timeout=READ_TIMEOUT,
        policy=RetryPolicy(attempts=2, initial_wait=0.01),
    )
    try:
        plan = build_plan(state, providers, PlanOptions()).plan
        repo.forget_requests()
        return apply_plan(plan, providers, journal=journal)
    finally:
        for provider in providers.values():
            provider.client.close()


@pytest.mark.parametrize("objects", [ONE, THREE], ids=["single", "bulk"])
def test_a_commit_after_the_timeout_is_found_not_sent_again(
    repo: Repo, clock: FakeClock, objects: str
) -> None:
    repo.sandbox.faults.add(Fault(kind="latency", seconds=COMMIT_AFTER, path=r"^/prospero/events$",
                                  method="POST"))
    clock.on_sleep = repo.settle
    report = apply_engine(repo, objects)
    assert report.ok, [outcome.message for outcome in report.failed]
    # Not found at once (the server was still at work): found at the next look, a pause later.
    assert clock.waits_for("lost-create") == [LOOKUP_FIRST_PAUSE]
    assert all(outcome.adopted for outcome in report.outcomes)
    assert creates_sent(repo) == 1  # the bulk was never sent again, whole or in part
    assert set(live_events(repo).values()) == {1}
    assert len(live_events(repo)) == objects.count("- key:")
    ids = {outcome.remote_id for outcome in report.outcomes}
    stored = {str(d["id"]) for d in repo.sandbox.store.query("prospero.events").documents}
    assert ids <= stored


@pytest.mark.parametrize("commit_after", [5.0, 20.0, SETTLE_TIME - 1])
def test_a_commit_late_within_the_settle_time_is_found_not_sent_again(
    repo: Repo, clock: FakeClock, tmp_path: Path, commit_after: float
) -> None:
    """A server that commits N s after the client gave up (a slow database, a queue), for N up
    to the settle time: looked for with growing pauses until it is there; never sent again."""
    repo.sandbox.faults.add(Fault(kind="hold", seconds=commit_after, path=r"^/prospero/events$",
                                  method="POST"))
    # Once the pauses reach the commit time, let the server finish before the next look.
    clock.on_sleep = lambda _: repo.settle() if clock.waited >= commit_after else None
    journal = Journal(tmp_path / "journal.jsonl")
    report = apply_engine(repo, ONE, journal=journal)
    assert report.ok, [outcome.message for outcome in report.failed]
    [outcome] = report.outcomes
    assert outcome.adopted
    assert creates_sent(repo) == 1 and live_events(repo) == {"e-one": 1}
    pauses = clock.waits_for("lost-create")
    assert sum(pauses[:-1]) < commit_after <= sum(pauses)
    # Doubling from the first pause up to the longest; the last one cut to the settle time.
    schedule = [min(LOOKUP_FIRST_PAUSE * 2**n, LOOKUP_LONGEST_PAUSE) for n in range(len(pauses))]
    assert pauses[:-1] == schedule[:-1] and pauses[-1] <= schedule[-1]
    assert sum(pauses) <= SETTLE_TIME
    looks = [json.loads(line) for line in journal.path.read_text().splitlines()
             if '"look-up"' in line]
    assert [look["found"] for look in looks] == [False] * len(pauses) + [True]
    assert [look["attempt"] for look in looks] == list(range(1, len(pauses) + 2))


def test_a_commit_later_than_the_settle_time_is_sent_again_once(
    repo: Repo, clock: FakeClock
) -> None:
    """Past the settle time the create is sent again, once: the look-ups stop there, and the
    report says created (by the second request)."""
    repo.sandbox.faults.add(Fault(kind="hold", seconds=SETTLE_TIME + 30, path=r"^/prospero/events$",
                                  method="POST"))
    report = apply_engine(repo, ONE)
    assert report.ok, [outcome.message for outcome in report.failed]
    assert sum(clock.waits_for("lost-create")) == pytest.approx(SETTLE_TIME)
    assert creates_sent(repo) == 2
    # The first request is still held by the server: it commits later. The engine alone leaves
    # that duplicate; the command's read-back after the writes removes it when it has landed
    # by then (tests/e2e/test_read_back.py), and the next plan does otherwise.
    clock.advance(60)
    repo.settle()
    assert live_events(repo) == {"e-one": 2}


@pytest.mark.parametrize("objects", [ONE, THREE], ids=["single", "bulk"])
def test_a_cut_off_answer_is_a_lost_answer_not_a_failure(repo: Repo, objects: str) -> None:
    repo.sandbox.faults.add(Fault(kind="malformed", path=r"^/prospero/events$", method="POST"))
    report = apply_engine(repo, objects)
    assert report.ok, [outcome.message for outcome in report.failed]
    assert all(outcome.adopted for outcome in report.outcomes)
    assert creates_sent(repo) == 1
    assert set(live_events(repo).values()) == {1}


def test_a_bulk_create_that_partly_landed_sends_only_the_rest_again(repo: Repo) -> None:
    # The bulk answer is lost before anything is stored; meanwhile one of its events appears
    # (as if an earlier, slower request landed it): only the other two are sent again.
    repo.write("objects.yaml", "version: 1\n" + THREE)
    state = load(repo.root)
    providers = build_providers(state, timeout=LIST_TIMEOUT, create_timeout=READ_TIMEOUT,
                                policy=RetryPolicy(attempts=2, initial_wait=0.01))
    plan = build_plan(state, providers, PlanOptions()).plan
    first = next(c for c in plan.changes if c.address.key == "e-bulk-0")
    landed = providers["prospero"].send(first.requests[0])
    fault = repo.sandbox.faults.add(Fault(kind="reset", path=r"^/prospero/events$",
                                          method="POST"))
    repo.forget_requests()
    report = apply_plan(plan, providers)
    for provider in providers.values():
        provider.client.close()
    assert fault.fired == 1
    assert report.ok, [outcome.message for outcome in report.failed]
    by_key = {outcome.change.address.key: outcome for outcome in report.outcomes}
    assert by_key["e-bulk-0"].adopted and by_key["e-bulk-0"].remote_id == landed["event"]["id"]
    assert not by_key["e-bulk-1"].adopted and not by_key["e-bulk-2"].adopted
    posts = [r for r in repo.requests() if r.method == "POST" and r.path == "/prospero/events"]
    assert [len(post.body["events"]) for post in posts] == [3, 2]
    assert live_events(repo) == {"e-bulk-0": 1, "e-bulk-1": 1, "e-bulk-2": 1}


def test_a_create_that_never_landed_is_sent_again_once(repo: Repo) -> None:
    fault = repo.sandbox.faults.add(Fault(kind="reset", path=r"^/prospero/events$",
                                          method="POST"))
    report = apply_engine(repo, ONE)
    assert fault.fired == 1
    assert report.ok
    [outcome] = report.outcomes
    assert not outcome.adopted and outcome.remote_id
    assert creates_sent(repo) == 2
    assert live_events(repo) == {"e-one": 1}


def test_a_create_lost_twice_and_not_there_is_reported_failed_with_what_is_known(
    repo: Repo,
) -> None:
    repo.sandbox.faults.add(Fault(kind="reset", path=r"^/prospero/events$", method="POST",
                                  times=2))
    report = apply_engine(repo, ONE)
    [outcome] = report.failed
    assert "sent once more after it could not be found, that answer was lost too" in (
        outcome.message
    )
    assert "events.e-one is not there" in outcome.message
    assert creates_sent(repo) == 2  # never a third time
    assert live_events(repo) == {}


# -- what the user reads ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("objects", "keys"),
    [(ONE, ["e-one"]), (THREE, ["e-bulk-0", "e-bulk-1", "e-bulk-2"])],
    ids=["single", "bulk"],
)
def test_apply_reports_a_commit_after_timeout_as_created(
    repo: Repo, cli: Run, clock: FakeClock, objects: str, keys: list[str]
) -> None:
    # FAST's read timeout is 1 s; the server commits 1.2 s after the request, later than a
    # look-up at once after the loss; the look-up after timeout + margin (waited on the injected
    # clock, while the server finishes) finds it.
    repo.write("objects.yaml", "version: 1\n" + objects)
    fault = repo.sandbox.faults.add(Fault(kind="latency", seconds=1.2, path=r"^/prospero/events$",
                                          method="POST"))
    clock.on_sleep = repo.settle
    result = cli(*FAST, "apply", repo.root, "--auto-approve")
    assert fault.fired == 1
    assert clock.waits_for("lost-create") == [LOOKUP_FIRST_PAUSE]
    for key in keys:
        assert f"✓ events.{key}: created (id " in result.stdout
    assert result.stdout.count("(found after a lost response)") == len(keys)
    assert f"Apply complete: {len(keys)} applied, 0 failed, 0 not attempted." in result.stdout
    assert creates_sent(repo) == 1
    assert live_events(repo) == dict.fromkeys(keys, 1)
    cli(*FAST, "plan", repo.root, "--detailed-exitcode", expect=0)


def test_a_prevail_session_whose_answer_was_cut_off_is_reported_created(
    repo: Repo, cli: Run, http: httpx.Client
) -> None:
    repo.write("objects.yaml", "version: 1\nsessions:\n" + session("s-new", "New", 5))
    repo.sandbox.faults.add(Fault(kind="malformed", path=r"^/prevail/sessions$", method="POST"))
    result = cli(*FAST, "apply", repo.root, "--auto-approve")
    assert "✓ sessions.s-new: created (id " in result.stdout
    assert "(found after a lost response)" in result.stdout
    assert creates_sent(repo, "/prevail/sessions") == 1
