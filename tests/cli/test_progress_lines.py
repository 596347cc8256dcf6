"""Away from a terminal (a CI log), a long apply prints a progress line at least every 10 s of
its clock, Terraform's "Still applying... [10s elapsed]", and no more often."""

from __future__ import annotations

import itertools
import re

from starlette.types import ASGIApp, Receive, Scope, Send

from tests.fixtures.clock import FakeClock
from tests.fixtures.faults import many_events
from tests.fixtures.loopback import LoopbackServers
from tests.fixtures.repo import Repo, Run

UPDATES = 1000
LATENCY = 0.2  # seconds each update takes the server, on the test's clock

LINE = re.compile(r"^Still applying: ([\d,]+) of 1,000 changes done \[(?:(\d+)m)?(\d+)s elapsed\]$")


class SlowUpdates:
    """The sandbox, answering each update `LATENCY` seconds later on the test's clock (the
    `latency` fault waits real time, which a test does not spend)."""

    def __init__(self, app: ASGIApp, *, clock: FakeClock) -> None:
        self.app, self.clock = app, clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "PATCH":
            self.clock.advance(LATENCY)
        await self.app(scope, receive, send)


def test_an_apply_of_1000_slow_updates_prints_a_line_at_least_every_10_seconds(
    repo: Repo, cli: Run, clock: FakeClock, loopback: LoopbackServers
) -> None:
    repo.write("e.yaml", many_events(UPDATES))
    cli("apply", repo.root, "--auto-approve")
    repo.write("e.yaml", many_events(UPDATES, renamed=frozenset(range(UPDATES))))
    loopback.serve("sandbox", SlowUpdates(repo.sandbox.app, clock=clock))
    result = cli("apply", repo.root, "--auto-approve", "--force", "--parallelism", "1")
    lines = [line for line in result.stderr.splitlines() if line.startswith("Still applying")]
    matches = [LINE.match(line) for line in lines]
    assert lines and all(matches), lines
    done = [int(match[1].replace(",", "")) for match in matches if match]
    seconds = [int(match[2] or 0) * 60 + int(match[3]) for match in matches if match]
    # 1,000 updates of 200 ms: 200 s, a line each 10 s of it (the last one followed by the
    # summary rather than a line).
    assert seconds[0] == 10
    assert all(9 <= later - earlier <= 11 for earlier, later in itertools.pairwise(seconds))
    assert len(lines) >= 19
    assert done == sorted(done) and done[-1] < UPDATES
    assert "Still applying" not in result.stdout  # the log's lines are stderr's


def test_a_short_apply_prints_no_progress_line(repo: Repo, cli: Run) -> None:
    repo.write("e.yaml", many_events(3))
    result = cli("apply", repo.root, "--auto-approve")
    assert "Still" not in result.stderr


class SlowPages:
    """The sandbox, answering each page of Prospero's event list `PAGE_TIME` seconds later on
    the test's clock."""

    def __init__(self, app: ASGIApp, *, clock: FakeClock) -> None:
        self.app, self.clock = app, clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"], scope["method"], scope["path"]) == ("http", "GET", "/prospero/events"):
            self.clock.advance(PAGE_TIME)
        await self.app(scope, receive, send)


PAGE_TIME = 6.0


def test_a_slow_refresh_says_how_many_objects_it_has_read(
    repo: Repo, cli: Run, clock: FakeClock, loopback: LoopbackServers
) -> None:
    repo.write("e.yaml", many_events(1200))  # three pages of 500
    cli("apply", repo.root, "--auto-approve")
    loopback.serve("sandbox", SlowPages(repo.sandbox.app, clock=clock))
    result = cli("plan", repo.root)
    lines = [line for line in result.stderr.splitlines() if line.startswith("Still")]
    assert lines, result.stderr
    assert all(
        re.fullmatch(
            r"Still refreshing: (\w+ [\d,]+, )*prospero [\d,]+ objects read \[\d+s elapsed\]", line
        )
        for line in lines
    ), lines
