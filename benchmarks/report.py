"""RESULTS.md: one table per scenario, the targets with a verdict each, and the hot spots."""

from __future__ import annotations

import math
from dataclasses import dataclass

from benchmarks.history import HistoryResult, history_section
from benchmarks.scenarios import (
    KINDS,
    PAGE_MAX,
    PLAN_RUNS,
    THROUGHPUT_RUNS,
    PacingResult,
    ScaleResult,
    ThroughputResult,
    lower_bound,
)

PREVISTO_DOCUMENTED_RATE = 120 * 0.98  # what the engine paces at against Previsto's real limit
TARGET_N = 10_000  # the targets speak of 30,000 objects: 10,000 per kind
# The standing engine CPU target: no worse than the 3.06 s measured at 30,000 objects, + 10 %
# (the earlier 2 s was withdrawn: the rest sits in the interpreter, imports and YAML reading).
CPU_TARGET_S = 3.06 * 1.1
TIMES, DASH = "\u00d7", "\u2013"  # the multiplication sign and the en dash of the tables


@dataclass
class Results:
    machine: str
    command: str
    minutes: float
    scale: list[ScaleResult]
    throughput: ThroughputResult | None
    pacing: list[PacingResult]
    startup: tuple[float, float, float] | None = None  # wall s, CPU s, peak RSS MB
    history: HistoryResult | None = None


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _header(*names: str) -> list[str]:
    return [_row(*names), _row(*("---" for _ in names))]


def refresh_table(results: list[ScaleResult]) -> list[str]:
    lines = [
        "## Refresh: requests for `plan` on a converged state",
        "",
        "Engine: per kind, the list of what can matter at the largest page (Prevail 1,000, "
        "Prospero 500, Previsto 1,000): Prevail's sessions and Prospero's managed events "
        "starting from a day before now, Previsto's assignments marked with the "
        "configuration's scope (two lists: plain and protected). Prevail's window holds the "
        "sandbox's few unmanaged demo sessions too: the bound is ⌈listed / page max⌉. Peer: "
        "one GET per declared object.",
        "",
        *_header("N per kind", "kind", "listed", "engine list requests", "⌈listed/page max⌉",
                 "⌈N/page max⌉", "peer GETs", "peer ÷ engine"),
    ]
    for result in results:
        engine = next(p for p in result.plans if p.tool == "engine" and p.state == "converged")
        peer = next(p for p in result.plans if p.tool == "peer" and p.state == "converged")
        for kind in KINDS:
            ours, theirs = engine.requests[kind], peer.requests[kind]
            lines.append(_row(
                f"{result.n:,}", kind, f"{result.listed[kind]:,}", ours,
                lower_bound(kind, result.listed[kind]), math.ceil(result.n / PAGE_MAX[kind]),
                f"{theirs:,}", f"{theirs / ours:.0f}{TIMES}" if ours else DASH,
            ))
    largest = results[-1]
    engine = next(p for p in largest.plans if p.tool == "engine" and p.state == "converged")
    minutes = engine.requests["assignments"] / PREVISTO_DOCUMENTED_RATE
    peer_minutes = largest.n / PREVISTO_DOCUMENTED_RATE
    lines += [
        "",
        f"At Previsto's documented 120 requests/minute (paced at 98 %), refreshing "
        f"{largest.n:,} assignments costs the engine {minutes:.1f} min and the peer "
        f"{peer_minutes:.0f} min.",
        "",
    ]
    return lines


