"""The measured scenarios: each one runs the engine (and the per-object peer) as its own process
against a sandbox process, and returns plain figures for `report.py` to tabulate.

- `scale(n)`: N managed objects per kind; plan converged and 1 % changed (engine and peer),
  the diff's CPU share, hot spots and memory held, apply of the 1 % (engine), apply again
  (0 writes), the peer's full-body writes, and 1,000 new events by bulk create (engine) and one
  by one (peer).
- `throughput(k)`: k Prospero updates with 20 ms latency injected on PATCH, parallelism 1 vs 8.
- `previsto_pacing(m, rate)`: m metadata updates against a sandbox whose Previsto limit is `rate`
  requests per minute, with the same `requests_per_minute` in the config.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks import measure
from benchmarks.dataset import ENVIRONMENT, Dataset
from benchmarks.harness import PREVISTO_KEY, prevail_token, sandbox_process

KINDS = ("sessions", "events", "assignments")
PAGE_MAX = {"sessions": 1000, "events": 500, "assignments": 1000}
BULK_MAX = 100
# The schema's maximum: keeps the engine's own pacing (98 % of it) out of the plan figures.
UNPACED = 100_000
SANDBOX_UNLIMITED = 1_000_000
# The engine's plan is timed this many times per state and the run with the median CPU kept:
# on a shared 2-core machine one run's CPU varies by about 20 %.
PLAN_RUNS = 3
# Likewise each parallelism's apply in the throughput run: its 8-way phase is CPU-bound on two
# cores shared with the sandbox, and one run of it varies by about 20 %.
THROUGHPUT_RUNS = 3
PROSPERO_TOKEN = "sandbox-prospero-token"

Log = Callable[[str], None]


@dataclass
class PlanRun:
    tool: str  # "engine" | "peer"
    state: str  # "converged" | "1 % changed"
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    requests: dict[str, int]  # per kind: list requests (engine) or GETs by id (peer)
    changes: int
    diff_share: float | None = None
    cpu_runs: tuple[float, ...] = ()  # every run's CPU, when the row is the median of several


@dataclass
class KindWrites:
    kind: str
    changed: int
    engine_writes: int
    engine_bytes: float  # mean body bytes per write
    changed_bytes: float  # mean bytes of the changed fields' JSON
    peer_writes: int
    peer_bytes: float


@dataclass
class ScaleResult:
    n: int
    listed: dict[str, int]  # objects the API lists per kind (managed + unmanaged)
    plans: list[PlanRun] = field(default_factory=list)
    writes: list[KindWrites] = field(default_factory=list)
    converged_apply_writes: int = -1
    # List requests per kind the 1 % apply made beyond its plan's: before its first write (the
    # check that nothing it writes moved since the plan was read), and after its last (the
    # read-back of its writes).
    pre_write_lists: dict[str, int] = field(default_factory=dict)
    read_back_lists: dict[str, int] = field(default_factory=dict)
    creates: dict[str, Any] = field(default_factory=dict)
    hot_spots: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)


@dataclass
class ThroughputResult:
    updates: int
    latency_s: float
    seconds: dict[int, float]  # parallelism → apply phase seconds (journal), the median run's
    wall: dict[int, float]  # parallelism → whole process wall, the median run's
    failed: dict[int, int]  # parallelism → failed changes, over all runs
    runs: dict[int, list[float]]  # parallelism → every run's apply phase seconds


@dataclass
class PacingResult:
    updates: int
    rate: int
    steady_per_minute: float
    overall_per_minute: float
    previsto_requests: int
    rate_limited: int
    wall_s: float


class Bench:
    """One sandbox process and a work directory: runs commands and reads the request log."""

    def __init__(self, origin: str, work: Path, admin: httpx.Client, log: Log) -> None:
        self.origin = origin
        self.work = work
        self.admin = admin
        self.log = log
        self.env = {**os.environ, **ENVIRONMENT}
        root = str(Path(__file__).resolve().parents[1])
        self.env["PYTHONPATH"] = os.pathsep.join(
            p for p in (root, os.environ.get("PYTHONPATH", "")) if p
        )

    def run(self, args: list[str], *codes: int) -> tuple[measure.ProcessRun, measure.Traffic]:
        measure.forget(self.admin)
        done = measure.expect_exit(measure.run_process(args, env=self.env, cwd=self.work), *codes)
        self.log(f"    {' '.join(a if '/' not in a else Path(a).name for a in args[2:])}: "
                 f"{done.wall_s:.2f} s wall, {done.cpu_s:.2f} s CPU")
        return done, measure.traffic(self.admin)

    def naive(self, config: Path, *, apply: bool) -> tuple[measure.ProcessRun, dict[str, Any]]:
        summary = self.work / "peer-summary.json"
        args = measure.python_module(
            "benchmarks.naive", config, "--state", self.work / "state.json",
            "--summary", summary, *(["--apply"] if apply else []),
        )
        done, _ = self.run(args, 0)
        result: dict[str, Any] = json.loads(summary.read_text(encoding="utf-8"))
        errors = {kind: tally["errors"] for kind, tally in result.items() if tally["errors"]}
        if errors:
            raise RuntimeError(f"the per-object peer failed: {errors}")
        return done, result


def listed_counts(admin: httpx.Client) -> dict[str, int]:
    """How many objects each refresh walks: what the lists return (unmanaged ones included)."""
    prevail = admin.get(
        "/prevail/sessions", params={"per_page": 1},
        headers={"Authorization": f"Bearer {prevail_token()}"},
    ).json()["pagy"]["count"]
    prospero = admin.get(
        "/prospero/events", params={"customFields.managed_by": "reconciler", "limit": 1},
        headers={"Authorization": f"Bearer {PROSPERO_TOKEN}"},
    ).json()["total"]
    previsto = admin.get(
        "/previsto/assignments", params={"size": 1}, auth=(PREVISTO_KEY, "")
    ).headers["X-Total-Count"]
    return {"sessions": int(prevail), "events": int(prospero), "assignments": int(previsto)}


def lower_bound(kind: str, listed: int) -> int:
    return max(1, math.ceil(listed / PAGE_MAX[kind]))


def _plan_json(done: measure.ProcessRun) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def changed_fields_bytes(change: Mapping[str, Any]) -> int:
    """The JSON of what changed: each changed field's new value (for a dict, its changed keys)."""
    changed: dict[str, Any] = {}
    for item in change["fields"]:
        before, after = item["before"], item["after"]
        if isinstance(before, dict) and isinstance(after, dict):
            after = {k: v for k, v in after.items() if before.get(k) != v}
        changed[item["field"]] = after
    return len(json.dumps(changed).encode())


