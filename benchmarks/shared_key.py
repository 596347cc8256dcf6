"""Ten scopes on one Previsto key, applied at once as ten processes on one machine.

Each scope is its own configuration folder (its own `stack`) with updates to apply; all ten use
the same API key against a sandbox that enforces Previsto's documented 120 requests a minute per
key. The processes share their pacing through the pacing store (one SQLite file, here in a
temporary cache folder every process is pointed at), so together they keep under the key's limit
instead of each pacing itself at 98 % of it. Target: 0 x 429, at >= 90 % of the key's rate.

`--in-watch`: the same ten scopes held by one `reconciler watch` (in this process, its loop
driven directly): a colleague's integration rewrites every assignment's metadata, and the next
sweep puts all of it back (`--on-drift revert`), ten scopes' updates through one pacer and one
retry budget for the key.

Run: `python -m benchmarks.shared_key [--scopes 10] [--updates 12] [--rate 120] [--in-watch]`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest.mock import patch

import httpx

from benchmarks.harness import PREVISTO_KEY, machine, sandbox_process


def scope_folder(
    root: Path, origin: str, rate: int, scope: int, ids: list[str], *, whole: bool = False
) -> Path:
    """One scope's configuration; `whole`: its rails allow a change to every assignment (what
    a watch's revert of all of them needs; `apply` is given `--max-change-percent 100`)."""
    folder = root / f"scope-{scope}"
    folder.mkdir()
    lines = [
        "version: 1",
        "providers:",
        f"  stack: bench-scope-{scope}",
        "  previsto:",
        f"    base_url: {origin}/previsto",
        "    api_key: ${PREVISTO_API_KEY}",
        f"    requests_per_minute: {rate}",
        *(["defaults:", "  max_change_percent: 100"] if whole else []),
        "assignments:",
    ]
    for n, assignment_id in enumerate(ids):
        lines += [f"  - key: shared-{scope}-{n}", f"    select: {{id: {assignment_id}}}",
                  "    metadata: {crew: night}"]
    (folder / "schedule.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def measure(scopes: int, updates: int, rate: int, *, shared: bool = True) -> dict[str, float]:
    with sandbox_process(previsto_rate_limit=rate) as origin, \
            tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        admin = httpx.Client(base_url=origin, timeout=60)
        created = admin.post(
            "/_sandbox/previsto/assignments",
            json={"assignments": [{"meta": {"crew": "day"}} for _ in range(scopes * updates)]},
        ).json()["assignments"]
        folders = [
            scope_folder(root, origin, rate, scope,
                         [a["id"] for a in created[scope * updates:(scope + 1) * updates]])
            for scope in range(scopes)
        ]
        admin.delete("/_sandbox/requests")
        started = time.perf_counter()
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "reconciler", "apply", str(folder), "--auto-approve",
                 "--max-change-percent", "100"],
                # One cache folder for all ten, as on one self-hosted runner: one pacing store
                # (`--separate-stores`: one each, as if every process paced itself alone).
                env={**os.environ, "PREVISTO_API_KEY": PREVISTO_KEY,
                     "XDG_CACHE_HOME": str(root / ("cache" if shared else f"cache-{n}"))},
                cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                text=True,
            )
            for n, folder in enumerate(folders)
        ]
        failures = []
        for process in processes:
            _, stderr = process.communicate(timeout=1800)
            if process.returncode != 0:
                failures.append(stderr[-1000:])
        elapsed = time.perf_counter() - started
        seen = admin.get("/_sandbox/requests").json()
    previsto = [r for r in seen if r["path"].startswith("/previsto/")]
    for failure in failures:
        print(failure, file=sys.stderr)
    span = previsto[-1]["received_at"] - previsto[0]["received_at"]
    # The share of the key's limit used while the ten ran: N requests over a span allow at most
    # (N - 1) intervals of 60/R seconds.
    used = (len(previsto) - 1) * 60 / rate / span if span else 0.0
    return {
        "scopes": scopes,
        "requests": len(previsto),
        "writes": sum(1 for r in previsto if r["method"] == "PUT"),
        "throttled": sum(1 for r in previsto if r["status"] == 429),
        "span": span,
        "used": used,
        "wall": elapsed,
        "failed": len(failures),
    }