def plan_table(results: list[ScaleResult], startup: tuple[float, float, float] | None
               ) -> list[str]:
    lines = [
        "## Plan: time, CPU and memory",
        "",
        "Each row is one process (`reconciler plan DIR --format json`, or the peer without "
        "`--apply`): wall time, its own CPU (user + system, start-up and imports included) and "
        "peak RSS, from `os.wait4`; for the engine, the run with the median CPU of "
        f"{PLAN_RUNS} (one run's CPU varies by about 20 % on a shared machine). Diff share: "
        "the diff's CPU over the process's CPU, from a "
        "separate run of `benchmarks/profile_plan.py timing` (no profiler).",
        "",
        *_header("N per kind", "objects", "state", "tool", "wall s", "CPU s",
                 "CPU s, every run", "peak RSS MB", "diff share of CPU", "requests",
                 "changes found"),
    ]
    for result in results:
        for run in result.plans:
            share = f"{run.diff_share:.1%}" if run.diff_share is not None else DASH
            every = ", ".join(f"{cpu:.2f}" for cpu in run.cpu_runs) or DASH
            lines.append(_row(
                f"{result.n:,}", f"{3 * result.n:,}", run.state, run.tool, f"{run.wall_s:.2f}",
                f"{run.cpu_s:.2f}", every, f"{run.peak_rss_mb:.0f}", share,
                f"{sum(run.requests.values()):,}", f"{run.changes:,}",
            ))
    if startup is not None:
        wall, cpu, rss = startup
        lines += ["", f"Start-up alone (`reconciler plan --help`: the interpreter and what plan "
                  f"imports, median of 3): {wall:.2f} s wall, {cpu:.2f} s CPU, {rss:.0f} MB "
                  "peak RSS."]
    return [*lines, ""]


def writes_table(results: list[ScaleResult]) -> list[str]:
    lines = [
        "## Apply of the 1 % changed",
        "",
        "Engine writes and bytes per write as sent (the body serialised as the providers send "
        "it); the changed fields' JSON is `{field: new value}` (for a metadata or custom-fields "
        "dict, its changed keys only). Prevail's and Previsto's bodies carry the API's envelope "
        "(`remote_session`, `meta`); Prospero's is a bare RFC 7386 merge patch. The peer sends "
        "the full declared body.",
        "",
        *_header("N per kind", "kind", "changed", "engine writes", "peer writes",
                 "engine bytes/write", "changed fields' bytes", "engine ÷ changed",
                 "peer bytes/write"),
    ]
    for result in results:
        for row in result.writes:
            ratio = row.engine_bytes / row.changed_bytes if row.changed_bytes else 0.0
            lines.append(_row(
                f"{result.n:,}", row.kind, row.changed, row.engine_writes, row.peer_writes,
                f"{row.engine_bytes:.0f}", f"{row.changed_bytes:.0f}", f"{ratio:.2f}{TIMES}",
                f"{row.peer_bytes:.0f}",
            ))
    lines.append("")
    for result in results:
        lines.append(
            f"Apply again on the applied state (N = {result.n:,} per kind): "
            f"{result.converged_apply_writes} writes."
        )
    return [*lines, ""]


def creates_table(results: list[ScaleResult]) -> list[str]:
    rows = [r for r in results if r.creates]
    if not rows:
        return []
    lines = [
        "## New Prospero events: bulk create",
        "",
        *_header("N per kind", "new events", "engine POSTs", "events in the largest POST",
                 "peer POSTs", "engine apply wall s", "peer wall s"),
    ]
    for result in rows:
        c = result.creates
        lines.append(_row(
            f"{result.n:,}", f"{c['new']:,}", c["engine_posts"], c["largest_post"],
            f"{c['peer_posts']:,}", f"{c['engine_wall_s']:.2f}", f"{c['peer_wall_s']:.2f}",
        ))
    return [*lines, ""]


