"""CPU to judge a 10,000-change plan by the example policies (`examples/policies`).

    python -m benchmarks.policies [CHANGES]

The plan is made in memory (no sandbox: the cost measured is the policies', not the refresh's):
a mix of new depositions, hearings in other languages, events and cancellations, with whole
objects before and after as the JSON plan carries them. The figure is the process CPU
(`time.process_time`) of `reconciler.policy.judge`, which renders the JSON plan the rules read
and evaluates every rule; the best of five runs, after one warm-up (CEL compiled, zones loaded).
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from reconciler.model import Action, Address, Change, FieldChange, Plan, ScopeReport
from reconciler.policy import PolicyContext, judge, load_set

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "policies"


def session(number: int) -> Change:
    after = {
        "title": f"Deposition {number}",
        "case": f"2027-CV-{number:04d}",
        "start": f"2027-03-{1 + number % 28:02d}T{12 + number % 10:02d}:00:00Z",
        "time_zone": "America/New_York",
        "duration_hours": 1.5,
        "invites": [{"email": "counsel@example.com", "access_level": "participant"}],
        "session_type": "remote_deposition" if number % 2 else "remote_hearing",
        "languages": "English" if number % 3 else "Spanish",
        "interpreter": "",
    }
    return Change(
        address=Address("sessions", f"s{number}"),
        provider="prevail",
        action=Action.CREATE,
        reason="declared but not found remotely",
        fields=tuple(FieldChange(name, None, value) for name, value in after.items()),
        time_zone="America/New_York",
        starts_at=after["start"],
        after=after,
    )


def event(number: int, action: Action) -> Change:
    before = {
        "title": f"Event {number}",
        "start": "2027-01-15T17:00:00Z",
        "end": "2027-01-15T22:00:00Z",
        "capacity": 100,
        "custom_fields": {"invitees": str(90 + number % 20)},
    }
    after = None if action is Action.DELETE else {**before, "capacity": 105}
    return Change(
        address=Address("events", f"e{number}"),
        provider="prospero",
        action=action,
        reason="capacity differs" if after else "managed but no longer declared (--prune)",
        fields=(FieldChange("capacity", 100, 105),) if after else (),
        remote_id=f"ev{number}",
        starts_at=before["start"],
        before=before,
        after=after,
    )


def plan_of(size: int) -> Plan:
    changes = []
    for number in range(size):
        if number % 2:
            changes.append(session(number))
        else:
            changes.append(event(number, Action.DELETE if number % 50 == 0 else Action.UPDATE))
    return Plan(
        changes=tuple(changes),
        state_checksum="sha256:bench",
        scope=ScopeReport(name="bench", origin="benchmark"),
    )


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    plan = plan_of(size)
    sets = (load_set(EXAMPLES),)
    context = PolicyContext(scope="bench", now=datetime(2026, 12, 1, tzinfo=UTC))
    found = judge(plan, sets, context)  # warm-up
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        judge(plan, sets, context)
        best = min(best, time.process_time() - started)
    rules = sum(len(s.rules) for s in sets)
    print(f"{size:,} changes, {rules} rules: {best:.3f} s CPU (best of 5), {len(found):,} findings")


if __name__ == "__main__":
    main()
