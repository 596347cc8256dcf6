"""The benchmark runner: `python -m benchmarks [--quick]` measures, writes RESULTS.md and prints it.

Full run: N = 1,000, 10,000 and 30,000 managed objects per kind (10,000 per kind is the targets'
30,000 objects; above that, no cProfile run and the peer's converged plan only, to keep the run
near twenty minutes), 1,000 Prospero updates at 20 ms latency, Previsto pacing at 120
(documented) and 600 requests/minute, about half a minute each, and the history: H = 0, 20,000
and 100,000 past objects per kind under D = 20 and 1,000 declared ones, at 100 ms a request
and Previsto's 120 requests/minute (about ten minutes, most of it the per-object peer's 1,000
paced GETs). `--quick` (N = 1,000, 100 updates, Previsto at 1,200/minute for 5 s, no cProfile
run, the diff share of the changed plan only, H = 0 and 2,000 under D = 20) is the CI smoke
test of the harness: its figures prove nothing about the targets.

`--history-only` measures the history alone; `--update` puts the sections a run measured in
place of the same sections of the existing `--out` file and keeps the others.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import machine
from benchmarks.history import history
from benchmarks.measure import engine, run_process
from benchmarks.report import TARGET_N, Results, merged, render
from benchmarks.scenarios import previsto_pacing, scale, throughput

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="N = 1,000 only, small runs.")
    parser.add_argument(
        "--sizes", help="Objects per kind, comma-separated (default 1000,10000,30000)."
    )
    parser.add_argument("--updates", type=int, help="Prospero updates in the latency run.")
    parser.add_argument("--previsto-updates", type=int, help="Updates in the Previsto run.")
    parser.add_argument(
        "--previsto-rates", help="Previsto's limits to run at, requests/minute, comma-separated."
    )
    parser.add_argument("--new-events", type=int, default=1000, help="Events bulk-created.")
    parser.add_argument("--no-profile", action="store_true", help="Skip the cProfile run.")
    parser.add_argument("--out", type=Path, default=RESULTS, help="Where RESULTS.md goes.")
    parser.add_argument("--history", help="Past objects per kind, comma-separated "
                        "(default 0,20000,100000).")
    parser.add_argument("--declared", help="Declared objects per kind under the history, "
                        "comma-separated (default 20,1000).")
    parser.add_argument("--no-history", action="store_true", help="Skip the history runs.")
    parser.add_argument("--history-only", action="store_true", help="Run the history alone.")
    parser.add_argument("--update", action="store_true",
                        help="Replace only the measured sections of the existing --out file.")
    args = parser.parse_args(argv)
    quick = args.quick
    args.history = [] if args.no_history else [
        int(size) for size in (args.history or ("0,2000" if quick else "0,20000,100000"))
        .split(",")
    ]
    args.declared = [
        int(size) for size in (args.declared or ("20" if quick else "20,1000")).split(",")
    ]
    args.sizes = [
        int(size) for size in (args.sizes or ("1000" if quick else "1000,10000,30000")).split(",")
    ]
    args.updates = args.updates or (100 if quick else 1000)
    args.previsto_rates = [
        int(rate) for rate in (args.previsto_rates or ("1200" if quick else "120,600")).split(",")
    ]
    # Enough updates for about half a minute at each rate (5 s in quick mode).
    args.previsto_updates = args.previsto_updates
    args.light = quick
    return args


def revision() -> str:
    """The commit measured, and whether the working tree had changes on top of it."""
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "reconciler"], cwd=root, capture_output=True,
            text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown revision"
    return f"commit {commit}" + (" with uncommitted engine changes" if dirty else "")


def startup(work: Path) -> tuple[float, float, float]:
    """Interpreter start-up and plan's imports: what a plan pays before its work.

    `plan --help` rather than `--version`: commands are imported when used, so `--version`
    leaves out most of what a plan imports.
    """
    runs = sorted(
        (run_process(engine("plan", "--help"), env=os.environ, cwd=work) for _ in range(3)),
        key=lambda run: run.cpu_s,
    )
    middle = runs[1]
    return middle.wall_s, middle.cpu_s, middle.peak_rss_mb


def main(argv: list[str] | None = None) -> Results:
    args = parse(argv)
    started = time.perf_counter()
    command = "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="reconciler-bench-") as scratch:
        work = Path(scratch)
        scaled = []
        for n in [] if args.history_only else args.sizes:
            log(f"N = {n:,} per kind")
            folder = work / f"n{n}"
            folder.mkdir()
            beyond = n > TARGET_N  # measured for scale, not for the targets: a lighter run
            scaled.append(scale(n, folder, log, new_events=args.new_events,
                                profile=not (args.no_profile or args.light or beyond),
                                light=args.light or beyond))
        rates, pacing, started_up = None, [], None
        if not args.history_only:
            log(f"{args.updates:,} Prospero updates at 20 ms latency, parallelism 1 and 8")
            (work / "throughput").mkdir()
            rates = throughput(args.updates, work / "throughput", log)
            for rate in args.previsto_rates:
                updates = args.previsto_updates or max(10, rate // (12 if args.light else 2))
                log(f"{updates:,} Previsto updates at {rate}/minute")
                folder = work / f"previsto-{rate}"
                folder.mkdir()
                pacing.append(previsto_pacing(updates, rate, folder, log))
            started_up = startup(work)
        past = None
        if args.history:
            log(f"History: H = {args.history} past objects per kind under D = {args.declared}")
            (work / "history").mkdir()
            past = history(args.declared, args.history, work / "history", log)
    minutes = (time.perf_counter() - started) / 60
    if past is not None:
        past.machine, past.command, past.minutes = f"{machine()}, {revision()}", command, minutes
    results = Results(
        machine=f"{machine()}, {revision()}",
        command=command.strip(),
        minutes=minutes,
        scale=scaled,
        throughput=rates,
        pacing=pacing,
        startup=started_up,
        history=past,
    )
    text = render(results)
    if args.update and args.out.exists():
        text = merged(args.out.read_text(encoding="utf-8"), text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return results


if __name__ == "__main__":
    main()
