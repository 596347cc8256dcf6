"""Apply reads back what it wrote: a duplicate its own late create made is removed at once
(without notifying anyone), and a write that did not hold is reported unverified, exit 1.

The late create is made deterministic without spending time: the first create is held by the
sandbox until the test's clock passes the settle time (so every look-up misses it and the create
is sent again), and the second create is let through only once the first has committed, as a
server's queue would order them. Its answer was long lost; the read-back finds both.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from reconciler.engine.apply import SETTLE_TIME
from reconciler.sandbox.context import RequestRecord
from reconciler.sandbox.faults import Fault
from tests.fixtures.clock import FakeClock
from tests.fixtures.faults import backdate_events, event, many_events, session
from tests.fixtures.loopback import LoopbackServers
from tests.fixtures.repo import SCOPE, Repo, Run
from tests.fixtures.scopes import live_per_key

# A create's answer is given up on after this (real) time; the first create is held longer.
CREATE_TIMEOUT = "0.2"

CASES = {
    "prospero": ("/prospero/events", "events:\n" + event("e-one", "One", 5),
                 ("prospero.events", SCOPE, "e-one")),
    "prevail": ("/prevail/sessions", "sessions:\n" + session("s-one", "One", 5),
                ("prevail.sessions", SCOPE, "s-one")),
}


class LateFirstCreate:
    """Lets the second create through only once the first (held) one has committed."""

    def __init__(self, app: ASGIApp, *, repo: Repo, clock: FakeClock, path: str) -> None:
        self.app, self.repo, self.clock, self.path = app, repo, clock, path
        self.creates = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["method"], scope["path"]) == ("POST", self.path):
            self.creates += 1
            if self.creates == 2:
                self.clock.advance(SETTLE_TIME)  # the first create's hold ends: it commits
                while any(r.status == 0 for r in self.repo.requests()):
                    await asyncio.sleep(0.005)
        await self.app(scope, receive, send)


@pytest.mark.parametrize("provider", sorted(CASES))
def test_a_duplicate_made_by_a_late_create_is_removed_before_the_run_ends(
    repo: Repo, cli: Run, clock: FakeClock, loopback: LoopbackServers, provider: str
) -> None:
    path, objects, counted = CASES[provider]
    repo.write("objects.yaml", "version: 1\n" + objects)
    repo.sandbox.faults.add(Fault(kind="hold", seconds=SETTLE_TIME + 1, path=f"^{path}$",
                                  method="POST"))
    loopback.serve("sandbox", LateFirstCreate(repo.sandbox.app, repo=repo, clock=clock,
                                              path=path))
    result = cli("--create-timeout", CREATE_TIMEOUT, "--timeout", CREATE_TIMEOUT, "apply",
                 repo.root, "--auto-approve")
    creates = [r for r in repo.requests() if (r.method, r.path) == ("POST", path)]
    assert len(creates) == 2  # looked for until the settle time, then sent again, once
    assert "a duplicate made by a lost response was removed" in result.stdout
    assert "Read back: 1 verified, 0 unverified, 1 duplicate removed." in result.stdout
    assert live_per_key(repo)[counted] == 1
    removal = [r for r in repo.writes() if r.method in ("DELETE", "PATCH")]
    assert len(removal) == 1
    if provider == "prevail":  # cancelled without telling the participants a second time
        assert removal[0].path.endswith("/cancel")
        assert "cancel_without_email=true" in removal[0].query
    cli("plan", repo.root, "--detailed-exitcode", expect=0)
    journal = [json.loads(line) for line in
               (Path(".reconciler") / "journal.jsonl").read_text().splitlines()]
    assert [entry["event"] for entry in journal if entry["event"] in (
        "verified", "duplicate-removed")] == ["verified", "duplicate-removed"]


def test_an_update_answered_ok_that_did_not_hold_is_unverified_and_fails_the_run(
    repo: Repo, cli: Run
) -> None:
    repo.write("objects.yaml", "version: 1\nevents:\n" + event("e-one", "One", 5))
    cli("apply", repo.root, "--auto-approve")
    repo.write("objects.yaml", "version: 1\nevents:\n" + event("e-one", "One renamed", 5))
    # A front end answers 200 and drops the change: nothing was stored.
    repo.sandbox.faults.add(Fault(kind="answer", status=200, body={"event": {}},
                                  path=r"^/prospero/events/[^/]+$", method="PATCH"))
    result = cli("apply", repo.root, "--auto-approve", expect=1)
    assert "? events.e-one: unverified: still differs after the write (title)" in result.stdout
    assert "Read back: 0 verified, 1 unverified, 0 duplicates removed." in result.stdout
    assert f"Run `reconciler plan {repo.root}` to see what the remote state holds now." in (
        result.stdout)
    cli("plan", repo.root, "--detailed-exitcode", expect=2)  # the change is still there to make


def test_a_converged_apply_reads_nothing_back(repo: Repo, cli: Run) -> None:
    repo.write("objects.yaml", "version: 1\nevents:\n" + event("e-one", "One", 5))
    cli("apply", repo.root, "--auto-approve")
    repo.forget_requests()
    result = cli("apply", repo.root, "--auto-approve")
    assert "Read back" not in result.stdout
    assert len(repo.lists("/prospero/events")) == 1  # the plan's refresh, no read-back


def _first_and_last_of_700_changed(
    repo: Repo, cli: Run, clock: FakeClock, *, before_writes: bool = False
) -> list[RequestRecord]:
    """Apply 700 events (a window of two of Prospero's pages of 500), then, an hour later, a
    change to the first and the last: the list requests made after the last write (or, with
    `before_writes`, those between the plan's refresh and the first write)."""
    repo.write("objects.yaml", many_events(700))
    cli("apply", repo.root, "--auto-approve")
    backdate_events(repo)  # as an account's: last edited long before this run
    clock.advance(3600)  # an hour later, as a review would take
    repo.write("objects.yaml", many_events(700, renamed=frozenset({0, 699})))
    repo.forget_requests()
    result = cli("apply", repo.root, "--auto-approve")
    assert "Read back: 2 verified, 0 unverified, 0 duplicates removed." in result.stdout
    requests = repo.requests()
    if before_writes:
        first_write = min(i for i, r in enumerate(requests) if r.method == "PATCH")
        lists = [r for r in requests[:first_write] if r.method == "GET"
                 and r.path == "/prospero/events"]
        return lists[2:]  # after the refresh's two pages
    last_write = max(i for i, r in enumerate(requests) if r.method == "PATCH")
    return [r for r in requests[last_write:] if r.method == "GET"
            and r.path == "/prospero/events"]


def test_writes_spread_over_more_than_a_page_are_read_back_in_one_list(
    repo: Repo, cli: Run, clock: FakeClock
) -> None:
    read_back = _first_and_last_of_700_changed(repo, cli, clock)
    assert len(read_back) == 1  # recently updated first: one page holds both writes
    assert "order=lastUpdatedAt%3Adesc" in read_back[0].query


def test_the_check_before_the_writes_reads_what_moved_since_the_plan_in_one_list(
    repo: Repo, cli: Run, clock: FakeClock
) -> None:
    # The plan's refresh walked both pages; what moved since is recently updated first.
    checked = _first_and_last_of_700_changed(repo, cli, clock, before_writes=True)
    assert len(checked) == 1
    assert "order=lastUpdatedAt%3Adesc" in checked[0].query


class IgnoresOrder:
    """A front end that drops the `order` parameter of every list, as a server that does not
    know it would ignore it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = [part for part in scope["query_string"].split(b"&")
                     if not part.startswith(b"order=")]
            scope = {**scope, "query_string": b"&".join(query)}
        await self.app(scope, receive, send)


def test_a_read_back_whose_order_is_not_honoured_walks_the_window(
    repo: Repo, cli: Run, clock: FakeClock, loopback: LoopbackServers
) -> None:
    # A server that pages but ignores the order: its first page holds the first 500 events by
    # start, not newest first, so nothing is concluded from it.
    loopback.serve("sandbox", IgnoresOrder(repo.sandbox.app))
    read_back = _first_and_last_of_700_changed(repo, cli, clock)
    assert len(read_back) == 3  # the ordered page, then the window's two pages
