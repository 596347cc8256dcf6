"""An account's history: unmanaged objects in the past, written straight into a sandbox store.

A firm's account holds years of finished sessions, events and assignments that no configuration
declares. `seed_history` writes H of each kind into the sandbox's SQLite store through each
emulator's own bulk-seed code (the admin routes' code, without HTTP), so that 100,000 per kind
take seconds, not the hours 300,000 API calls would. Every one of them starts in the past
(2021-2025) and carries no marker: a refresh that follows the declared schedule never needs
them.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

from reconciler.sandbox.context import SandboxContext, SandboxSettings
from reconciler.sandbox.prevail.records import SessionBook
from reconciler.sandbox.prevail.seed import seed_bulk as seed_sessions
from reconciler.sandbox.previsto.seed import seed_bulk as seed_assignments
from reconciler.sandbox.prospero.records import EventBook
from reconciler.sandbox.prospero.seed import seed_bulk as seed_events
from reconciler.sandbox.store import Store

CHUNK = 5_000  # objects per transaction
FIRST_DAY = date(2021, 1, 4)
DAYS = 5 * 365  # history spreads over five years, all before 2026


def past_day(n: int) -> date:
    return FIRST_DAY + timedelta(days=n % DAYS)


def past_session(n: int) -> dict[str, Any]:
    return {"session_request": {
        "remote_session": {
            "title": f"Archived deposition {n}",
            "case": f"2021-CV-{n:06d}",
            "start_date": past_day(n).isoformat(),
            "start_time": "10:00 AM",
            "time_zone": "America/Chicago",
            "estimated_duration": 2,
        },
        "invites": [f"witness{n}@example.com"],
        "session_details": {"additional_details": "Transcript delivered."},
    }}


def past_event(n: int) -> dict[str, Any]:
    day = past_day(n).isoformat()
    return {"title": f"Past event {n}", "start": f"{day}T15:00:00Z",
            "end": f"{day}T16:00:00Z", "status": 0, "capacity": 40}


def past_assignment(n: int) -> dict[str, Any]:
    return {"plan": {"executionTime": f"{past_day(n).isoformat()}T08:00"},
            "status": "Invoiced", "action": "Completed", "meta": {"route": f"R{n % 40}"}}


def seed_history(store: Store, count: int, *, first: int = 0) -> float:
    """Write `count` past, unmanaged objects of each kind (numbered from `first`) into `store`;
    returns the seconds it took."""
    started = time.perf_counter()
    context = SandboxContext(settings=SandboxSettings(db_path=store.path), store=store)
    sessions = SessionBook(store, time.time)
    events = EventBook(context)
    for start in range(first, first + count, CHUNK):
        numbers = range(start, min(start + CHUNK, first + count))
        seed_sessions(sessions, {"sessions": [past_session(n) for n in numbers]})
        seed_events(events, [past_event(n) for n in numbers])
        seed_assignments(context, {"assignments": [past_assignment(n) for n in numbers]})
    return time.perf_counter() - started
