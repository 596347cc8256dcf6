"""The benchmark's data: N managed objects per kind, seeded remotely and declared in YAML alike.

Remote objects carry the identity markers the providers look for (README "How objects are found
again"), so a plan on the seeded state finds every object and changes nothing. `Dataset` also
keeps each key's remote id: the per-object peer's "state file", as a Terraform-style tool has.
Variants of the YAML: `converged`; `changed`, 1 % changed (one field on every 100th object of
each kind); `all+K`, every object changed (event capacities raised by K); plus extra events that
do not exist remotely yet (bulk-create runs). Only the providers with declared objects are
configured, since every configured provider is refreshed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

SEED_CHUNK = 5_000  # objects per admin seed request: keeps each request body a few MB
CHANGED_EVERY = 100  # 1 %: every 100th object of each kind differs in the "changed" variant

ENVIRONMENT = {
    "PREVAIL_COMPANY_ID": "sandbox-co",
    "PREVAIL_API_KEY": "sandbox-prevail-key",
    "PROSPERO_EMAIL": "sandbox@prospero.test",
    "PROSPERO_PASSWORD": "sandbox-prospero-password",
    "PREVISTO_API_KEY": "sk_sandbox",
}
EVENT_OWNED = "capacity,custom_fields.team,end,location,start,status,title"
ASSIGNMENT_OWNED = "crew,po_number"


def session_key(n: int) -> str:
    return f"s-{n:05d}"


def event_key(n: int) -> str:
    return f"e-{n:05d}"


def assignment_key(n: int) -> str:
    return f"a-{n:05d}"


def _day(n: int) -> str:
    # Spread starts over ~200 days of 2027: in the future, never within the 24 h short notice.
    month, day = 3 + (n // 28) % 7, 1 + n % 28
    return f"2027-{month:02d}-{day:02d}"


def changed(n: int) -> bool:
    return n % CHANGED_EVERY == 0


def _bump(n: int, variant: str) -> int:
    """How much the variant adds to an event's capacity: `changed` (1 %) or `all+K` (every one)."""
    if variant.startswith("all+"):
        return int(variant[4:])
    return 1000 if variant == "changed" and changed(n) else 0


def _altered(n: int, variant: str) -> bool:
    return variant.startswith("all+") or (variant == "changed" and changed(n))


# -- remote shapes (what the admin seed routes take) -------------------------------------------


# The benchmark configuration's scope: the seeded objects are its own, marked as it marks them.
STACK = "bench"
# When the seeded events last changed: an account's events were mostly last edited long before a
# run (a stamp of "now" would make every seeded event look just edited to a run that reads what
# changed recently).
LAST_EDITED = "2026-01-05T09:00:00Z"


def session_seed(n: int) -> dict[str, Any]:
    return {
        "session_request": {
            "remote_session": {
                "title": f"Deposition {n}",
                "case": f"2027-CV-{n:05d}",
                "start_date": _day(n),
                "start_time": "09:00 AM",
                "time_zone": "America/New_York",
                "estimated_duration": 1.5,
            },
            "invites": [f"counsel{n}@example.com"],
            "session_details": {
                "additional_details": f"reconciler-scope: {STACK}\nreconciler-key: {session_key(n)}"
            },
        }
    }


def event_seed(n: int, *, key: str | None = None) -> dict[str, Any]:
    day = _day(n)
    return {
        "title": f"Event {n}",
        "createdAt": LAST_EDITED,
        "lastUpdatedAt": LAST_EDITED,
        "start": f"{day}T17:00:00Z",
        "end": f"{day}T19:00:00Z",
        "status": 0,
        "capacity": 100 + n % 50,
        "location": {"name": "Town Hall", "address": f"{n} Main St"},
        "customFields": {
            "reconciler_key": key or event_key(n),
            "managed_by": "reconciler",
            "reconciler_fields": EVENT_OWNED,
            "reconciler_scope": STACK,
            "team": "north",
        },
    }


def assignment_seed(n: int) -> dict[str, Any]:
    return {
        "meta": {
            "reconciler_key": assignment_key(n),
            "reconciler_owned": ASSIGNMENT_OWNED,
            "reconciler_scope": STACK,
            "crew": "north",
            "po_number": f"PO-{n}",
        }
    }


# -- declared shapes (YAML, written as JSON flow mappings: YAML is a superset of JSON) ----


def session_yaml(n: int, *, variant: str) -> dict[str, Any]:
    title = f"Deposition {n}" + (" (moved)" if _altered(n, variant) else "")
    return {
        "key": session_key(n),
        "title": title,
        "case": f"2027-CV-{n:05d}",
        "start": f"{_day(n)}T09:00",
        "time_zone": "America/New_York",
        "duration_hours": 1.5,
        "invites": [f"counsel{n}@example.com"],
    }


def event_yaml(n: int, *, variant: str, key: str | None = None) -> dict[str, Any]:
    day = _day(n)
    capacity = 100 + n % 50 + _bump(n, variant)
    return {
        "key": key or event_key(n),
        "title": f"Event {n}",
        "start": f"{day}T17:00:00Z",
        "end": f"{day}T19:00:00Z",
        "status": "confirmed",
        "capacity": capacity,
        "location": {"name": "Town Hall", "address": f"{n} Main St"},
        "custom_fields": {"team": "north"},
    }


