"""`python -m benchmarks.fuzz_limits [--examples N]`: how long the CLI runs and how much memory it
holds on hostile configuration files, against the limits they must stay within: no run over
5 s or 500 MB on an input under 1 MB.

The inputs are the fuzz suite's (`tests/fixtures/hostile.py`, drawn deterministically, so two
runs measure the same files) plus the largest of each shape (`largest()`: 20,000 levels of
nesting, 41,000 unknown keys in 0.96 MB, a 990,000-digit integer...). Each input is run through
`reconciler validate --sandbox` and `reconciler plan --sandbox` (the embedded sandbox), each as
its own process, measured alone (`benchmarks/measure.py`: wall time and peak RSS). The tests
never assert elapsed time; this reports it, and exits 1 when a run broke a limit, crashed, or
printed a traceback or "internal error". Needs the test extra (hypothesis).
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
from tests.fixtures.hostile import hostile_files, largest

MAX_INPUT_BYTES = 1_000_000
LIMIT_SECONDS = 5.0
LIMIT_MB = 500.0
HANG_GUARD = 120.0  # a run killed here is reported, not waited for


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


def measure(inputs: list[tuple[str, bytes]], *, plans: bool) -> list[Measured]:
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
                run = run_process(engine(*args), env=env, cwd=work, timeout=HANG_GUARD)
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
    broken = [m for m in results if m.broken]
    lines.append("")
    lines.append(f"Limits: {LIMIT_SECONDS:g} s and {LIMIT_MB:g} MB per run; "
                 f"{len(broken)} run(s) broke one.")
    lines.extend(f"- {m.command} on {m.name} ({m.size:,} bytes): {', '.join(m.broken)}"
                 for m in broken)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fuzz_limits",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=200,
                        help="Drawn inputs besides the largest ones (default 200).")
    parser.add_argument("--no-plan", action="store_true", help="Run validate only.")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    inputs = corpus(args.examples)
    print(f"Measuring {len(inputs)} inputs...", file=sys.stderr, flush=True)
    results = measure(inputs, plans=not args.no_plan)
    print(report(results, time.perf_counter() - started))
    return 1 if any(m.broken for m in results) else 0


if __name__ == "__main__":
    sys.exit(main())
