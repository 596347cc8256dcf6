"""An account's history: does a plan's cost follow the declared schedule, or the account's past?

A firm's account holds years of finished sessions, events and assignments that no configuration
declares. `seed_history` writes H of each kind into the sandbox's SQLite store through each
emulator's own bulk-seed code (the admin routes' code, without HTTP), so that 100,000 per kind
take seconds, not the hours 300,000 API calls would. Every one of them starts in the past
(2021-2025) and carries no marker: a refresh that follows the declared schedule never needs
them.

`history(D, H)` measures a converged plan of D declared objects per kind at each H, with the
sandbox answering every request after `LATENCY` and Previsto held to its documented 120
requests a minute (the time a user waits), next to the per-object peer on the same data.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks import measure
from benchmarks.dataset import Dataset
from benchmarks.harness import PREVISTO_KEY, prevail_token, sandbox_process
from benchmarks.scenarios import KINDS, PAGE_MAX, PROSPERO_TOKEN, Bench, Log
from reconciler.sandbox.context import SandboxContext, SandboxSettings
from reconciler.sandbox.prevail.records import SessionBook
from reconciler.sandbox.prevail.seed import seed_bulk as seed_sessions
from reconciler.sandbox.previsto.seed import seed_bulk as seed_assignments
from reconciler.sandbox.prospero.records import EventBook
from reconciler.sandbox.prospero.seed import seed_bulk as seed_events
from reconciler.sandbox.store import Store

CHUNK = 5_000  # objects per transaction
LATENCY = 0.1  # seconds the sandbox waits before answering each API request
PREVISTO_RATE = 120  # Previsto's documented limit, requests per minute per key
FIRST_DAY = date(2021, 1, 4)
DAYS = 5 * 365  # history spreads over five years, all before 2026


def past_day(n: int) -> date:
    return FIRST_DAY + timedelta(days=n % DAYS)


def past_session(n: int) -> dict[str, Any]:
    return {"session_request": {
        "remote_session": {
            "title": f"Archived deposition {n}",
            "case": f"2021-CV-{n:06d}",
            "start_date": past_day(n).isoformat(),
            "start_time": "10:00 AM",
            "time_zone": "America/Chicago",
            "estimated_duration": 2,
        },
        "invites": [f"witness{n}@example.com"],
        "session_details": {"additional_details": "Transcript delivered."},
    }}


def past_event(n: int) -> dict[str, Any]:
    day = past_day(n).isoformat()
    return {"title": f"Past event {n}", "start": f"{day}T15:00:00Z",
            "end": f"{day}T16:00:00Z", "status": 0, "capacity": 40}


def past_assignment(n: int) -> dict[str, Any]:
    return {"plan": {"executionTime": f"{past_day(n).isoformat()}T08:00"},
            "status": "Invoiced", "action": "Completed", "meta": {"route": f"R{n % 40}"}}


def seed_history(store: Store, count: int, *, first: int = 0) -> float:
    """Write `count` past, unmanaged objects of each kind (numbered from `first`) into `store`;
    returns the seconds it took."""
    started = time.perf_counter()
    context = SandboxContext(settings=SandboxSettings(db_path=store.path), store=store)
    sessions = SessionBook(store, time.time)
    events = EventBook(context)
    for start in range(first, first + count, CHUNK):
        numbers = range(start, min(start + CHUNK, first + count))
        seed_sessions(sessions, {"sessions": [past_session(n) for n in numbers]})
        seed_events(events, [past_event(n) for n in numbers])
        seed_assignments(context, {"assignments": [past_assignment(n) for n in numbers]})
    return time.perf_counter() - started


# -- the scenario: plans over a growing history, engine and per-object peer ---------------------


@dataclass
class HistoryPlan:
    """One measured plan: the engine's, or the peer's."""

    tool: str  # "engine" | "peer"
    declared: int  # D per kind
    history: int  # H per kind
    requests: dict[str, int]  # GET requests per kind
    wall_s: float
    cpu_s: float
    changes: int
    listed: dict[str, int] = field(default_factory=dict)  # every object of each kind

    def walk(self, kind: str) -> int:
        """The requests a walk of every object of the kind would cost."""
        return max(1, math.ceil(self.listed.get(kind, 0) / PAGE_MAX[kind]))


@dataclass
class HistoryResult:
    latency_s: float
    previsto_rate: int
    plans: list[HistoryPlan]
    seed_s: float  # seconds spent writing the history into the stores
    machine: str = ""
    command: str = ""
    minutes: float = 0.0


def every_object(admin: httpx.Client) -> dict[str, int]:
    """How many objects of each kind the account holds (managed or not, past or ahead)."""
    prevail = admin.get("/prevail/sessions", params={"per_page": 1},
                        headers={"Authorization": f"Bearer {prevail_token()}"})
    prospero = admin.get("/prospero/events", params={"limit": 1},
                         headers={"Authorization": f"Bearer {PROSPERO_TOKEN}"})
    previsto = admin.get("/previsto/assignments", params={"size": 1}, auth=(PREVISTO_KEY, ""))
    return {"sessions": int(prevail.json()["pagy"]["count"]),
            "events": int(prospero.json()["total"]),
            "assignments": int(previsto.headers["X-Total-Count"])}


def gets(seen: measure.Traffic) -> dict[str, int]:
    return {kind: sum(1 for r in seen.records if r["method"] == "GET"
                      and r["path"].startswith(measure.PREFIXES[kind])) for kind in KINDS}


def history(declared: list[int], sizes: list[int], work: Path, log: Log, *,
            latency: float = LATENCY, rate: int = PREVISTO_RATE, peer: bool = True
            ) -> HistoryResult:
    """For each D: D managed objects per kind, then H = `sizes` past ones per kind (ascending),
    a converged plan at each H with `latency` on every request and Previsto at `rate` a minute
    (the sandbox enforces it, the configuration paces at it); the peer at the largest H."""
    result = HistoryResult(latency_s=latency, previsto_rate=rate, plans=[], seed_s=0.0)
    for d in declared:
        db = work / f"history-d{d}.sqlite"
        data = Dataset(sessions=d, events=d, assignments=d)
        with sandbox_process(db=db) as origin, httpx.Client(base_url=origin, timeout=600) as admin:
            log(f"  D = {d:,}: seeding the declared objects")
            data.seed(admin)
        seeded = 0
        for h in sorted(sizes):
            if h > seeded:
                log(f"  D = {d:,}: writing {h - seeded:,} past objects per kind into the store")
                store = Store(str(db))
                try:
                    result.seed_s += seed_history(store, h - seeded, first=seeded)
                finally:
                    store.close()
                seeded = h
            with sandbox_process(previsto_rate_limit=rate, db=db) as origin, httpx.Client(
                base_url=origin, timeout=600
            ) as admin:
                listed = every_object(admin)
                bench = Bench(origin, work, admin, log)
                config = data.write_config(work / f"history-d{d}", origin=origin,
                                           previsto_rate=rate)
                data.write_state(work / "state.json")
                admin.delete("/_sandbox/previsto/rate-limit").raise_for_status()
                measure.arm_latency(admin, path="^/(prevail|prospero|previsto)/", method=None,
                                    seconds=latency)
                done, seen = bench.run(measure.engine("plan", config, "--format", "json"), 0)
                result.plans.append(HistoryPlan(
                    "engine", d, h, gets(seen), done.wall_s, done.cpu_s,
                    len(json.loads(done.stdout)["changes"]), listed,
                ))
                if peer and h == max(sizes):
                    admin.delete("/_sandbox/previsto/rate-limit").raise_for_status()
                    done, summary = bench.naive(config, apply=False)
                    result.plans.append(HistoryPlan(
                        "peer", d, h, {kind: summary[kind]["gets"] for kind in KINDS},
                        done.wall_s, done.cpu_s,
                        sum(summary[kind]["differing"] for kind in KINDS), listed,
                    ))
    return result


# -- RESULTS.md ---------------------------------------------------------------------------------


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _header(*names: str) -> list[str]:
    return [_row(*names), _row(*("---" for _ in names))]


def history_section(result: HistoryResult) -> list[str]:
    """The history section: the issue's targets with a verdict each, then every plan."""
    engine = [plan for plan in result.plans if plan.tool == "engine"]
    peers = {plan.declared: plan for plan in result.plans if plan.tool == "peer"}
    least, most = min(p.history for p in engine), max(p.history for p in engine)
    lines = [
        "## History: a plan's cost against the account's past",
        "",
        f"Measured on {result.machine}; command: `{result.command}` ({result.minutes:.1f} min)."
        if result.command else "",
        "",
        f"D declared, converged objects per kind, and H unmanaged objects per kind in the past "
        "(2021-2025), written straight into the sandbox's SQLite store through its seed code "
        f"({result.seed_s:.0f} s in all). The sandbox answers every API request after "
        f"{result.latency_s * 1000:.0f} ms and holds Previsto to its documented "
        f"{result.previsto_rate} requests/minute, which the engine paces at (98 %): the wall "
        "time is what a user waits. Requests: the GETs per kind the sandbox saw during one "
        "`reconciler plan DIR --format json`. Every object walked: ⌈all objects of the kind / "
        "largest page⌉, the cost of listing the whole account. Peer: one GET per declared "
        "object (a Terraform-shaped refresh), 8 at a time, with the engine's HTTP clients and "
        "pacing, on the same data.",
        "",
        *_header("target", "measured", "verdict"),
    ]
    for d in sorted({p.declared for p in engine}):
        low = next(p for p in engine if p.declared == d and p.history == least)
        high = next(p for p in engine if p.declared == d and p.history == most)
        ok = all(high.requests[k] <= low.requests[k] + 2 for k in KINDS)
        measured = ", ".join(f"{k} {high.requests[k]} (H = {least:,}: {low.requests[k]})"
                             for k in KINDS)
        lines.append(_row(f"requests per kind at H = {most:,} ≤ H = {least:,} + 2, "
                          f"D = {d:,}", measured, "met" if ok else "**missed**"))
    largest = max(engine, key=lambda p: (p.declared, p.history))
    lines.append(_row(
        f"plan wall time ≤ 15 s at {result.latency_s * 1000:.0f} ms/request and "
        f"{result.previsto_rate}/min, H = {largest.history:,}, D = {largest.declared:,}",
        f"{largest.wall_s:.1f} s", "met" if largest.wall_s <= 15 else "**missed**",
    ))
    lines += ["", *_header("D per kind", "H per kind", "kind", "engine requests",
                           "every object walked", "peer GETs (same data)")]
    for plan in engine:
        peer = peers.get(plan.declared)
        for kind in KINDS:
            lines.append(_row(f"{plan.declared:,}", f"{plan.history:,}", kind,
                              plan.requests[kind], f"{plan.walk(kind):,}",
                              f"{peer.requests[kind]:,}" if peer else "\u2013"))
    lines += ["", *_header("D per kind", "H per kind", "tool", "plan wall s", "CPU s",
                           "requests", "changes found")]
    for plan in result.plans:
        lines.append(_row(f"{plan.declared:,}", f"{plan.history:,}", plan.tool,
                          f"{plan.wall_s:.1f}", f"{plan.cpu_s:.2f}",
                          f"{sum(plan.requests.values()):,}", plan.changes))
    return [*lines, ""]
