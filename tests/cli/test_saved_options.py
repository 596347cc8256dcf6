"""A saved plan is applied with the options it was made with: one asked for at apply time that
the plan lacks is refused, before any request, rather than dropped without a word."""

from __future__ import annotations

import pytest

from tests.fixtures.repo import Repo, Run

EVENTS = """version: 1
events:
  - key: board-dinner
    title: Board dinner
    start: 2030-03-01T18:00:00Z
    end: 2030-03-01T21:00:00Z
"""


@pytest.mark.parametrize("flag", ["--prune", "--adopt", "--adopt-unscoped", "--strict"])
def test_an_option_the_plan_was_made_without_is_refused(repo: Repo, cli: Run, flag: str):
    repo.write("events.yaml", EVENTS)
    saved = repo.root.parent / "plan.json"
    cli("plan", repo.root, "-o", saved)
    repo.forget_requests()

    refused = cli("apply", saved, "--auto-approve", flag, expect=1)
    assert (
        f"the plan job and the apply job pass different options: plan had none, apply has "
        f"{flag}; put shared options in providers.yaml's defaults: block"
    ) in refused.stderr
    assert repo.requests() == []


def test_the_option_the_plan_was_made_with_may_be_repeated(repo: Repo, cli: Run):
    repo.write("events.yaml", EVENTS)
    saved = repo.root.parent / "plan.json"
    cli("plan", repo.root, "--prune", "-o", saved)
    cli("apply", saved, "--auto-approve", "--prune")
    assert [r.method for r in repo.writes()] == ["POST"]
