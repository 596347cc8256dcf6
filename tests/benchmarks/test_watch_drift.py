"""Smoke test of the watch benchmark: six simulated minutes of a watched schedule, one lossy
webhook feed and a colleague's edits, on the benchmark's own simulated clock (no real waiting).

The figures of an hour are the benchmark's business; the counts that do not depend on the
machine are checked here: every edit reported, none twice, one list per kind per quiet sweep.
"""

from __future__ import annotations

from benchmarks.watch_drift import measure


def test_six_minutes_of_lossy_webhooks_report_every_edit_once() -> None:
    row = measure(events=4, minutes=6, sweep=60, storm=False, history=0)
    assert row["edits"] > 0
    assert row["missed"] == 0
    assert row["twice"] == 0
    assert row["duplicates"] == 0
    # A sweep is within a minute of any edit the webhooks lost; the debounce adds seconds.
    assert row["max"] <= 60 + 10
    assert row["steady_per_sweep"] == {
        "sessions": 1.0, "events": 1.0, "assignments": 1.0, "auth": 0.0
    }
