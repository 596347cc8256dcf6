"""Policy tests: folders of rules written for the test, and commands that run as processes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.fixtures.clock import FakeClock

EXAMPLE_POLICIES = Path(__file__).resolve().parents[2] / "examples" / "policies"


@pytest.fixture
def processes_run(clock: FakeClock) -> FakeClock:
    """A policy command is a real process: each poll of it lets a little real time pass, so
    that a command that answers at once is not timed out by the test's instant clock."""
    clock.on_sleep = lambda _seconds: time.sleep(0.01)  # a fifth of LONGEST_REAL_SLEEP
    return clock


def policy_folder(root: Path, name: str, text: str) -> Path:
    """A policy folder holding one file of rules or commands."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rules.policy.yaml").write_text(text, encoding="utf-8")
    return folder
