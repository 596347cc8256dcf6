"""One pacer per credential: the slots a key's rate limit allows are shared by every client of
the key, in this process and, through the pacing store, in other processes on the machine."""

from __future__ import annotations

import base64
import itertools
import logging
import sqlite3
from pathlib import Path

import pytest

from reconciler.transport.pacing import Pacer, pacer_for
from tests.fixtures.clock import FakeClock
from tests.fixtures.faults import assignment
from tests.fixtures.repo import Repo, Run, providers_yaml

# Previsto's 120 a minute, paced at 98 %: 117 slots, one every 512 ms at least (whole ms).
SPACING = 0.512


def _turn_times(pacers: list[Pacer], clock: FakeClock, rounds: int) -> list[float]:
    """Each pacer takes a turn in order, `rounds` times (two runs interleaving their requests):
    the clock's time at each turn."""
    times = []
    for _ in range(rounds):
        for pacer in pacers:
            pacer.wait_turn()
            times.append(clock.time())
    return times


def test_two_processes_on_one_store_share_the_key_s_slots(tmp_path: Path, clock: FakeClock):
    store = tmp_path / "pacing.sqlite"
    # Two pacers of one credential on one store file, each with its own connection: what two
    # processes on the machine hold.
    first, second = (Pacer(120, store=store, name="key") for _ in range(2))
    assert first.shared and second.shared
    times = _turn_times([first, second], clock, rounds=10)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # Never two requests of the key closer than one slot (in whole ms: the clock is a float).
    assert min(round(gap * 1000) for gap in gaps) >= SPACING * 1000
    assert len(times) / (times[-1] - times[0] + SPACING) * 60 < 120  # the key's limit


def test_pacers_without_a_shared_store_each_pace_alone_at_twice_the_rate(clock: FakeClock):
    # What two processes did before the store: each at 117 a minute, so the key saw 234.
    first, second = Pacer(120), Pacer(120)
    times = _turn_times([first, second], clock, rounds=10)
    assert len(times) / (times[-1] - times[0] + SPACING) * 60 > 200


def test_one_credential_is_one_pacer_in_the_process(tmp_path: Path, clock: FakeClock):
    store = tmp_path / "pacing.sqlite"
    assert pacer_for("digest-a", 120, store=store) is pacer_for("digest-a", 120, store=store)
    assert pacer_for("digest-a", 120, store=store) is not pacer_for("digest-b", 120, store=store)


def test_an_unusable_store_paces_the_run_alone_and_says_so(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="reconciler.transport"):
        pacer = Pacer(120, store=blocker / "pacing.sqlite", name="key")
    assert not pacer.shared
    assert "the shared store pacing.sqlite cannot be used" in caplog.text
    times = _turn_times([pacer], clock, rounds=3)
    assert min(b - a for a, b in itertools.pairwise(times)) >= SPACING * 0.99


def test_a_run_paces_previsto_through_the_machine_s_store_without_its_key(
    repo: Repo, cli: Run, sandbox_url: str, tmp_path: Path
):
    repo.write("providers.yaml", providers_yaml(sandbox_url))  # Previsto's documented 120/min
    repo.write("assignments.yaml", "version: 1\nassignments:\n"
               + assignment("a-a", "asgmt-klJ23j4L23j43", "north"))
    cli("apply", repo.root, "--auto-approve")
    store = tmp_path / "cache" / "reconciler" / "pacing.sqlite"
    with sqlite3.connect(store) as db:
        tables = [name for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        [table] = [name for name in tables if name.startswith("pace_")]
        (slots,) = db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()
    assert slots == len([r for r in repo.requests() if r.path.startswith("/previsto/")])
    content = store.read_bytes()
    assert b"sk_sandbox" not in content and base64.b64encode(b"sk_sandbox:") not in content