def in_watch(scopes: int, updates: int, rate: int) -> dict[str, float]:
    """The ten scopes in one watch: applied first, then drifted out of band, then reverted by
    one sweep of every scope; the requests of that sweep are measured."""
    from contextlib import ExitStack

    from click.testing import CliRunner

    from reconciler.cli import main as cli_main
    from reconciler.cli.watching import watched
    from reconciler.sandbox import SandboxSettings
    from reconciler.sandbox.app import Sandbox
    from reconciler.sandbox.server import running
    from reconciler.watch import ApplySettings, Watcher, WatchMetrics, WatchSettings

    records: list[dict[str, object]] = []
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        stack.enter_context(patch.dict(os.environ, {
            "XDG_CACHE_HOME": str(root / "cache"), "PREVISTO_API_KEY": PREVISTO_KEY,
        }))
        sandbox = Sandbox(SandboxSettings(admin=True, previsto_requests_per_minute=rate,
                                          db_path=str(root / "sandbox.db")))
        origin = stack.enter_context(running(sandbox))
        admin = stack.enter_context(httpx.Client(base_url=origin, timeout=60))
        created = admin.post(
            "/_sandbox/previsto/assignments",
            json={"assignments": [{"meta": {"crew": "day"}} for _ in range(scopes * updates)]},
        ).json()["assignments"]
        folders = [
            scope_folder(root, origin, rate, scope,
                         [a["id"] for a in created[scope * updates:(scope + 1) * updates]],
                         whole=True)
            for scope in range(scopes)
        ]
        for folder in folders:  # the schedules as applied (paced like any run: a minute or two)
            done = CliRunner().invoke(cli_main, ["apply", str(folder), "--auto-approve",
                                                 "--max-change-percent", "100"])
            if done.exit_code != 0:
                raise RuntimeError(done.output)
        metrics = WatchMetrics()
        held = [stack.enter_context(watched(folder, on_drift="revert", metrics=metrics))
                for folder in folders]
        watcher = Watcher(
            held,
            settings=WatchSettings(apply=ApplySettings(journal=root / "journal.jsonl"),
                                   notify=False),
            emit=records.append, metrics=metrics,
        )
        watcher.sweep_all()  # the baseline: every scope in sync
        for assignment in created:  # another integration rewrites every crew
            stored = sandbox.store.get("previsto.assignments", assignment["id"])
            assert stored is not None
            stored["meta"] = {**stored["meta"], "crew": "day"}
            sandbox.store.replace("previsto.assignments", assignment["id"], stored)
        admin.delete("/_sandbox/requests")
        admin.delete("/_sandbox/previsto/rate-limit")
        started = time.perf_counter()
        watcher.sweep_all()  # every scope's drift found and put back
        elapsed = time.perf_counter() - started
        seen = admin.get("/_sandbox/requests").json()
        crews = {sandbox.store.get("previsto.assignments", a["id"])["meta"]["crew"]  # type: ignore[index]
                 for a in created}
    previsto = [r for r in seen if r["path"].startswith("/previsto/")]
    span = previsto[-1]["received_at"] - previsto[0]["received_at"]
    reverted = sum(1 for r in records if r.get("event") == "drift.reverted")
    return {
        "scopes": scopes,
        "requests": len(previsto),
        "writes": sum(1 for r in previsto if r["method"] == "PUT"),
        "throttled": sum(1 for r in previsto if r["status"] == 429),
        "span": span,
        "used": (len(previsto) - 1) * 60 / rate / span if span else 0.0,
        "wall": elapsed,
        "failed": scopes - reverted + (0 if crews == {"night"} else 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scopes", type=int, default=10)
    parser.add_argument("--updates", type=int, default=12, help="updates per scope")
    parser.add_argument("--rate", type=int, default=120, help="the key's limit per minute")
    parser.add_argument("--separate-stores", action="store_true",
                        help="give each process a pacing store of its own (the contrast)")
    parser.add_argument("--in-watch", action="store_true",
                        help="the scopes in one watch, reverting drift, instead of processes")
    args = parser.parse_args()
    if args.in_watch:
        row = in_watch(args.scopes, args.updates, args.rate)
        how = "one watch"
    else:
        row = measure(args.scopes, args.updates, args.rate, shared=not args.separate_stores)
        how = "processes, " + ("a store each" if args.separate_stores else "one pacing store")
    print(f"# One Previsto key, {args.scopes} scopes, {how} ({machine()})\n")
    print("| scopes | requests | writes | 429s | limit/min | span s | share of the limit | "
          "wall s | failed scopes |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {row['scopes']} | {row['requests']} | {row['writes']} | {row['throttled']} | "
          f"{args.rate} | {row['span']:.1f} | {row['used']:.1%} | {row['wall']:.1f} | "
          f"{row['failed']} |")


if __name__ == "__main__":
    main()
