"""What a user reads when an API asks for a pause: waited for within `--max-retry-after`,
reported (what was asked, what the run did, when to run again) beyond it."""

from __future__ import annotations

import pytest

from reconciler.sandbox.faults import Fault
from tests.fixtures.clock import FakeClock
from tests.fixtures.faults import assignment
from tests.fixtures.repo import Repo, Run, providers_yaml

LIST = "^/previsto/assignments$"
ONE = "^/previsto/assignments/[^/]+$"


@pytest.fixture
def config(repo: Repo, sandbox_url: str) -> Repo:
    # Pacing lifted: the requests the faults answer are what is tested, not the pacer.
    repo.write("providers.yaml", providers_yaml(sandbox_url, previsto_rate=60_000))
    repo.write(
        "assignments.yaml",
        "version: 1\nassignments:\n"
        + assignment("a-a", "asgmt-klJ23j4L23j43", "north")
        + assignment("a-b", "asgmt-Zp3Kw9Hs2Yb6D", "south"),
    )
    return repo


def test_a_retry_after_beyond_the_bound_stops_the_plan_with_a_message(
    config: Repo, cli: Run
) -> None:
    """api-contract.md, Prospero — Errors: 429 with `Retry-After` seconds [model] (any API may
    send one): an hour is not cut to 30 s without a word; the plan stops at once and says what
    the server asked, the bound, and when to run again."""
    config.sandbox.faults.add(
        Fault(kind="status", path=LIST, status=429, retry_after=3600, times=None)
    )
    result = cli("plan", config.root, expect=1)
    assert "Error: previsto GET /assignments: answered 429 and asked to wait 3600 s" in (
        result.stderr
    )
    assert "more than the 120 s a run waits (--max-retry-after); run again after " in (
        result.stderr
    )
    assert len(config.lists("/previsto/assignments")) == 1


@pytest.mark.parametrize(("bound", "exit_code", "requests"), [("0.2", 1, 1), ("2", 0, 3)])
def test_max_retry_after_sets_the_longest_wait(
    config: Repo, cli: Run, clock: FakeClock, bound: str, exit_code: int, requests: int
) -> None:
    """api-contract.md, Prospero — Errors: `Retry-After` [model]: within `--max-retry-after` the
    pause is waited for exactly (then the 400 on the larger page and the pages of 100 follow),
    beyond it the run stops."""
    config.sandbox.faults.add(Fault(kind="status", path=LIST, status=429, retry_after=0.5))
    cli("--max-retry-after", bound, "plan", config.root, expect=exit_code)
    walks = config.lists("/previsto/assignments")
    assert [r.status for r in walks][:3] == [429, 400, 200][:requests]
    assert all(r.status == 200 for r in walks[3:])  # the rest of the refresh's lists
    # Waited exactly the 0.5 s asked where the bound allows it, and nothing where it does not.
    assert clock.waits_for("retry") == ([0.5] if exit_code == 0 else [])


def test_during_a_refused_pause_apply_sends_nothing_more_and_says_so(
    config: Repo, cli: Run
) -> None:
    """api-contract.md, Prospero — Errors: `Retry-After` [model]: once the server has asked for
    an hour's pause, the next write is not sent into it; both changes are reported failed,
    each with the reason."""
    config.sandbox.faults.add(
        Fault(kind="status", path=ONE, method="PUT", status=429, retry_after=3600)
    )
    result = cli("apply", config.root, "--auto-approve", "--parallelism", "1", expect=1)
    puts = [r for r in config.requests() if r.method == "PUT"]
    assert [r.status for r in puts] == [429]
    said = result.stdout + result.stderr
    assert "answered 429 and asked to wait 3600 s" in said
    assert "not sent: the server asked for a pause of 3600 s (Retry-After)" in said
