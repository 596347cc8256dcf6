"""`reconciler watch` for an hour of compressed time against the sandbox's webhook faults.

One process holds a sandbox (served on loopback), one watched configuration of E Prospero events
applied to it, and a watcher whose receiver is registered with the sandbox's Prospero as the
product registers it. Time is a simulated clock that every wait of the product, the watch loop
and the sandbox read: it moves a second per tick, so an hour runs in the time its requests take.
Each tick the sandbox sends the deliveries due (its pump), and the watcher does what is due.

A colleague moves one event in Prospero's web UI (the sandbox's admin API) about once a minute.
The deliveries are lossy: 20 % dropped (never sent, never retried), 10 % duplicated, reordered.
Measured per edit: the seconds from the edit to the watcher's `drift.found` for it (target p95
<= 60 s), edits never reported (target 0: the sweep catches what the webhooks lose), and edits
reported more than once (target 0). With `--storm`, the API also fails now and then (5xx,
connection resets, 429 with Retry-After) and a webhook storm of duplicates arrives; the drift
is put back (`--on-drift revert`), and the run checks that no event was ever duplicated. The
steady cost is counted in the last quiet stretch: requests per kind per sweep.

Run: `python -m benchmarks.watch_drift [--events 20] [--minutes 60] [--sweep 60] [--storm]`.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import statistics
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import httpx
from click.testing import CliRunner

from benchmarks.harness import machine
from benchmarks.history import seed_history
from reconciler import clock as product_clock
from reconciler.cli import main as cli_main
from reconciler.cli.watching import watched
from reconciler.sandbox import SandboxSettings
from reconciler.sandbox.app import Sandbox
from reconciler.sandbox.faults import Fault
from reconciler.sandbox.server import running
from reconciler.watch import (
    ApplySettings,
    Watcher,
    WatchMetrics,
    WatchSettings,
    receiver_app,
    register_all,
)

TOKEN = "benchmark-hook-token-0123456789"
# The kind a request's path is about (`/prospero/auth/refresh`: a token's hourly renewal).
KIND_OF = {"sessions": "sessions", "events": "events", "assignments": "assignments",
           "auth": "auth"}
BEARER = {"Authorization": "Bearer sandbox-prospero-token"}


def schedule(origin: str, events: int, assignment_ids: list[str]) -> tuple[str, str]:
    """The watched configuration: E events, and three sessions and three assignments so that
    every kind is swept."""
    providers = (
        "version: 1\nproviders:\n  stack: watch-benchmark\n"
        f"  prospero:\n    base_url: {origin}/prospero\n"
        "    email: ${PROSPERO_EMAIL}\n    password: ${PROSPERO_PASSWORD}\n"
        f"  prevail:\n    base_url: {origin}/prevail\n"
        "    company_id: ${PREVAIL_COMPANY_ID}\n    api_key: ${PREVAIL_API_KEY}\n"
        f"  previsto:\n    base_url: {origin}/previsto\n    api_key: ${{PREVISTO_API_KEY}}\n"
    )
    first = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
    lines = ["events:"]
    for n in range(events):
        start = first + timedelta(days=n)
        lines += [
            f"  - key: watched-{n}",
            f"    title: Watched event {n}",
            f"    start: {start:%Y-%m-%dT%H:%M:%SZ}",
            f"    end: {start + timedelta(hours=2):%Y-%m-%dT%H:%M:%SZ}",
        ]
    lines.append("sessions:")
    for n in range(3):
        lines += [
            f"  - key: watched-session-{n}",
            f"    title: Watched session {n}",
            "    case: 2027-CV-0001",
            f"    start: 2027-07-0{n + 1}T09:00",
            "    time_zone: America/New_York",
            "    duration_hours: 1",
            "    invites: [counsel@example.com]",
        ]
    lines.append("assignments:")
    for n, assignment_id in enumerate(assignment_ids):
        lines += [f"  - key: watched-assignment-{n}", f"    select: {{id: {assignment_id}}}",
                  "    metadata: {crew: night}"]
    return providers, "\n".join(lines) + "\n"


def storm_faults(sandbox: Sandbox) -> None:
    """The API's bad minutes: a few 5xx, resets and 429s on the events routes."""
    for status in (500, 503):
        sandbox.faults.add(Fault(kind="status", path="^/prospero/events", status=status, times=3))
    sandbox.faults.add(Fault(kind="reset", path="^/prospero/events$", times=3))
    sandbox.faults.add(
        Fault(kind="status", path="^/prospero/events", status=429, times=3, retry_after=2)
    )


