"""A measured command's figures are its own (not the runner's memory); exit codes pass through."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from benchmarks.measure import run_process

PYTHON = sys.executable


def test_peak_rss_is_the_commands_own_not_the_runners(tmp_path: Path) -> None:
    held = bytearray(300 * 1024 * 1024)  # the runner holds 300 MB when it starts the command
    for page in range(0, len(held), 4096):
        held[page] = 1
    small = run_process([PYTHON, "-c", "pass"], env=os.environ, cwd=tmp_path)
    large = run_process(
        [PYTHON, "-c", "block = bytearray(120 * 1024 * 1024)\nfor i in range(0, len(block), 4096):"
         " block[i] = 1"],
        env=os.environ, cwd=tmp_path,
    )
    assert len(held) == 300 * 1024 * 1024
    assert small.exit_code == 0 and large.exit_code == 0
    assert small.peak_rss_mb < 100, small.peak_rss_mb
    assert 120 < large.peak_rss_mb < 250, large.peak_rss_mb
    assert large.cpu_s > 0 and large.wall_s >= large.cpu_s * 0.5


def test_output_and_exit_code_pass_through(tmp_path: Path) -> None:
    done = run_process(
        [PYTHON, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"],
        env=os.environ, cwd=tmp_path,
    )
    assert (done.exit_code, done.stdout, done.stderr) == (3, "out\n", "err\n")


def test_a_command_past_its_time_is_killed(tmp_path: Path) -> None:
    done = run_process([PYTHON, "-c", "import time; time.sleep(30)"], env=os.environ,
                       cwd=tmp_path, timeout=0.05)
    assert done.exit_code < 0  # killed by a signal: left alone, it would have exited 0


def test_a_command_that_cannot_start_says_why(tmp_path: Path) -> None:
    done = run_process([str(tmp_path / "missing")], env=os.environ, cwd=tmp_path)
    assert done.exit_code == 127
    assert "cannot run" in done.stderr and "missing" in done.stderr