def throughput_table(result: ThroughputResult | None) -> list[str]:
    if result is None:
        return []
    lines = [
        f"## Apply throughput: {result.updates:,} Prospero updates, "
        f"{result.latency_s * 1000:.0f} ms latency on each PATCH",
        "",
        "Latency injected by the sandbox (`POST /_sandbox/faults`, kind `latency`, "
        "`^/prospero/events/`, PATCH). Apply phase: first change started to last finished, "
        f"from apply's journal. Each parallelism runs {THROUGHPUT_RUNS} times (every run a full "
        "update of every event); the row is the median run, failures are over all runs.",
        "",
        *_header("parallelism", "apply phase s", "updates/s", "process wall s", "failed",
                 "every run's apply phase s"),
    ]
    for parallelism, seconds in sorted(result.seconds.items()):
        lines.append(_row(
            parallelism, f"{seconds:.2f}", f"{result.updates / seconds:.0f}",
            f"{result.wall[parallelism]:.2f}", result.failed[parallelism],
            ", ".join(f"{run:.2f}" for run in result.runs[parallelism]),
        ))
    lines += ["", f"Speed-up, 8 vs 1: {speedup(result):.1f}{TIMES}.", ""]
    return lines


def speedup(result: ThroughputResult) -> float:
    return result.seconds[1] / result.seconds[8] if result.seconds.get(8) else 0.0


def pacing_table(results: list[PacingResult]) -> list[str]:
    if not results:
        return []
    lines = [
        "## Previsto: apply throughput against its rate limit",
        "",
        "Each row: a sandbox started with `--previsto-rate-limit R` (a sliding 60 s window per "
        "key) and a config with `requests_per_minute: R`; the engine paces at 98 % of R. "
        "Steady rate: completions per minute between the first and the last PUT (apply's "
        "journal); overall: PUTs over the whole apply phase. The list walk before the PUTs "
        "counts against the same limit.",
        "",
        *_header("updates", "limit R/min", "steady PUTs/min", "share of R",
                 "overall PUTs/min", "Previsto requests", "429s", "process wall s"),
    ]
    for result in results:
        lines.append(_row(
            result.updates, result.rate, f"{result.steady_per_minute:.0f}",
            f"{result.steady_per_minute / result.rate:.1%}", f"{result.overall_per_minute:.0f}",
            result.previsto_requests, result.rate_limited, f"{result.wall_s:.1f}",
        ))
    return [*lines, ""]