def request_bytes(change: Mapping[str, Any]) -> list[int]:
    # As `Provider.send` serialises a body: json.dumps with its default separators.
    return [len(json.dumps(call["body"]).encode()) for call in change["requests"] if "body" in call]


def _mean(values: list[int] | list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


# -- N objects per kind -------------------------------------------------------------------------


def scale(n: int, work: Path, log: Log, *, new_events: int = 1000, profile: bool = True,
          light: bool = False) -> ScaleResult:
    """`light` (quick mode): the diff share on the changed plan only, the peer's converged plan
    only."""
    with sandbox_process(previsto_rate_limit=SANDBOX_UNLIMITED) as origin, httpx.Client(
        base_url=origin, timeout=600
    ) as admin:
        bench = Bench(origin, work, admin, log)
        data = Dataset(sessions=n, events=n, assignments=n)
        log(f"  seeding {n:,} objects per kind")
        data.seed(admin)
        data.write_state(work / "state.json")
        converged = data.write_config(work / "converged", origin=origin, previsto_rate=UNPACED)
        changed = data.write_config(
            work / "changed", origin=origin, previsto_rate=UNPACED, variant="changed"
        )
        result = ScaleResult(n=n, listed=listed_counts(admin))
        expected = data.changed_count()

        for state, config in (("converged", converged), ("1 % changed", changed)):
            runs = [
                bench.run(measure.engine("plan", config, "--format", "json"), 0)
                for _ in range(PLAN_RUNS)
            ]
            done, seen = sorted(runs, key=lambda run: run[0].cpu_s)[PLAN_RUNS // 2]
            plan = _plan_json(done)
            result.plans.append(PlanRun(
                "engine", state, done.wall_s, done.cpu_s, done.peak_rss_mb,
                {kind: seen.lists(kind) for kind in KINDS}, len(plan["changes"]),
                cpu_runs=tuple(run[0].cpu_s for run in runs),
            ))
            if state == "1 % changed":
                changes = plan["changes"]
            elif light:
                continue
            result.plans[-1].diff_share = _profiled_plan(bench, "timing", config)["diff_share"]
        if profile:
            result.hot_spots = _profiled_plan(bench, "cprofile", changed)
            result.memory = _profiled_plan(bench, "memory", changed)
        peer_plans = (("converged", converged),) if light else (
            ("converged", converged), ("1 % changed", changed)
        )
        for state, config in peer_plans:
            done, summary = bench.naive(config, apply=False)
            result.plans.append(PlanRun(
                "peer", state, done.wall_s, done.cpu_s, done.peak_rss_mb,
                {kind: summary[kind]["gets"] for kind in KINDS},
                sum(summary[kind]["differing"] for kind in KINDS),
            ))

        log("  apply of the 1 % (engine), again (converged), back by the peer (full bodies)")
        _, seen = bench.run(measure.engine(
            "apply", changed, "--auto-approve", "--journal", work / "journal-1pct.jsonl"
        ), 0)
        engine_writes = {kind: len(seen.writes(kind)) for kind in KINDS}
        planned = next(p for p in result.plans if p.tool == "engine" and p.state == "1 % changed")
        result.pre_write_lists = {
            kind: seen.lists_before_first_write(kind) - planned.requests[kind] for kind in KINDS
        }
        result.read_back_lists = {
            kind: seen.lists(kind) - seen.lists_before_first_write(kind) for kind in KINDS
        }
        _, seen = bench.run(measure.engine(
            "apply", changed, "--auto-approve", "--journal", work / "journal-again.jsonl"
        ), 0)
        result.converged_apply_writes = len(seen.writes())
        _, peer = bench.naive(converged, apply=True)
        for kind in KINDS:
            ours = [c for c in changes if c["kind"] == kind]
            sent = [size for c in ours for size in request_bytes(c)]
            result.writes.append(KindWrites(
                kind=kind,
                changed=expected[kind],
                engine_writes=engine_writes[kind],
                engine_bytes=_mean(sent),
                changed_bytes=_mean([changed_fields_bytes(c) for c in ours]),
                peer_writes=peer[kind]["writes"],
                peer_bytes=peer[kind]["write_bytes"] / max(1, peer[kind]["writes"]),
            ))
        if new_events:
            result.creates = _creates(bench, data, new_events)
        return result


def _creates(bench: Bench, data: Dataset, count: int) -> dict[str, Any]:
    """`count` new events: the engine's bulk POSTs, then the peer's one POST per event."""
    bench.log(f"  {count:,} new events: engine (bulk) and peer (one by one)")
    events = Dataset(sessions=0, events=data.events, assignments=0, ids=data.ids)
    engine_config = events.write_config(
        bench.work / "new-engine", origin=bench.origin, previsto_rate=UNPACED,
        new_events=range(count),
    )
    done, seen = bench.run(measure.engine(
        "apply", engine_config, "--auto-approve", "--journal", bench.work / "journal-new.jsonl"
    ), 0)
    posts = seen.writes("events", "POST")
    sizes = [len(r["body"]["events"]) if "events" in (r["body"] or {}) else 1 for r in posts]
    peer_config = events.write_config(
        bench.work / "new-peer", origin=bench.origin, previsto_rate=UNPACED,
        new_events=range(count, 2 * count),
    )
    # The peer's state knows the seeded events only; its new ones get ids as it creates them.
    peer_done, _ = bench.naive(peer_config, apply=True)
    peer_seen = measure.traffic(bench.admin)
    return {
        "new": count,
        "engine_posts": len(posts),
        "largest_post": max(sizes, default=0),
        "engine_wall_s": done.wall_s,
        "peer_posts": len(peer_seen.writes("events", "POST")),
        "peer_wall_s": peer_done.wall_s,
    }


def _profiled_plan(bench: Bench, mode: str, config: Path) -> dict[str, Any]:
    """`plan CONFIG` run by `benchmarks.profile_plan` in `mode` (timing, cprofile, memory)."""
    out = bench.work / f"{mode}.json"
    bench.run(measure.python_module(
        "benchmarks.profile_plan", mode, out, "--", "plan", config, "--format", "json",
    ), 0)
    found: dict[str, Any] = json.loads(out.read_text())
    return found


# -- apply throughput under latency -----------------------------------------------------------


def throughput(updates: int, work: Path, log: Log, *, latency: float = 0.02) -> ThroughputResult:
    with sandbox_process(previsto_rate_limit=SANDBOX_UNLIMITED) as origin, httpx.Client(
        base_url=origin, timeout=600
    ) as admin:
        bench = Bench(origin, work, admin, log)
        data = Dataset(sessions=0, events=updates, assignments=0)
        data.seed(admin)
        measure.arm_latency(admin, path="^/prospero/events/", method="PATCH", seconds=latency)
        result = ThroughputResult(updates, latency, {}, {}, {}, {})
        round_ = 0
        for parallelism in (1, 8):
            runs: list[tuple[float, float]] = []  # (apply phase, process wall)
            failed = 0
            for _ in range(THROUGHPUT_RUNS):
                round_ += 1  # every round raises every capacity again: each is a full update
                config = data.write_config(
                    work / f"bump-{round_}", origin=origin, previsto_rate=UNPACED,
                    variant=f"all+{1000 * round_}",
                )
                journal = work / f"journal-{round_}.jsonl"
                done, _ = bench.run(measure.engine(
                    "apply", config, "--auto-approve", "--parallelism", str(parallelism),
                    "--max-change-percent", "100", "--journal", journal,
                ), 0)
                span = measure.journal_span(journal)
                runs.append((span.seconds, done.wall_s))
                failed += span.failed
            result.seconds[parallelism], result.wall[parallelism] = sorted(runs)[len(runs) // 2]
            result.failed[parallelism] = failed
            result.runs[parallelism] = [seconds for seconds, _ in runs]
        measure.clear_faults(admin)
        return result


# -- Previsto pacing --------------------------------------------------------------------------


def previsto_pacing(updates: int, rate: int, work: Path, log: Log) -> PacingResult:
    with sandbox_process(previsto_rate_limit=rate) as origin, httpx.Client(
        base_url=origin, timeout=600
    ) as admin:
        bench = Bench(origin, work, admin, log)
        data = Dataset(sessions=0, events=0, assignments=updates)
        data.seed(admin)
        config = data.write_config(
            work / "previsto", origin=origin, previsto_rate=rate, variant="all+1"
        )
        journal = work / "journal-previsto.jsonl"
        done, seen = bench.run(measure.engine(
            "apply", config, "--auto-approve", "--max-change-percent", "100",
            "--journal", journal,
        ), 0)
        span = measure.journal_span(journal)
        statuses = seen.statuses("/previsto/")
        return PacingResult(
            updates=span.applied,
            rate=rate,
            steady_per_minute=span.steady_per_minute,
            overall_per_minute=span.applied * 60 / span.seconds if span.seconds else 0.0,
            previsto_requests=sum(statuses.values()),
            rate_limited=statuses.get(429, 0),
            wall_s=done.wall_s,
        )
