"""Smoke test of the benchmark harness: `python -m benchmarks --quick` end to end (N = 1,000).

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


def test_quick_run_writes_every_table(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    results = main(["--quick", "--out", str(out)])

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
    assert scale.n == 1000
    engine = [run for run in scale.plans if run.tool == "engine"]
    peer = [run for run in scale.plans if run.tool == "peer"]
    assert [run.changes for run in engine] == [0, 30]
    for run in engine:  # the row is the median-CPU run of those listed
        assert len(run.cpu_runs) == PLAN_RUNS
        assert run.cpu_s == sorted(run.cpu_runs)[PLAN_RUNS // 2]
    assert [run.requests for run in peer] == [
        {"sessions": 1000, "events": 1000, "assignments": 1000}
    ]
    # One list per kind of what can matter, at the largest page: within the walk's bound.
    assert all(engine[0].requests[kind] <= lower_bound(kind, scale.listed[kind])
               for kind in KINDS)
    assert scale.listed["events"] == 1000  # Prospero's list is filtered to managed events
    assert [(w.kind, w.changed, w.engine_writes, w.peer_writes) for w in scale.writes] == [
        ("sessions", 10, 10, 10), ("events", 10, 10, 10), ("assignments", 10, 10, 10)
    ]
    assert scale.converged_apply_writes == 0
    assert scale.creates["engine_posts"] == 10 and scale.creates["peer_posts"] == 1000
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
    assert plans["peer", 2000].requests == {kind: 20 for kind in KINDS}
    assert "requests per kind at H = 2,000 ≤ H = 0 + 2, D = 20" in text