def _target_scale(results: list[ScaleResult]) -> ScaleResult:
    at_target = [r for r in results if r.n == TARGET_N]
    return at_target[0] if at_target else results[-1]


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def targets_table(results: Results) -> list[str]:
    scale = _target_scale(results.scale)
    where = f"N = {scale.n:,} per kind ({3 * scale.n:,} objects)"
    if scale.n != TARGET_N:
        where += f"; the targets are set for {TARGET_N:,} per kind, not measured in this run"
    lines = ["## Targets", "", f"Measured at {where}.", "",
             *_header("target", "measured", "verdict")]

    engine = next(p for p in scale.plans if p.tool == "engine" and p.state == "converged")
    peer = next(p for p in scale.plans if p.tool == "peer" and p.state == "converged")
    bound = {kind: lower_bound(kind, scale.listed[kind]) for kind in KINDS}
    measured = ", ".join(f"{kind} {engine.requests[kind]} (bound {bound[kind]})" for kind in KINDS)
    lines.append(_row("refresh = ⌈listed/page max⌉ list requests per kind", measured,
                      _verdict(all(engine.requests[k] <= bound[k] for k in KINDS))))
    ratio = peer.requests["sessions"] / max(1, engine.requests["sessions"])
    lines.append(_row(f"Prevail refresh ≥ 100{TIMES} fewer requests than the peer",
                      f"{ratio:.0f}{TIMES}", _verdict(ratio >= 100)))
    over = [w for w in scale.writes if w.engine_writes > w.changed]
    lines.append(_row(
        "writes ≤ changed objects",
        ", ".join(f"{w.kind} {w.engine_writes}/{w.changed}" for w in scale.writes),
        _verdict(not over),
    ))
    lines.append(_row("converged apply = 0 writes", scale.converged_apply_writes,
                      _verdict(scale.converged_apply_writes == 0)))
    # The lists apply adds to the plan's: each at most one a kind.
    for what, lists in (("check before the first write", scale.pre_write_lists),
                        ("read-back after the writes", scale.read_back_lists)):
        if lists:
            lines.append(_row(
                f"{what} ≤ 1 list request per kind",
                ", ".join(f"{kind} {lists[kind]}" for kind in KINDS),
                _verdict(all(count <= 1 for count in lists.values())),
            ))
    if scale.creates:
        c = scale.creates
        limit = math.ceil(c["new"] / 100)
        lines.append(_row(f"{c['new']:,} new events ≤ {limit} POSTs (≤ 100 each)",
                          f"{c['engine_posts']} POSTs, largest {c['largest_post']} events",
                          _verdict(c["engine_posts"] <= limit and c["largest_post"] <= 100)))
    events = next(w for w in scale.writes if w.kind == "events")
    patch_ratio = events.engine_bytes / events.changed_bytes if events.changed_bytes else 0.0
    lines.append(_row(f"merge-patch bytes ≤ 1.2{TIMES} the changed fields' JSON (Prospero)",
                      f"{events.engine_bytes:.0f} / {events.changed_bytes:.0f} B = "
                      f"{patch_ratio:.2f}{TIMES}", _verdict(0 < patch_ratio <= 1.2)))
    plans = [p for p in scale.plans if p.tool == "engine"]
    worst = {
        "wall": max(p.wall_s for p in plans),
        "cpu": max(p.cpu_s for p in plans),
        "diff": max(p.diff_share or 0.0 for p in plans),
        "rss": max(p.peak_rss_mb for p in plans),
    }
    lines += [
        _row("plan ≤ 5 s wall", f"{worst['wall']:.2f} s", _verdict(worst["wall"] <= 5)),
        _row(f"engine CPU ≤ {CPU_TARGET_S:.2f} s (3.06 s + 10 %)", f"{worst['cpu']:.2f} s",
             _verdict(worst["cpu"] <= CPU_TARGET_S)),
        _row("diff ≤ 10 % of engine CPU", f"{worst['diff']:.1%}", _verdict(worst["diff"] <= 0.1)),
        _row("peak RSS ≤ 250 MB", f"{worst['rss']:.0f} MB", _verdict(worst["rss"] <= 250)),
    ]
    if results.throughput is not None:
        gain = speedup(results.throughput)
        lines.append(_row(
            f"{results.throughput.updates:,} Prospero updates at 20 ms: parallelism 8 ≥ 6{TIMES} "
            "faster than 1", f"{gain:.1f}{TIMES}", _verdict(gain >= 6),
        ))
    for pacing in results.pacing:
        share = pacing.steady_per_minute / pacing.rate
        lines.append(_row(f"Previsto ≥ 95 % of the configured rate ({pacing.rate}/min), "
                          "zero 429s", f"{share:.1%}, {pacing.rate_limited} {TIMES} 429",
                          _verdict(share >= 0.95 and pacing.rate_limited == 0)))
    lines += [
        "",
        "Plan figures are the worse of the converged and the 1 % changed plan. Where a plan "
        "target is missed, the phases below say where the CPU goes.",
        "",
    ]
    return lines


def hot_spots_section(results: list[ScaleResult]) -> list[str]:
    profiled = [r for r in results if r.hot_spots]
    if not profiled:
        return []
    result = profiled[-1]
    spots = result.hot_spots
    lines = [
        f"## Hot spots: `plan` (1 % changed), N = {result.n:,} per kind, under cProfile",
        "",
        "`python -m benchmarks.profile_plan cprofile OUT -- plan DIR`: every thread profiled "
        "(wall clock per thread, so waits on the network show as socket calls); profiling "
        "inflates call-heavy code, so read the shares, not the seconds.",
        "",
        "Phases (cumulative):",
        "",
        *_header("phase", "profiled s", "calls"),
    ]
    for phase in spots.get("phases", []):
        lines.append(_row(phase["phase"], f"{phase['cumulative_s']:.2f}", phase["calls"]))
    lines += ["", "By own time (threads waiting on a lock or a queue left out):", "",
              *_header("function", "calls", "own s", "cumulative s")]
    waits = ("acquire' of '_thread.lock", "get' of '_queue.SimpleQueue")
    busy = [row for row in spots["by_own"] if not any(w in row["function"] for w in waits)]
    for row in busy[:12]:
        lines.append(_row(f"`{row['function']}`", f"{row['calls']:,}", f"{row['own_s']:.2f}",
                          f"{row['cumulative_s']:.2f}"))
    lines += ["", "The reconciler's functions by cumulative time:", "",
              *_header("function", "calls", "own s", "cumulative s")]
    for row in spots["by_cumulative"][:15]:
        lines.append(_row(f"`{row['function']}`", f"{row['calls']:,}", f"{row['own_s']:.2f}",
                          f"{row['cumulative_s']:.2f}"))
    return [*lines, ""]


