"""Previsto pacing: an apply of N metadata updates against a sandbox limit of R requests/minute.

Reports the wall time, the floor the limit allows (requests / R), their ratio, and the 429s the
sandbox answered (target: zero 429s, ratio ≤ 1.05). The engine paces at 98 % of the configured
rate, so the expected ratio is about 1.02.
Run: `python -m benchmarks.previsto_pacing [--updates 300] [--rate 600]`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.harness import PREVISTO_KEY, machine, sandbox_process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=300)
    parser.add_argument("--rate", type=int, default=600, help="sandbox and config limit per minute")
    args = parser.parse_args()
    with (
        sandbox_process(previsto_rate_limit=args.rate) as origin,
        tempfile.TemporaryDirectory() as tmp,
    ):
        admin = httpx.Client(base_url=origin, timeout=60)
        created = admin.post(
            "/_sandbox/previsto/assignments",
            json={"assignments": [{"meta": {"crew": "day"}} for _ in range(args.updates)]},
        ).json()["assignments"]
        config = Path(tmp) / "schedule.yaml"
        lines = [
            "version: 1",
            "providers:",
            "  previsto:",
            f"    base_url: {origin}/previsto",
            "    api_key: ${PREVISTO_API_KEY}",
            f"    requests_per_minute: {args.rate}",
            "assignments:",
        ]
        for n, assignment in enumerate(created):
            lines += [f"  - key: bench-{n}", f"    select: {{id: {assignment['id']}}}",
                      "    metadata: {crew: night}"]
        config.write_text("\n".join(lines) + "\n")
        admin.delete("/_sandbox/requests")
        # A fresh window: the seeding above went through the admin API, not the rate limit.
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "reconciler", "apply", str(config), "--auto-approve",
             "--max-change-percent", "100"],
            env={**os.environ, "PREVISTO_API_KEY": PREVISTO_KEY},
            capture_output=True,
            text=True,
            cwd=tmp,
            check=False,
        )
        elapsed = time.perf_counter() - started
        seen = admin.get("/_sandbox/requests").json()
        previsto = [r for r in seen if r["path"].startswith("/previsto/")]
        throttled = sum(1 for r in previsto if r["status"] == 429)
        writes = sum(1 for r in previsto if r["method"] == "PUT")
    # The floor: the limit allows one request every 60/R seconds, so N requests span at least
    # (N - 1) * 60 / R seconds from the first to the last.
    floor = (len(previsto) - 1) * 60 / args.rate
    span = previsto[-1]["received_at"] - previsto[0]["received_at"]
    print(f"# Previsto pacing ({machine()})\n")
    print("| updates | requests | 429s | limit/min | floor s | paced span s | ratio | "
          "process wall s | exit |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {writes} | {len(previsto)} | {throttled} | {args.rate} | {floor:.1f} | "
          f"{span:.1f} | {span / floor:.3f} | {elapsed:.1f} | {result.returncode} |")
    if result.returncode != 0:
        print(result.stdout[-2000:], result.stderr[-2000:])


if __name__ == "__main__":
    main()
