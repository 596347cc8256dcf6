"""`python -m benchmarks.fuzz_limits [--examples N] [--only corpus|flawed-objects]`: how long the
CLI runs and how much memory it holds on hostile configuration files, against the limits they
must stay within: no run over 5 s or 500 MB on an input under 1 MB, nor on N objects with one
unknown field each.

The inputs are the fuzz suite's (`tests/fixtures/hostile.py`, drawn deterministically, so two
runs measure the same files) plus the largest of each shape (`largest()`: 20,000 levels of
nesting, 41,000 unknown keys in 0.96 MB, a 990,000-digit integer...). Each input is run through
`reconciler validate --sandbox` and `reconciler plan --sandbox` (the embedded sandbox), each as
its own process, measured alone (`benchmarks/measure.py`: wall time and peak RSS). The tests
never assert elapsed time; this reports it, and exits 1 when a run broke a limit, crashed, or
printed a traceback or "internal error". Needs the test extra (hypothesis).

The flawed-objects case (`--flawed-objects N ...`, by default 20,000 and 40,000) runs
`validate --sandbox` on a file of N events, each valid but for one unknown field
(`flawed_objects()`: about 2 MB per 20,000), and lists each run: N problems in one file must
cost time linear in N, within the same limits although the file is over 1 MB.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings

from benchmarks.measure import ProcessRun, engine, run_process
from tests.fixtures.hostile import flawed_objects, hostile_files, largest

MAX_INPUT_BYTES = 1_000_000
LIMIT_SECONDS = 5.0
LIMIT_MB = 500.0
HANG_GUARD = 120.0  # a run killed here is reported, not waited for
FLAWED_COUNTS = (20_000, 40_000)
CASES = ("corpus", "flawed-objects")


@dataclass(frozen=True)
class Measured:
    name: str
    size: int
    command: str
    run: ProcessRun

    @property
    def broken(self) -> list[str]:
        problems = []
        if self.run.wall_s > LIMIT_SECONDS:
            problems.append(f"{self.run.wall_s:.2f} s")
        if self.run.peak_rss_mb > LIMIT_MB:
            problems.append(f"{self.run.peak_rss_mb:.0f} MB")
        allowed = {0, 1} if self.command == "validate" else {0, 1, 2}
        if self.run.exit_code not in allowed:
            problems.append(f"exit {self.run.exit_code}")
        said = self.run.stdout + self.run.stderr
        if "Traceback" in said or "internal error" in said:
            problems.append("traceback or internal error")
        return problems


def corpus(examples: int) -> list[tuple[str, bytes]]:
    """The largest inputs, then `examples` drawn ones under 1 MB, the same on every run."""
    drawn: list[bytes] = []

    @settings(database=None, derandomize=True, max_examples=examples, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(content=hostile_files)
    def draw(content: bytes) -> None:
        drawn.append(content)

    draw()
    inputs = [*largest(), *((f"drawn #{index}", content) for index, content in enumerate(drawn))]
    return [(name, content) for name, content in inputs if len(content) < MAX_INPUT_BYTES]


def flawed_inputs(counts: list[int]) -> list[tuple[str, bytes]]:
    return [(f"{count:,} events, one unknown field each", flawed_objects(count))
            for count in counts]


def measure(
    inputs: list[tuple[str, bytes]], *, plans: bool, hang_guard: float = HANG_GUARD
) -> list[Measured]:
    results: list[Measured] = []
    env = {key: value for key, value in os.environ.items() if key != "RECONCILER_NOW"}
    with tempfile.TemporaryDirectory(prefix="reconciler-fuzz-") as scratch:
        work = Path(scratch)
        folder = work / "config"
        folder.mkdir()
        database = work / "sandbox.db"
        commands: list[tuple[str, list[str | Path]]] = [
            ("validate", ["validate", "--sandbox", folder])
        ]
        if plans:
            commands.append(
                ("plan", ["plan", "--sandbox", "--sandbox-db", database, "--detailed-exitcode",
                          folder])
            )
        for index, (name, content) in enumerate(inputs):
            (folder / "fuzz.yaml").write_bytes(content)
            for command, args in commands:
                run = run_process(engine(*args), env=env, cwd=work, timeout=hang_guard)
                results.append(Measured(name=name, size=len(content), command=command, run=run))
            if (index + 1) % 25 == 0:
                print(f"  {index + 1} of {len(inputs)} inputs", file=sys.stderr, flush=True)
    return results


def report(results: list[Measured], elapsed: float) -> str:
    lines = [f"Inputs: {len({(m.name, m.size) for m in results})} (largest "
             f"{max(m.size for m in results):,} bytes), runs: {len(results)}, "
             f"{elapsed / 60:.1f} min", ""]
    lines.append("| command | runs | exit 0 / 1 / 2 | max wall (s) | its input | max CPU (s) | "
                  "max peak RSS (MB) | its input |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for command in sorted({m.command for m in results}, reverse=True):
        runs = [m for m in results if m.command == command]
        slowest = max(runs, key=lambda m: m.run.wall_s)
        largest_rss = max(runs, key=lambda m: m.run.peak_rss_mb)
        exits = " / ".join(
            str(sum(1 for m in runs if m.run.exit_code == code)) for code in (0, 1, 2)
        )
        lines.append(
            f"| {command} | {len(runs)} | {exits} | {slowest.run.wall_s:.2f} | {slowest.name} | "
            f"{max(m.run.cpu_s for m in runs):.2f} | {largest_rss.run.peak_rss_mb:.0f} | "
            f"{largest_rss.name} |"
        )
    lines.extend(["", *limits(results)])
    return "\n".join(lines)


def report_each(results: list[Measured]) -> str:
    """One line per run: what the flawed-objects case compares across its sizes."""
    lines = ["| input | bytes | command | exit | wall (s) | CPU (s) | peak RSS (MB) |",
             "|---|---|---|---|---|---|---|"]
    lines.extend(
        f"| {m.name} | {m.size:,} | {m.command} | {m.run.exit_code} | {m.run.wall_s:.2f} | "
        f"{m.run.cpu_s:.2f} | {m.run.peak_rss_mb:.0f} |"
        for m in results
    )
    lines.extend(["", *limits(results)])
    return "\n".join(lines)


def limits(results: list[Measured]) -> list[str]:
    broken = [m for m in results if m.broken]
    lines = [f"Limits: {LIMIT_SECONDS:g} s and {LIMIT_MB:g} MB per run; "
             f"{len(broken)} run(s) broke one."]
    lines.extend(f"- {m.command} on {m.name} ({m.size:,} bytes): {', '.join(m.broken)}"
                 for m in broken)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fuzz_limits",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=200,
                        help="Drawn inputs besides the largest ones (default 200).")
    parser.add_argument("--no-plan", action="store_true",
                        help="Run validate only (the flawed-objects case always does).")
    parser.add_argument("--flawed-objects", type=int, nargs="+", default=list(FLAWED_COUNTS),
                        metavar="N", help="Sizes of the flawed-objects case (default 20000 40000).")
    parser.add_argument("--only", choices=CASES, help="Measure one case (default both).")
    parser.add_argument("--hang-guard", type=float, default=HANG_GUARD, metavar="SECONDS",
                        help=f"Kill a run after this long (default {HANG_GUARD:g}).")
    args = parser.parse_args(argv)
    results: list[Measured] = []
    if args.only in (None, "corpus"):
        started = time.perf_counter()
        inputs = corpus(args.examples)
        print(f"Measuring {len(inputs)} inputs...", file=sys.stderr, flush=True)
        measured = measure(inputs, plans=not args.no_plan, hang_guard=args.hang_guard)
        print(report(measured, time.perf_counter() - started))
        results.extend(measured)
    if args.only in (None, "flawed-objects"):
        print(f"Measuring {len(args.flawed_objects)} flawed-objects inputs...", file=sys.stderr,
              flush=True)
        measured = measure(
            flawed_inputs(args.flawed_objects), plans=False, hang_guard=args.hang_guard
        )
        print(("\n" if results else "") + report_each(measured))
        results.extend(measured)
    return 1 if any(m.broken for m in results) else 0


if __name__ == "__main__":
    sys.exit(main())
