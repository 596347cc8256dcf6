"""How the benchmarks measure: a command's own wall, CPU and peak RSS, and the sandbox's log.

A command runs as its own process, forked by a small middleman (`benchmarks/reaper.py`) that
reaps it with `os.wait4`, whose rusage is that one process's: user + system CPU and peak RSS
(`ru_maxrss`, KiB on Linux), start-up and imports included. (Spawned straight from the runner, the
command would report at least the runner's own peak RSS: Linux carries it across `exec`.)
Requests are counted where they land, in the sandbox's request log (`GET /_sandbox/requests`),
which the runner clears before each measured command.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# List walks, per kind: the exact collection paths (an id after them is a per-object GET).
LIST_PATHS = {
    "sessions": "/prevail/sessions",
    "events": "/prospero/events",
    "assignments": "/previsto/assignments",
}
OBJECT_PATHS = {
    "sessions": re.compile(r"^/prevail/sessions/[^/]+$"),
    "events": re.compile(r"^/prospero/events/[^/]+$"),
    "assignments": re.compile(r"^/previsto/assignments/[^/]+$"),
}
PREFIXES = {"sessions": "/prevail/", "events": "/prospero/", "assignments": "/previsto/"}
REAPER = Path(__file__).resolve().with_name("reaper.py")


@dataclass(frozen=True)
class ProcessRun:
    command: tuple[str, ...]
    exit_code: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    stdout: str
    stderr: str


def run_process(
    args: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout: float = 3600.0
) -> ProcessRun:
    """Run `args` to completion and measure that process alone (not the runner, not the sandbox)."""
    with tempfile.TemporaryDirectory(prefix="reconciler-run-") as scratch:
        usage_file = Path(scratch) / "usage.json"
        out_file, err_file = Path(scratch) / "stdout", Path(scratch) / "stderr"
        # -I -S: the middleman imports no site packages, so its child starts small.
        reaper = [sys.executable, "-I", "-S", str(REAPER), str(usage_file), "--", *args]
        started = time.perf_counter()
        with out_file.open("wb") as out, err_file.open("wb") as err:
            process = subprocess.Popen(
                reaper, stdout=out, stderr=err, env=dict(env), cwd=cwd, start_new_session=True
            )
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # the middleman and the command
                process.wait()
        usage = (
            json.loads(usage_file.read_text(encoding="utf-8"))
            if usage_file.exists()
            else {"exit_code": -signal.SIGKILL, "wall_s": time.perf_counter() - started,
                  "cpu_s": 0.0, "peak_rss_kib": 0}
        )
        return ProcessRun(
            command=tuple(args),
            exit_code=int(usage["exit_code"]),
            wall_s=float(usage["wall_s"]),
            cpu_s=float(usage["cpu_s"]),
            peak_rss_mb=usage["peak_rss_kib"] / 1024,
            stdout=out_file.read_bytes().decode("utf-8", errors="replace"),
            stderr=err_file.read_bytes().decode("utf-8", errors="replace"),
        )


def engine(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "reconciler", *(str(arg) for arg in args)]


def python_module(module: str, *args: str | Path) -> list[str]:
    return [sys.executable, "-m", module, *(str(arg) for arg in args)]


def expect_exit(run: ProcessRun, *codes: int) -> ProcessRun:
    if run.exit_code not in codes:
        raise RuntimeError(
            f"{' '.join(run.command[2:])} exited {run.exit_code}, expected {codes}:\n"
            f"{run.stderr[-2000:]}\n{run.stdout[-2000:]}"
        )
    return run


# -- the sandbox's request log -----------------------------------------------------------------


@dataclass(frozen=True)
class Traffic:
    """The requests the sandbox saw during one measured command."""

    records: tuple[dict[str, Any], ...]

    def lists(self, kind: str) -> int:
        path = LIST_PATHS[kind]
        return sum(1 for r in self.records if r["method"] == "GET" and r["path"] == path)

    def lists_before_first_write(self, kind: str) -> int:
        """The list requests of `kind` made before the command's first write (an apply's
        refresh and its check before writing), in the order the sandbox received them."""
        path = LIST_PATHS[kind]
        count = 0
        for r in self.records:
            if r["method"] in WRITES and not r["path"].endswith("/auth/login"):
                break
            count += r["method"] == "GET" and r["path"] == path
        return count

    def object_gets(self, kind: str) -> int:
        pattern = OBJECT_PATHS[kind]
        return sum(
            1 for r in self.records if r["method"] == "GET" and pattern.match(r["path"])
        )

    def writes(self, kind: str | None = None, method: str | None = None) -> list[dict[str, Any]]:
        return [
            r
            for r in self.records
            if r["method"] in WRITES
            and not r["path"].endswith("/auth/login")
            and (kind is None or r["path"].startswith(PREFIXES[kind]))
            and (method is None or r["method"] == method)
        ]

    def statuses(self, prefix: str) -> Counter[int]:
        return Counter(r["status"] for r in self.records if r["path"].startswith(prefix))

    def total(self, kind: str) -> int:
        return sum(1 for r in self.records if r["path"].startswith(PREFIXES[kind]))


def forget(admin: httpx.Client) -> None:
    admin.delete("/_sandbox/requests").raise_for_status()


def traffic(admin: httpx.Client) -> Traffic:
    response = admin.get("/_sandbox/requests")
    response.raise_for_status()
    return Traffic(tuple(response.json()))


def arm_latency(
    admin: httpx.Client, *, path: str, method: str | None, seconds: float
) -> None:
    """Every request to `path` (a regular expression; `method`, or any) waits `seconds`."""
    fault = {"kind": "latency", "path": path, "method": method, "seconds": seconds, "times": None}
    admin.post("/_sandbox/faults", json=fault).raise_for_status()


def clear_faults(admin: httpx.Client) -> None:
    admin.delete("/_sandbox/faults").raise_for_status()


# -- apply's journal: when each write started and ended ----------------------------------------


@dataclass(frozen=True)
class JournalSpan:
    applied: int
    failed: int
    first_start: float
    last_end: float
    first_end: float

    @property
    def seconds(self) -> float:
        """From the first change started to the last one finished."""
        return self.last_end - self.first_start

    @property
    def steady_per_minute(self) -> float:
        """Completions per minute between the first and the last completion."""
        between = self.last_end - self.first_end
        return (self.applied - 1) * 60 / between if between > 0 and self.applied > 1 else 0.0


def journal_span(path: Path) -> JournalSpan:
    starts: list[float] = []
    ends: list[float] = []
    failed = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        moment = datetime.strptime(entry["time"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
        if entry["event"] == "start":
            starts.append(moment)
        elif entry["event"] == "applied":
            ends.append(moment)
        elif entry["event"] in ("failed", "unverified"):
            failed += 1
        # Other lines (a lost answer, a look-up, a write read back and verified) say how an
        # outcome was reached, not another outcome.
    if not starts or not ends:
        raise RuntimeError(f"{path}: the journal holds no applied change")
    return JournalSpan(
        applied=len(ends),
        failed=failed,
        first_start=min(starts),
        last_end=max(ends),
        first_end=min(ends),
    )
