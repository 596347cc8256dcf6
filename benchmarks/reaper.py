"""Run one command as this small process's child and write its own rusage: `reaper.py OUT -- ARGS`.

Why a middleman: Linux keeps a process's peak RSS across `exec`, starting from the memory of the
process it was forked from. A command spawned straight from the benchmark runner reports at least
the runner's own peak RSS (seen: 154 MB for `plan --help`, whose own peak is 37 MB). A
grandchild forked from this script, which imports nothing beyond the standard library's `os`,
`sys`, `time` and `json`, starts from about 10 MB. Its CPU, peak RSS and wall time go to OUT as
JSON; stdout and stderr pass through; the exit code is the command's.
"""

from __future__ import annotations

import json
import os
import sys
import time


def main(argv: list[str]) -> int:
    out, separator, *command = argv
    if separator != "--" or not command:
        raise SystemExit("usage: reaper.py OUT -- COMMAND [ARG...]")
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: become the command, or say why it could not
        try:
            os.execvp(command[0], command)
        except OSError as error:
            print(f"reaper.py: cannot run {command[0]}: {error}", file=sys.stderr, flush=True)
        os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(
            {
                "exit_code": code,
                "wall_s": wall,
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "peak_rss_kib": usage.ru_maxrss,
            },
            handle,
        )
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