def measure(
    *, events: int, minutes: int, sweep: float, storm: bool, history: int, seed: int = 7
) -> dict[str, Any]:
    sim = product_clock.VirtualClock()
    rng = random.Random(seed)
    records: list[tuple[float, dict[str, Any]]] = []
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        stack.enter_context(product_clock.installed(sim))
        sandbox = Sandbox(SandboxSettings(admin=True, db_path=str(Path(tmp) / "sandbox.db"),
                                          previsto_max_page_size=1000))
        sandbox.context.clock = sim.time
        # The account's years of past objects, unmanaged, written straight into the store.
        seeded = seed_history(sandbox.store, history) if history else 0.0
        origin = stack.enter_context(running(sandbox))
        env = {
            "PROSPERO_EMAIL": sandbox.emulators["prospero"].credentials["email"],
            "PROSPERO_PASSWORD": sandbox.emulators["prospero"].credentials["password"],
            "PREVAIL_COMPANY_ID": sandbox.emulators["prevail"].credentials["company_id"],
            "PREVAIL_API_KEY": sandbox.emulators["prevail"].credentials["api_key"],
            "PREVISTO_API_KEY": sandbox.emulators["previsto"].credentials["api_key"],
        }
        folder = Path(tmp) / "schedule"
        folder.mkdir()
        admin = stack.enter_context(httpx.Client(base_url=origin, timeout=30))
        created = admin.post("/_sandbox/previsto/assignments", json={"assignments": [
            {"plan": {"executionTime": f"2027-08-0{n + 1}T08:00"}, "meta": {"crew": "day"}}
            for n in range(3)
        ]}).json()["assignments"]
        providers, declared = schedule(origin, events, [a["id"] for a in created])
        (folder / "providers.yaml").write_text(providers, encoding="utf-8")
        (folder / "events.yaml").write_text(declared, encoding="utf-8")
        applied = CliRunner().invoke(
            cli_main, ["apply", str(folder), "--auto-approve", "--max-change-percent", "100"],
            env=env,
        )
        if applied.exit_code != 0:
            raise RuntimeError(f"the first apply failed: {applied.output}")
        metrics = WatchMetrics()
        stack.enter_context(patch.dict(os.environ, env))  # the configuration's ${NAME}s
        scope = stack.enter_context(
            watched(folder, on_drift="revert" if storm else "keep", metrics=metrics)
        )

        def emit(entry: dict[str, Any]) -> None:
            records.append((sim.elapsed, entry))

        watcher = Watcher(
            [scope],
            settings=WatchSettings(
                sweep_interval=sweep, apply=ApplySettings(journal=Path(tmp) / "journal.jsonl")
            ),
            emit=emit,
            metrics=metrics,
        )
        receiver = stack.enter_context(running(receiver_app(watcher, token=TOKEN)))
        register_all([scope], public_url=receiver, token=TOKEN, emit=emit)
        admin.post("/_sandbox/prospero/webhooks/faults",
                   json={"drop": 0.2, "duplicate": 0.1, "reorder": True, "seed": seed})
        ids = {
            event["customFields"]["reconciler_key"]: event["id"]
            for event in admin.get("/prospero/events", params={
                "limit": 500, "customFields.managed_by": "reconciler"}, headers=BEARER,
            ).json()["events"]
            if "reconciler_key" in event.get("customFields", {})
        }
        watcher.step()  # the first sweep
        edits: list[tuple[float, str]] = []
        keys = sorted(ids)
        seconds = minutes * 60
        quiet_from = seconds - 3 * sweep  # the last stretch: nothing edited, steady cost
        edit_at = {rng.randrange(30, int(quiet_from) - 90) for _ in range(minutes)}
        storm_at = {int(quiet_from) // 3, 2 * int(quiet_from) // 3}
        steady_start = 0.0
        rss: list[float] = [current_rss_mib()]  # after the first sweep, then each quarter
        started = time.perf_counter()
        for tick in range(1, seconds + 1):
            sim.advance(1.0)
            if tick in edit_at:
                key = keys[len(edits) % len(keys)]
                # Always later: each edit is new drift, never a return to what is declared.
                moved = rng.choice([15, 30, 45])
                event = admin.get(f"/prospero/events/{ids[key]}", headers=BEARER).json()["event"]
                start = datetime.fromisoformat(event["start"].replace("Z", "+00:00"))
                end = datetime.fromisoformat(event["end"].replace("Z", "+00:00"))
                shift = timedelta(minutes=moved)
                admin.patch(f"/_sandbox/prospero/events/{ids[key]}", json={
                    "start": (start + shift).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "end": (end + shift).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                })
                edits.append((sim.elapsed, f"events.{key}"))
            if storm and tick in storm_at:
                storm_faults(sandbox)
                # A storm of repeats: every delivery so far, sent again by a confused sender.
                for attempt in admin.get("/_sandbox/prospero/webhooks/attempts").json()["attempts"]:
                    if attempt["outcome"] == "delivered":
                        httpx.post(f"{receiver}/hooks/prospero/{TOKEN}", json={
                            "id": attempt["deliveryId"], "type": attempt["type"],
                            "createdAt": "2027-01-01T00:00:00Z", "webhookId": "storm",
                            "data": {"event": {"id": attempt["eventId"]}},
                        }, timeout=10)
            if tick == int(quiet_from):
                sandbox.requests.clear()
                steady_start = sim.elapsed
            admin.post("/_sandbox/prospero/webhooks/deliver")
            watcher.step()
            if tick % (seconds // 4) == 0:
                rss.append(current_rss_mib())
        wall = time.perf_counter() - started
        steady = Counter(
            KIND_OF.get(r.path.split("/")[2] if r.path.count("/") > 1 else "", "other")
            for r in sandbox.requests.snapshot()
        )
        sweeps = sum(1 for at, r in records if r["event"] == "sweep.done"
                     and at >= steady_start)
        listed = admin.get("/prospero/events", params={
            "limit": 500, "customFields.managed_by": "reconciler"}, headers=BEARER).json()
        keyed = Counter(
            e["customFields"].get("reconciler_key") for e in listed["events"]
            if e.get("customFields", {}).get("reconciler_key")
        )
    return summarize(edits, records, steady=steady, sweeps=sweeps, keyed=keyed, wall=wall,
                     events=events, minutes=minutes, sweep=sweep, storm=storm, history=history,
                     seed_s=seeded, rss=rss)


def summarize(
    edits: list[tuple[float, str]], records: list[tuple[float, dict[str, Any]]], *,
    steady: Counter[str], sweeps: int, keyed: Counter[str], wall: float, **given: Any,
) -> dict[str, Any]:
    found = [(at, r["address"]) for at, r in records if r["event"] == "drift.found"]
    latencies: list[float] = []
    missed = twice = 0
    for n, (edited, address) in enumerate(edits):
        later = [e for e, a in edits[n + 1:] if a == address]
        until = later[0] if later else float("inf")
        reports = [at for at, a in found if a == address and edited <= at < until]
        if not reports:
            missed += 1
        else:
            latencies.append(reports[0] - edited)
            twice += len(reports) > 1
    latencies.sort()
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)] if latencies else float("nan")
    return {
        **given,
        "edits": len(edits),
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p95": p95,
        "max": latencies[-1] if latencies else float("nan"),
        "missed": missed,
        "twice": twice,
        "steady_per_sweep": {
            kind: steady[kind] / sweeps if sweeps else float("nan")
            for kind in ("sessions", "events", "assignments", "auth")
        },
        "duplicates": sum(count - 1 for count in keyed.values() if count > 1),
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "wall": wall,
    }


