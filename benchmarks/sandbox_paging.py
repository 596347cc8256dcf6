"""How long paging 10,000 Prevail sessions (per_page=1000) and 10,000 Previsto assignments
(size=100) takes over loopback, against `reconciler sandbox` running as its own process.

Target: the sandbox is never the bottleneck of a 30k-object plan (≤ 1 s for the Prevail walk).
Run: `python -m benchmarks.sandbox_paging [--count N]`.
"""

from __future__ import annotations

import argparse
import time

import httpx

from benchmarks.harness import PREVISTO_KEY, machine, prevail_token, sandbox_process


def seed_prevail(client: httpx.Client, count: int) -> None:
    # The admin seed route takes create bodies (`{"session_request": {...}}`), as POST /sessions.
    sessions = [
        {
            "session_request": {
                "remote_session": {
                    "title": f"Session {n}",
                    "start_date": "2027-04-01",
                    "start_time": "09:00 AM",
                    "time_zone": "America/New_York",
                    "estimated_duration": 1,
                },
                "invites": [f"counsel{n}@example.com"],
                "session_details": {"additional_details": f"reconciler-key: bench-{n}"},
            }
        }
        for n in range(count)
    ]
    for start in range(0, count, 5000):
        response = client.post(
            "/_sandbox/prevail/seed", json={"sessions": sessions[start : start + 5000]}
        )
        response.raise_for_status()


def seed_previsto(client: httpx.Client, count: int) -> None:
    assignments = [{"meta": {"crew": "north"}} for _ in range(count)]
    for start in range(0, count, 5000):
        chunk = assignments[start : start + 5000]
        response = client.post("/_sandbox/previsto/assignments", json={"assignments": chunk})
        response.raise_for_status()


def walk_prevail(client: httpx.Client) -> tuple[int, int, float]:
    started = time.perf_counter()
    page, pages, seen, requests = 1, 1, 0, 0
    headers = {"Authorization": f"Bearer {prevail_token()}"}
    while page <= pages:
        body = client.get(
            "/prevail/sessions", params={"page": page, "per_page": 1000}, headers=headers
        ).json()
        requests += 1
        pages = body["pagy"]["pages"]
        seen += len(body["sessions"])
        page += 1
    return seen, requests, time.perf_counter() - started


def walk_previsto(client: httpx.Client) -> tuple[int, int, float]:
    started = time.perf_counter()
    page, seen, requests = 0, 0, 0
    while True:
        response = client.get(
            "/previsto/assignments", params={"page": page, "size": 100}, auth=(PREVISTO_KEY, "")
        )
        requests += 1
        batch = response.json()
        seen += len(batch)
        page += 1
        if len(batch) < 100:
            break
    return seen, requests, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    with sandbox_process() as origin, httpx.Client(base_url=origin, timeout=60) as client:
        seed_prevail(client, args.count)
        seed_previsto(client, args.count)
        walk_prevail(client)  # warm the connection and SQLite's page cache
        rows = [("Prevail sessions, per_page=1000", *walk_prevail(client)),
                ("Previsto assignments, size=100", *walk_previsto(client))]
    print(f"# Sandbox paging over loopback ({machine()})\n")
    print("| walk | objects | requests | seconds |")
    print("|---|---|---|---|")
    for name, seen, requests, seconds in rows:
        print(f"| {name} | {seen:,} | {requests} | {seconds:.3f} |")


if __name__ == "__main__":
    main()
