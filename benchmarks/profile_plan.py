"""Run one `reconciler` command in-process, measuring the diff's CPU share or profiling it whole.

    python -m benchmarks.profile_plan timing OUT.json -- plan CONFIG_DIR [options]
    python -m benchmarks.profile_plan cprofile OUT.json -- plan CONFIG_DIR [options]
    python -m benchmarks.profile_plan memory OUT.json -- plan CONFIG_DIR [options]

`timing` wraps the diff's entry points (`field_changes` as `engine/changes.py` calls it,
`merge_patch` as the Prospero provider calls it) with a per-thread CPU clock and divides by the
process's own CPU (`getrusage`, start-up and imports included, as for the engine measured on its
own): the diff share without a profiler's distortion. `cprofile` runs cProfile in every thread (the
refresh walks run on a pool; only threads that ended are read) and lists the hot spots by own time
and, for the reconciler's functions, by cumulative time. Its clock is wall time per thread, so a
refresh thread's waits on the network show up as socket calls. `memory` runs under tracemalloc: the
traced peak, and the allocation sites still held right after planning (Python allocations only, so
less than the RSS).
"""

from __future__ import annotations

import cProfile
import functools
import json
import pstats
import resource
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

TOP = 15
# Where a plan spends its time, by the function that owns each phase (file suffix, name).
PHASES = {
    "config: load (all)": ("reconciler/config/loader.py", "load"),
    "config: YAML parse": ("reconciler/config/yaml/reader.py", "parse_yaml"),
    "config: object positions (text scan)": ("reconciler/config/yaml/reader.py", "entry_starts"),
    "config: JSON Schema validation": ("reconciler/config/schema.py", "schema_issues"),
    "refresh: Prevail (thread)": ("reconciler/providers/prevail.py", "refresh"),
    "refresh: Prospero (thread)": ("reconciler/providers/prospero.py", "refresh"),
    "refresh: Previsto (thread)": ("reconciler/providers/previsto.py", "refresh"),
    "refresh: Previsto select resolution": ("reconciler/providers/previsto.py", "resolve"),
    "diff + change building": ("reconciler/engine/changes.py", "_changes_for"),
    "diff: field_changes": ("reconciler/engine/diff.py", "field_changes"),
    "state checksum": ("reconciler/engine/refresh.py", "state_checksum"),
    "scheduling checks": ("reconciler/engine/scheduling.py", "check_schedule"),
    "safety rails": ("reconciler/engine/safety.py", "guard"),
    "render (JSON document)": ("reconciler/render/json.py", "plan_document"),
    "render (text)": ("reconciler/render/text.py", "render_text"),
}

_profiles: list[tuple[threading.Thread, cProfile.Profile]] = []
_lock = threading.Lock()


def run_cli(args: list[str]) -> int:
    from reconciler.cli import main

    try:
        main.main(args, standalone_mode=False)
    except SystemExit as stop:
        return int(stop.code or 0)
    return 0


# -- timing: the diff's CPU without a profiler --------------------------------------------------


def timed_diff(args: list[str]) -> dict[str, Any]:
    import reconciler.engine.changes
    import reconciler.providers.prospero

    spent = [0.0]

    def clock(module: ModuleType, name: str) -> None:
        function: Callable[..., Any] | None = getattr(module, name, None)
        if function is None:  # e.g. the provider builds its patches another way
            return

        @functools.wraps(function)
        def wrapper(*positional: Any, **named: Any) -> Any:
            started = time.thread_time()
            try:
                return function(*positional, **named)
            finally:
                spent[0] += time.thread_time() - started

        setattr(module, name, wrapper)

    clock(reconciler.engine.changes, "field_changes")
    clock(reconciler.providers.prospero, "merge_patch")
    code = run_cli(args)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "exit_code": code,
        "cpu_s": cpu,
        "diff_s": spent[0],
        "diff_share": spent[0] / cpu if cpu else 0.0,
    }


