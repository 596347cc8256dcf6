"""`reconciler sandbox` shares its state with `--sandbox` runs by default: one SQLite file,
`.reconciler/sandbox.db`, read and written by the served process and by in-process runs alike."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.fixtures.repo import SANDBOX_ENV, providers_yaml

BANNER = re.compile(r"^reconciler sandbox on (?P<origin>http://127\.0\.0\.1:\d+) \(state: "
                    r"(?P<db>[^,)]+)(?P<shared>, shared with --sandbox)?\)$")


@contextmanager
def served(cwd: Path, *options: str) -> Iterator[re.Match[str]]:
    """`reconciler sandbox --port 0` started in `cwd`; yields its banner's first line, parsed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "--port", "0", *options],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().rstrip("\n")
        banner = BANNER.match(first)
        assert banner, first + process.stdout.read()
        while "Press Ctrl-C to stop." not in process.stdout.readline():
            assert process.poll() is None, "the sandbox stopped"
        # Serving once it answers (the banner is printed just before the server starts): a
        # Ctrl-C is then what a user's is.
        answering(banner["origin"], process)
        yield banner
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise
        if process.stdout:
            process.stdout.close()


def answering(origin: str, process: subprocess.Popen[str]) -> None:
    for _ in range(1000):
        try:
            httpx.get(f"{origin}/prospero/", timeout=1)
            return
        except httpx.TransportError:
            assert process.poll() is None, "the sandbox stopped"
            time.sleep(0.02)
    raise AssertionError(f"the sandbox at {origin} never answered")


def reconciler(cwd: Path, *args: str, expect: int) -> str:
    done = subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), **SANDBOX_ENV})
    assert done.returncode == expect, done.stdout + done.stderr
    return done.stdout


def event(capacity: int) -> str:
    return ("version: 1\nevents:\n  - key: shared-gala\n    title: Shared gala\n"
            "    start: 2027-05-04T19:00:00Z\n    end: 2027-05-04T21:00:00Z\n"
            f"    capacity: {capacity}\n")


def test_a_served_sandbox_and_sandbox_runs_see_one_state(tmp_path: Path):
    with served(tmp_path) as banner:
        assert banner["db"] == ".reconciler/sandbox.db" and banner["shared"]
        schedule = tmp_path / "schedule"
        schedule.mkdir()
        (schedule / "providers.yaml").write_text(providers_yaml(banner["origin"]))
        (schedule / "events.yaml").write_text(event(12))

        # Written in-process (--sandbox) while the served process holds the same file open...
        reconciler(tmp_path, "apply", "schedule", "--sandbox", "--auto-approve", expect=0)
        # ...and read back over HTTP from the served process: nothing left to do.
        assert "No changes" in reconciler(tmp_path, "plan", "schedule", "--detailed-exitcode",
                                          expect=0)

        # The other way: written through the served process, seen by a --sandbox run.
        (schedule / "events.yaml").write_text(event(30))
        reconciler(tmp_path, "apply", "schedule", "--auto-approve", expect=0)
        assert "No changes" in reconciler(tmp_path, "plan", "schedule", "--sandbox",
                                          "--detailed-exitcode", expect=0)
    assert (tmp_path / ".reconciler" / "sandbox.db").is_file()


def test_memory_keeps_no_state_and_shares_none(tmp_path: Path):
    with served(tmp_path, "--db", ":memory:") as banner:
        assert (banner["db"], banner["shared"]) == (":memory:", None)
    assert not (tmp_path / ".reconciler").exists()


def test_another_db_is_created_where_asked_and_not_called_shared(tmp_path: Path):
    with served(tmp_path, "--db", "elsewhere/state.db") as banner:
        assert (banner["db"], banner["shared"]) == ("elsewhere/state.db", None)
    assert (tmp_path / "elsewhere" / "state.db").is_file()
