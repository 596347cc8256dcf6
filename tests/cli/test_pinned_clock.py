"""`RECONCILER_NOW` pins the clock only for the sandbox and test suites.

The safety rails read the clock; a pin against a real account would switch them off silently.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.repo import Repo, Run

SESSION = """\
sessions:
  - key: kickoff
    title: Kickoff
    case: 2027-CV-0001
    start: 2027-03-02T10:00
    time_zone: America/New_York
    duration_hours: 1
"""


@pytest.fixture(autouse=True)
def _no_test_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    # These tests run as a user would: without the suite's switch.
    monkeypatch.delenv("RECONCILER_ALLOW_PINNED_CLOCK")
    monkeypatch.setenv("RECONCILER_NOW", "2027-01-04T00:00:00Z")


@pytest.mark.parametrize("command", [("apply", "--auto-approve"), ("plan",), ("drift",)])
def test_a_pinned_clock_outside_the_sandbox_is_refused_before_any_request(
    repo: Repo, cli: Run, command: tuple[str, ...]
) -> None:
    # The providers point at a server on loopback, but the run does not say --sandbox: a
    # loopback URL may be a tunnel to a real account.
    repo.write("sessions.yaml", SESSION)
    result = cli(*command, repo.root, expect=1)
    assert result.stderr.splitlines() == [
        "Error: RECONCILER_NOW is set, but it pins the clock the safety rails read and is "
        "honoured only with --sandbox or in test suites (RECONCILER_ALLOW_PINNED_CLOCK=1); "
        "unset it to run against a real account"
    ]
    assert repo.requests() == []


def test_a_sandbox_run_honours_the_pin_and_says_so(repo: Repo, cli: Run, tmp_path: Path) -> None:
    repo.write("sessions.yaml", SESSION)
    result = cli("plan", repo.root, "--sandbox", "--sandbox-db", tmp_path / "sandbox.db")
    assert (
        "Note: the clock is pinned to 2027-01-04T00:00:00Z by RECONCILER_NOW (--sandbox)"
        in result.stderr.splitlines()
    )
    assert "Plan: 1 to create" in result.stdout


def test_validate_honours_the_pin_and_says_so(repo: Repo, cli: Run) -> None:
    repo.write("sessions.yaml", SESSION)
    result = cli("validate", repo.root)
    assert result.stderr.splitlines() == [
        "Note: the clock is pinned to 2027-01-04T00:00:00Z by RECONCILER_NOW (validate)"
    ]