def memory_section(results: list[ScaleResult]) -> list[str]:
    measured = [r for r in results if r.memory]
    if not measured:
        return []
    result = measured[-1]
    held = result.memory
    lines = [
        f"## Memory: `plan` (1 % changed), N = {result.n:,} per kind, under tracemalloc",
        "",
        "`python -m benchmarks.profile_plan memory OUT -- plan DIR`: Python allocations only "
        "(the interpreter and imported modules make up the rest of the RSS). Traced peak: "
        f"{held['traced_peak_mb']:.0f} MB; still held right after planning: "
        f"{held.get('total_mb', 0.0):.0f} MB, the largest sites:",
        "",
        *_header("allocation site", "MB", "blocks"),
    ]
    for row in held.get("by_line", [])[:12]:
        lines.append(_row(f"`{row['site']}`", f"{row['mb']:.1f}", f"{row['blocks']:,}"))
    return [*lines, ""]


def render(results: Results) -> str:
    if not results.scale:  # a run of the history alone
        lines = [
            "# Benchmarks: minimal requests and speed at scale",
            "",
            *(history_section(results.history) if results.history is not None else []),
        ]
        return "\n".join(lines).rstrip() + "\n"
    lines = [
        "# Benchmarks: minimal requests and speed at scale",
        "",
        f"Machine: {results.machine}. Command: `{results.command}` "
        f"({results.minutes:.1f} min). Written by `benchmarks/run.py`; do not edit by hand.",
        "",
        "The sandbox runs as its own process (`reconciler sandbox --admin`) on loopback, so its "
        "CPU is not the engine's; every measured command (`reconciler plan|apply`, and the "
        "per-object peer `benchmarks/naive.py`) runs as its own process too. Requests are "
        "counted in the sandbox's request log. In the scale runs, Previsto's sandbox limit is "
        "lifted and the config sets `requests_per_minute: 100000` (the schema's maximum) so "
        "that pacing does not hide the engine's own speed; the peer shares the engine's HTTP "
        "clients, YAML loader and field comparison, and runs 8 requests at a time.",
        "",
        *targets_table(results),
        *refresh_table(results.scale),
        *plan_table(results.scale, results.startup),
        *writes_table(results.scale),
        *creates_table(results.scale),
        *throughput_table(results.throughput),
        *pacing_table(results.pacing),
        *(history_section(results.history) if results.history is not None else []),
        *hot_spots_section(results.scale),
        *memory_section(results.scale),
    ]
    return "\n".join(lines).rstrip() + "\n"


def merged(existing: str, fresh: str) -> str:
    """`existing` RESULTS.md with each `## ` section of `fresh` put in place of the section of
    the same title (appended when it has none); every other section is kept as it was."""

    def sections(text: str) -> tuple[str, dict[str, str]]:
        head, *parts = text.split("\n## ")
        return head, {part.split("\n", 1)[0]: "## " + part for part in parts}

    head, kept = sections(existing)
    _, new = sections(fresh)
    for title, body in new.items():
        kept[title] = body
    return "\n".join([head.rstrip() + "\n", *(body.rstrip() + "\n" for body in kept.values())])
