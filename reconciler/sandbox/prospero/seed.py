"""Seed data of the Prospero emulator: the demo organisation's events, and bulk seeding.

The demo events are unmanaged, so a demo plan leaves them alone. They are written once per store:
the `prospero.seeded` setting marks it, so restarting on the same `--db` file adds nothing.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from reconciler.sandbox.prospero.auth import ORG_ID
from reconciler.sandbox.prospero.errors import ProsperoError, bad_request
from reconciler.sandbox.prospero.records import (
    EVENTS,
    EventBook,
    event_document,
    is_uuid1,
    new_id,
)
from reconciler.sandbox.prospero.validation import ValidEvent, parse_instant, validate_event

_SEEDED = "prospero.seeded"

# The demo organisation: unmanaged events only (no customFields.reconciler_key / managed_by).
_DEMO_EVENTS: tuple[dict[str, Any], ...] = (
    {
        "title": "Quarterly all-hands",
        "details": "<p>Company update and Q&amp;A.</p>",
        "start": "2027-01-14T16:00:00Z",
        "end": "2027-01-14T17:30:00Z",
        "status": 0,
        "capacity": 250,
    },
    {
        "title": "Board meeting",
        "start": "2027-02-03T09:00:00Z",
        "end": "2027-02-03T12:00:00Z",
        "status": 1,
        "flagged": True,
    },
    {
        "title": "Spring fair",
        "details": "<p>Stalls, music and food trucks.</p>",
        "start": "2027-04-17",
        "end": "2027-04-18",
        "allDay": True,
        "location": {"name": "Riverside Park", "address": "1 Riverside Walk, Springfield"},
        "customFields": {"department": "community"},
    },
)
_DEMO_ARCHIVED: dict[str, Any] = {
    "title": "Cancelled offsite",
    "start": "2027-03-10T08:00:00Z",
    "end": "2027-03-11T17:00:00Z",
    "status": 2,
}


def seed_demo(events: EventBook) -> None:
    """The demo organisation's events, once per database."""
    if events.store.get_setting(_SEEDED) is not None:
        return
    with events.store.transaction():
        events.insert([validate_event(event) for event in _DEMO_EVENTS])
        events.move_to_archive(events.insert([validate_event(_DEMO_ARCHIVED)]))
        events.store.set_setting(_SEEDED, events.now())


def seed_bulk(events: EventBook, items: object) -> list[str]:
    """Admin bulk seeding: wire events whose server fields are filled in when missing."""
    if not isinstance(items, list):
        raise bad_request("events: must be an array of events")
    now = events.now()
    prepared: list[tuple[ValidEvent, str, str, str]] = []
    for position, item in enumerate(items):
        where = f"events[{position}]."
        if not isinstance(item, dict):
            raise bad_request(f"events[{position}]: must be a JSON object")
        fields = dict(item)
        event_id = fields.pop("id", None)
        if event_id is None:
            event_id = new_id()
        elif not is_uuid1(event_id):
            raise bad_request(f"{where}id: must be a lower-case v1 UUID")
        if fields.pop("orgId", ORG_ID) != ORG_ID:
            raise bad_request(f"{where}orgId: must be the sandbox org {ORG_ID}")
        stamps = {name: fields.pop(name, None) for name in ("createdAt", "lastUpdatedAt")}
        created, updated = (
            now if stamp is None else parse_instant(stamp, field=where + name).text
            for name, stamp in stamps.items()
        )
        prepared.append((validate_event(fields, where=where), event_id, created, updated))
    try:
        with events.store.transaction():
            ranks = events.reserve_ranks(len(prepared))
            documents = [
                event_document(event, event_id=event_id, created=created, updated=updated,
                               rank=rank)
                for (event, event_id, created, updated), rank in zip(prepared, ranks, strict=True)
            ]
            events.store.insert_many(EVENTS, [(str(doc["id"]), doc) for doc in documents])
            # Seeding is a change made outside the API (the web UI, an import): it is announced.
            events.announce("event.created", documents)
    except sqlite3.IntegrityError:
        raise ProsperoError(409, "events: an id is given twice or already exists") from None
    return [event_id for _, event_id, _, _ in prepared]
