"""Creates that an interrupted apply left on the wire, waited out before the next apply plans.

An apply killed while its creates were in flight (kill -9, a cancelled CI job, a lost runner)
leaves them to the server, and each may still land, late. Its journal shows them: a `start` line
for a create with no outcome after it. A new apply that planned at once would find them missing
and create them again, so before it refreshes it waits until the newest such create's window has
passed (the create's read timeout plus the settle time, from when it was sent), then plans from
what landed. Only the journal's tail is read: an interruption older than the window is history.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from reconciler import clock
from reconciler.model import Action

# What of the journal is read: far more than an apply's lines within any window.
JOURNAL_TAIL = 1 << 20
CREATING = frozenset({Action.CREATE.value, Action.REPLACE.value})
# The lines that end a change's story in the journal.
OUTCOMES = frozenset({"applied", "failed"})


def unfinished_creates(journal: Path) -> dict[str, datetime]:
    """The creates the journal shows started and never ended, by address, with when they
    started."""
    try:
        if not stat.S_ISREG(journal.stat().st_mode):
            return {}  # a device (`--journal /dev/full`) or a fifo holds no past runs
        with journal.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - JOURNAL_TAIL))
            tail = handle.read(JOURNAL_TAIL).decode("utf-8", errors="replace")
    except OSError:
        return {}  # no journal (a first run), or none readable: nothing is known in flight
    lines = tail.splitlines()[1:] if size > JOURNAL_TAIL else tail.splitlines()
    pending: dict[str, datetime] = {}
    for line in lines:
        try:
            entry = json.loads(line)
            address, event = str(entry["address"]), entry["event"]
            if event == "start" and entry.get("action") in CREATING:
                pending[address] = _instant(entry["time"])
            elif event in OUTCOMES:
                pending.pop(address, None)
        except (ValueError, KeyError, TypeError):
            continue  # a line cut off by the interruption itself
    return pending


def settle_interrupted(
    journal: Path, *, window: float, on_wait: Callable[[int, float], None] | None = None
) -> float:
    """Wait (on the injected clock) until every create an interrupted apply left in flight
    within the last `window` seconds may have landed; returns the seconds waited."""
    ticking = clock.current()
    now = ticking.utcnow()
    recent = [
        started for started in unfinished_creates(journal).values()
        if (now - started).total_seconds() < window
    ]
    if not recent:
        return 0.0
    remaining = (max(recent) - now).total_seconds() + window
    if on_wait is not None:
        on_wait(len(recent), remaining)
    ticking.sleep(remaining, why="interrupted")
    return remaining


def _instant(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