def current_rss_mib() -> float:
    """This process's resident memory now (Linux), MiB, once garbage is collected: what is
    held, not what awaits collection; the peak says nothing of growth."""
    gc.collect()
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--sweep", type=float, default=60.0, help="--sweep-interval, seconds")
    parser.add_argument("--storm", action="store_true")
    parser.add_argument("--history", type=int, default=0,
                        help="past, unmanaged objects of each kind in the account")
    args = parser.parse_args()
    row = measure(events=args.events, minutes=args.minutes, sweep=args.sweep, storm=args.storm,
                  history=args.history)
    print(f"# watch: drift under lossy webhooks ({machine()})\n")
    steady = row["steady_per_sweep"]
    print("| H per kind | events | simulated min | sweep s | storm | edits | p50 s | p95 s | "
          "max s | missed | told twice | quiet requests per sweep: sessions / events / "
          "assignments / auth | duplicated events | peak RSS MiB | RSS by quarter MiB | wall s |")
    print("|" + "---|" * 16)
    print(f"| {row['history']:,} | {row['events']} | {row['minutes']} | {row['sweep']:g} | "
          f"{'yes' if row['storm'] else 'no'} | {row['edits']} | {row['p50']:.0f} | "
          f"{row['p95']:.0f} | {row['max']:.0f} | {row['missed']} | {row['twice']} | "
          f"{steady['sessions']:.2f} / {steady['events']:.2f} / {steady['assignments']:.2f} / "
          f"{steady['auth']:.2f} | {row['duplicates']} | {row['rss_mib']:.0f} | "
          f"{' → '.join(f'{m:.0f}' for m in row['rss'])} | {row['wall']:.0f} |")


if __name__ == "__main__":
    main()
