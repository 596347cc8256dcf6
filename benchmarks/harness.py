"""Shared benchmark plumbing: the sandbox as its own process on loopback, seeding, clients.

The sandbox runs in a separate process so that its CPU time is not counted as the engine's.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import jwt
import jwt.warnings

PREVAIL_SLUG, PREVAIL_KEY = "sandbox-co", "sandbox-prevail-key"
PREVISTO_KEY = "sk_sandbox"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def sandbox_process(
    *, previsto_rate_limit: int = 1_000_000, db: Path | None = None
) -> Iterator[str]:
    """`reconciler sandbox --admin` on a free loopback port; yields its origin. With `db`, the
    sandbox keeps its state in that SQLite file (and finds there what an earlier one left)."""
    port = free_port()
    process = subprocess.Popen(
        # Without `db`, in memory: each measurement starts from nothing (by default the state is
        # the file `--sandbox` runs share, and would outlive the run).
        [sys.executable, "-m", "reconciler.cli", "sandbox", "--port", str(port), "--admin",
         "--db", ":memory:" if db is None else str(db),
         "--previsto-rate-limit", str(previsto_rate_limit),
         # Pages of 1000, as Previsto's newer developer pages allow and the client asks for.
         "--previsto-max-page-size", "1000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(origin + "/prospero/", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the sandbox process did not start") from None
                time.sleep(0.05)
        yield origin
    finally:
        process.terminate()
        process.wait(timeout=10)


def prevail_token() -> str:
    with warnings.catch_warnings():
        # The sandbox's published key is short; its length is not the benchmark's to judge.
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(
            {"exp": int(time.time()) + 300, "slug": PREVAIL_SLUG}, PREVAIL_KEY, algorithm="HS256"
        )


def machine() -> str:
    cores = os.cpu_count()
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            kib = int(meminfo.readline().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        memory = "unknown"
    return (
        f"{cores} cores, {memory} RAM, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d}"
    )
