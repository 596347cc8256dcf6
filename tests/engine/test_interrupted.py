"""The creates an interrupted apply left in flight, read from its journal, and the wait for them."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.engine.apply import Journal
from reconciler.engine.interrupted import settle_interrupted, unfinished_creates
from reconciler.model import Action, Address, Change
from tests.fixtures.clock import FakeClock


def change(key: str, action: Action = Action.CREATE) -> Change:
    return Change(address=Address("events", key), provider="prospero", action=action,
                  reason="declared")


def test_a_start_without_an_outcome_is_unfinished_and_an_outcome_ends_it(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    for key in ("done", "failed", "in-flight"):
        journal.write("start", change(key))
    journal.write("start", change("updated", Action.UPDATE))  # not a create: nothing to land
    journal.write("lost", change("done"))
    journal.write("applied", change("done"))
    journal.write("failed", change("failed"))
    with journal.path.open("a") as handle:
        handle.write('{"event": "start", "address": "events.cut')  # the kill cut this line
    assert list(unfinished_creates(journal.path)) == ["events.in-flight"]


def test_the_wait_ends_a_window_after_the_newest_unfinished_create(
    tmp_path: Path, clock: FakeClock
) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    journal.write("start", change("old"))
    clock.advance(40)
    journal.write("start", change("new"))
    clock.advance(10)
    told: list[tuple[int, float]] = []
    waited = settle_interrupted(journal.path, window=90,
                                on_wait=lambda count, seconds: told.append((count, seconds)))
    assert waited == pytest.approx(80) and clock.waits_for("interrupted") == [waited]
    assert told == [(2, waited)]


def test_nothing_is_waited_for_past_the_window_or_without_a_journal(
    tmp_path: Path, clock: FakeClock
) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    journal.write("start", change("long-ago"))
    clock.advance(91)
    assert settle_interrupted(journal.path, window=90) == 0.0
    assert settle_interrupted(tmp_path / "missing.jsonl", window=90) == 0.0
    assert clock.waits == []


def test_a_journal_that_is_a_device_is_not_read(tmp_path: Path) -> None:
    """`--journal /dev/full` (or /dev/zero) would read zeros without end."""
    assert unfinished_creates(Path("/dev/zero")) == {}