def assignment_yaml(n: int, remote_id: str, *, variant: str) -> dict[str, Any]:
    crew = "north"
    if _altered(n, variant):
        crew = f"south-{variant[4:]}" if variant.startswith("all+") else "south"
    return {
        "key": assignment_key(n),
        "select": {"id": remote_id},
        "metadata": {"crew": crew, "po_number": f"PO-{n}"},
    }


def providers_yaml(origin: str, *, previsto_rate: int, providers: Iterable[str]) -> str:
    """The providers block for the given providers only: each configured one is refreshed."""
    blocks = {
        "prevail": f"  prevail:\n    base_url: {origin}/prevail\n"
        "    company_id: ${PREVAIL_COMPANY_ID}\n    api_key: ${PREVAIL_API_KEY}\n",
        "prospero": f"  prospero:\n    base_url: {origin}/prospero\n"
        "    email: ${PROSPERO_EMAIL}\n    password: ${PROSPERO_PASSWORD}\n",
        "previsto": f"  previsto:\n    base_url: {origin}/previsto\n"
        f"    api_key: ${{PREVISTO_API_KEY}}\n    requests_per_minute: {previsto_rate}\n",
    }
    return f"version: 1\nproviders:\n  stack: {STACK}\n" + "".join(
        blocks[name] for name in providers
    )


def write_kind(path: Path, kind: str, objects: Iterable[dict[str, Any]]) -> None:
    """One object per line as a JSON flow mapping: fast to write, valid YAML to read."""
    lines = [f"version: 1\n{kind}:\n"]
    lines.extend(f"  - {json.dumps(item)}\n" for item in objects)
    path.write_text("".join(lines), encoding="utf-8")


# -- the dataset --------------------------------------------------------------------------------


@dataclass
class Dataset:
    """N objects per kind (any kind may be 0) and the remote id of each key."""

    sessions: int
    events: int
    assignments: int
    ids: dict[str, dict[str, str]] = field(
        default_factory=lambda: {"sessions": {}, "events": {}, "assignments": {}}
    )

    @property
    def total(self) -> int:
        return self.sessions + self.events + self.assignments

    def seed(self, admin: httpx.Client) -> None:
        """Create every object through the sandbox's admin routes, SEED_CHUNK at a time."""
        for start in range(0, self.sessions, SEED_CHUNK):
            numbers = range(start, min(start + SEED_CHUNK, self.sessions))
            body = {"sessions": [session_seed(n) for n in numbers]}
            ids = _created(admin.post("/_sandbox/prevail/seed", json=body))["sessions"]
            self.ids["sessions"].update(zip(map(session_key, numbers), ids, strict=True))
        for start in range(0, self.events, SEED_CHUNK):
            numbers = range(start, min(start + SEED_CHUNK, self.events))
            body = {"events": [event_seed(n) for n in numbers]}
            ids = _created(admin.post("/_sandbox/prospero/seed", json=body))["ids"]
            self.ids["events"].update(zip(map(event_key, numbers), ids, strict=True))
        for start in range(0, self.assignments, SEED_CHUNK):
            numbers = range(start, min(start + SEED_CHUNK, self.assignments))
            body = {"assignments": [assignment_seed(n) for n in numbers]}
            created = _created(admin.post("/_sandbox/previsto/assignments", json=body))
            ids = [item["id"] for item in created["assignments"]]
            self.ids["assignments"].update(zip(map(assignment_key, numbers), ids, strict=True))

    def write_config(
        self,
        root: Path,
        *,
        origin: str,
        previsto_rate: int,
        variant: str = "converged",
        new_events: range = range(0),
    ) -> Path:
        """A config directory declaring every seeded object (and `new_events` not yet created)."""
        root.mkdir(parents=True, exist_ok=True)
        declared = {
            "prevail": self.sessions > 0,
            "prospero": self.events > 0 or len(new_events) > 0,
            "previsto": self.assignments > 0,
        }
        (root / "providers.yaml").write_text(
            providers_yaml(
                origin,
                previsto_rate=previsto_rate,
                providers=[name for name, used in declared.items() if used],
            ),
            encoding="utf-8",
        )
        if self.sessions:
            write_kind(
                root / "sessions.yaml",
                "sessions",
                (session_yaml(n, variant=variant) for n in range(self.sessions)),
            )
        if self.events or new_events:
            events = [event_yaml(n, variant=variant) for n in range(self.events)]
            events.extend(
                event_yaml(n, variant="converged", key=f"new-{n:05d}") for n in new_events
            )
            write_kind(root / "events.yaml", "events", events)
        if self.assignments:
            ids = self.ids["assignments"]
            write_kind(
                root / "assignments.yaml",
                "assignments",
                (
                    assignment_yaml(n, ids[assignment_key(n)], variant=variant)
                    for n in range(self.assignments)
                ),
            )
        return root

    def write_state(self, path: Path) -> Path:
        """The per-object peer's state: key → remote id for each kind."""
        path.write_text(json.dumps(self.ids), encoding="utf-8")
        return path

    def changed_count(self) -> dict[str, int]:
        """How many objects of each kind the "changed" variant changes."""
        return {
            kind: len([n for n in range(count) if changed(n)])
            for kind, count in (
                ("sessions", self.sessions),
                ("events", self.events),
                ("assignments", self.assignments),
            )
        }


def _created(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 201:
        raise RuntimeError(
            f"seeding {response.request.url.path} answered {response.status_code}: "
            f"{response.text[:300]}"
        )
    body: dict[str, Any] = response.json()
    return body
