"""Smoke test of the benchmark harness: `python -m benchmarks --quick` end to end, with smaller
runs than the quick one's beside its N = 1,000 (16 updates, 200 new events, D = 4): the
benchmark spends real time in its processes by design, and the test only proves the runner.

It proves the runner works and writes every table with its columns; the figures themselves are
the benchmark's business, except for the counts that do not depend on the machine.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.run import main
from benchmarks.scenarios import KINDS, PLAN_RUNS, lower_bound

TABLE_HEADERS = (
    "| target | measured | verdict |",
    "| N per kind | kind | listed | engine list requests | ⌈listed/page max⌉ | ⌈N/page max⌉ "
    "| peer GETs | peer ÷ engine |",
    "| N per kind | objects | state | tool | wall s | CPU s | CPU s, every run | peak RSS MB "
    "| diff share of CPU | requests | changes found |",
    "| N per kind | kind | changed | engine writes | peer writes | engine bytes/write "
    "| changed fields' bytes | engine ÷ changed | peer bytes/write |",
    "| N per kind | new events | engine POSTs | events in the largest POST | peer POSTs "
    "| engine apply wall s | peer wall s |",
    "| parallelism | apply phase s | updates/s | process wall s | failed |",
    "| updates | limit R/min | steady PUTs/min | share of R | overall PUTs/min "
    "| Previsto requests | 429s | process wall s |",
    "| D per kind | H per kind | kind | engine requests | every object walked "
    "| peer GETs (same data) |",
    "| D per kind | H per kind | tool | plan wall s | CPU s | requests | changes found |",
)


N = 1000
NEW_EVENTS = 200
DECLARED = 4
SMALL = ["--quick", "--sizes", str(N), "--new-events", str(NEW_EVENTS), "--updates", "16",
         "--previsto-updates", "10", "--declared", str(DECLARED)]


def test_quick_run_writes_every_table(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    results = main([*SMALL, "--out", str(out)])

    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks: minimal requests and speed at scale\n")
    assert "Machine: " in text and " cores, " in text and "Python 3." in text
    for header in TABLE_HEADERS:
        assert header in text, header
    for target in ("plan ≤ 5 s wall", "engine CPU ≤ 3.37 s", "diff ≤ 10 % of engine CPU",
                   "peak RSS ≤ 250 MB", "zero 429s", "converged apply = 0 writes"):
        assert target in text, target

    # Counts that hold on any machine: the quick run measured what it says it measured.
    (scale,) = results.scale
    assert scale.n == N
    engine = [run for run in scale.plans if run.tool == "engine"]
    peer = [run for run in scale.plans if run.tool == "peer"]
    assert [run.changes for run in engine] == [0, 3 * N // 100]
    for run in engine:  # the row is the median-CPU run of those listed
        assert len(run.cpu_runs) == PLAN_RUNS
        assert run.cpu_s == sorted(run.cpu_runs)[PLAN_RUNS // 2]
    assert [run.requests for run in peer] == [
        {"sessions": N, "events": N, "assignments": N}
    ]
    # One list per kind of what can matter, at the largest page: within the walk's bound.
    bounds = {kind: lower_bound(kind, scale.listed[kind]) for kind in KINDS}
    assert all(engine[0].requests[kind] <= bounds[kind] for kind in KINDS), (
        engine[0].requests, bounds, scale.listed)
    assert scale.listed["events"] == N  # Prospero's list is filtered to managed events
    one_percent = N // 100
    assert [(w.kind, w.changed, w.engine_writes, w.peer_writes) for w in scale.writes] == [
        (kind, one_percent, one_percent, one_percent) for kind in ("sessions", "events",
                                                                   "assignments")
    ]
    assert scale.converged_apply_writes == 0
    # The 1 % apply reads back its writes with one list per kind: sessions and assignments over
    # their window; the ten changed events are spread over all 1,000 (every hundredth), a window
    # of two of Prospero's pages, so they are read recently updated first, in one page.
    assert scale.read_back_lists == {"sessions": 1, "events": 1, "assignments": 1}, (
        scale.read_back_lists)
    assert "read-back after the writes ≤ 1 list request per kind" in text
    # Right before its first write, the apply reads the same objects again: sessions and
    # assignments as the read-back does, events recently updated first (what moved since the
    # plan's first answer), one page.
    assert scale.pre_write_lists == {"sessions": 1, "events": 1, "assignments": 1}, (
        scale.pre_write_lists)
    assert "check before the first write ≤ 1 list request per kind" in text
    # Prospero's bulk create takes 100 events a request; the peer sends one at a time.
    assert scale.creates["engine_posts"] == NEW_EVENTS // 100
    assert scale.creates["peer_posts"] == NEW_EVENTS
    assert results.throughput is not None and results.throughput.failed == {1: 0, 8: 0}
    assert [p.rate_limited for p in results.pacing] == [0]
    # The history: 2,000 past objects per kind cost a converged plan at most 2 more requests
    # per kind; the peer pays one GET per declared object.
    assert results.history is not None
    plans = {(plan.tool, plan.history): plan for plan in results.history.plans}
    assert set(plans) == {("engine", 0), ("engine", 2000), ("peer", 2000)}
    assert all(plan.changes == 0 for plan in plans.values())
    for kind in KINDS:
        assert plans["engine", 2000].requests[kind] <= plans["engine", 0].requests[kind] + 2
        assert plans["engine", 2000].walk(kind) > 1  # a walk of every object would cost more
    assert plans["peer", 2000].requests == {kind: DECLARED for kind in KINDS}
    assert f"requests per kind at H = 2,000 ≤ H = 0 + 2, D = {DECLARED}" in text