# -- memory: what is held once the plan is made ------------------------------------------------


def traced_memory(args: list[str]) -> dict[str, Any]:
    import tracemalloc

    import reconciler.engine.plan

    # Patched where the pipeline looks the name up, so `build_plan` calls this.
    original = reconciler.engine.plan.plan_changes
    held: dict[str, Any] = {}

    def snapshotting(*positional: Any, **named: Any) -> Any:
        result = original(*positional, **named)
        # Taken while the desired state, the refreshed objects and the plan are all alive.
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )
        held["total_mb"] = sum(stat.size for stat in snapshot.statistics("filename")) / 2**20
        held["by_line"] = [
            {"site": _site(stat.traceback[0].filename, stat.traceback[0].lineno),
             "mb": stat.size / 2**20, "blocks": stat.count}
            for stat in snapshot.statistics("lineno")[:TOP]
        ]
        return result

    reconciler.engine.plan.plan_changes = snapshotting
    tracemalloc.start()
    code = run_cli(args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"exit_code": code, "traced_peak_mb": peak / 2**20, **held}


def _site(file: str, line: int) -> str:
    return _name((file, line, "")).removesuffix("()")


# -- cProfile: the hot spots -------------------------------------------------------------------


def _profile_thread(frame: FrameType, event: str, arg: Any) -> None:
    # Installed by threading.setprofile: a new thread's first event swaps this hook for a
    # profiler of its own (cProfile profiles only the thread that enables it).
    sys.setprofile(None)
    profile = cProfile.Profile()
    with _lock:
        _profiles.append((threading.current_thread(), profile))
    profile.enable()


def profiled(args: list[str]) -> dict[str, Any]:
    threading.setprofile(_profile_thread)
    profile = cProfile.Profile()
    profile.enable()
    try:
        code = run_cli(args)
    finally:
        profile.disable()
        threading.setprofile(None)
    stats = pstats.Stats(profile)
    with _lock:
        # Threads still running (pyrate-limiter's idle timer loop) are left out: reading their
        # profile here would time their pending call on this thread's clock.
        for thread, other in _profiles:
            if not thread.is_alive():
                stats.add(other)
    return {"exit_code": code, **hot_spots(stats)}


def _name(key: tuple[str, int, str]) -> str:
    file, line, function = key
    for marker in ("site-packages/", "/reconciler/"):
        if marker in file:
            prefix = "reconciler/" if marker == "/reconciler/" else ""
            file = prefix + file.split(marker, 1)[1]
            break
    else:
        file = Path(file).name
    return f"{file}:{line}({function})"


def hot_spots(stats: pstats.Stats) -> dict[str, Any]:
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]

    def top(index: int, *, ours: bool) -> list[dict[str, Any]]:
        entries = [item for item in table.items() if not ours or "/reconciler/" in item[0][0]]
        ranked = sorted(entries, key=lambda item: item[1][index], reverse=True)[:TOP]
        return [
            {"function": _name(key), "calls": row[1], "own_s": row[2], "cumulative_s": row[3]}
            for key, row in ranked
        ]

    phases = []
    for phase, (suffix, function) in PHASES.items():
        for key, row in table.items():
            if key[0].endswith(suffix) and key[2] == function:
                phases.append({"phase": phase, "calls": row[1], "cumulative_s": row[3]})
    return {
        "phases": phases,
        "by_own": top(2, ours=False),
        "by_cumulative": top(3, ours=True),
    }


def main() -> None:
    mode, out, separator, *args = sys.argv[1:]
    modes = {"timing": timed_diff, "cprofile": profiled, "memory": traced_memory}
    if mode not in modes or separator != "--":
        raise SystemExit(
            "usage: python -m benchmarks.profile_plan timing|cprofile|memory OUT -- ARGS"
        )
    result = modes[mode](args)
    Path(out).write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
