"""Prospero's events in the store: create, merge-patch update, archive, list, churn and seeding.

Events live in `prospero.events` in their wire shape plus a private `_index` (see
`queries`); deleted events move to `prospero.archive` with an `archivedAt` stamp. The
default list order is a `rank` handed out in creation order; `churn()` takes a rank below every
other one so that the new event lands at the head of the list.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence
from typing import Any

from reconciler.sandbox.context import SandboxContext
from reconciler.sandbox.prospero.auth import ORG_ID
from reconciler.sandbox.prospero.queries import INDEX, ListQuery, run_event_query
from reconciler.sandbox.prospero.validation import (
    EVENT_FIELDS,
    ProsperoError,
    ValidEvent,
    bad_request,
    custom_field_text,
    merge_patch,
    parse_instant,
    timestamp,
    validate_event,
    validate_patch,
)
from reconciler.sandbox.store import Document

EVENTS = "prospero.events"
ARCHIVE = "prospero.archive"
_NEXT_RANK = "prospero.rank.next"
_HEAD_RANK = "prospero.rank.head"
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


def public(document: Document) -> Document:
    """The wire event: the stored document without its private index."""
    return {name: value for name, value in document.items() if name != INDEX}


def new_id() -> str:
    # Prospero's identifiers are v1 UUIDs.
    return str(uuid.uuid1())


def is_uuid1(value: object) -> bool:
    """True for a canonical (lower-case, hyphenated) version 1 UUID, as Prospero issues."""
    if not isinstance(value, str):
        return False
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return False
    return parsed.version == 1 and str(parsed) == value


class EventBook:
    """The org's events and archive in the shared store."""

    def __init__(self, context: SandboxContext) -> None:
        self.context = context
        self.store = context.store

    def now(self) -> str:
        return timestamp(self.context.clock())

    # -- reads ------------------------------------------------------------------------------

    def get(self, event_id: str) -> Document:
        document = self.store.get(EVENTS, event_id)
        if document is None:
            raise ProsperoError(404, f"Event not found: {event_id}")
        return document

    def find(self, query: ListQuery) -> tuple[int, list[Document]]:
        ranked = self.store.get_setting(_HEAD_RANK) is not None
        total, documents = run_event_query(self.store, EVENTS, query, ranked=ranked)
        return total, [public(document) for document in documents]

    def find_archived(self, *, limit: int, offset: int) -> tuple[int, list[Document]]:
        page = self.store.query(ARCHIVE, limit=limit, offset=offset)
        return page.total, page.documents

    # -- writes -----------------------------------------------------------------------------

    def create(self, events: Sequence[ValidEvent]) -> list[Document]:
        """Store validated events all together (one transaction), in the order given."""
        with self.store.transaction():
            documents = self._insert(events)
        return [public(document) for document in documents]

    def update(self, event_id: str, patch: object) -> Document:
        """Apply an RFC 7386 merge patch, validate the result whole, stamp only real changes."""
        current = self.get(event_id)
        patch = validate_patch(patch)
        content = {name: current[name] for name in EVENT_FIELDS if name in current}
        merged = validate_event(merge_patch(content, patch))
        if merged.content == content:
            return public(current)
        document = _document(
            merged,
            event_id=event_id,
            created=str(current["createdAt"]),
            updated=self.now(),
            rank=int(current[INDEX]["rank"]),
        )
        self.store.replace(EVENTS, event_id, document)
        return public(document)

    def archive(self, event_ids: Sequence[str]) -> None:
        """Move events to the archive, all or none: any unknown id → 404 and nothing moves."""
        documents = [self.get(event_id) for event_id in dict.fromkeys(event_ids)]
        with self.store.transaction():
            self._move_to_archive(documents)

    def churn(self) -> None:
        """Add one unmanaged event ahead of every other in the default order (the churn fault)."""
        epoch = self.context.clock()
        event = validate_event(
            {
                "title": "Walk-in booking",
                "start": timestamp(epoch + 86_400),
                "end": timestamp(epoch + 90_000),
            }
        )
        now = self.now()
        with self.store.transaction():
            rank = int(self.store.get_setting(_HEAD_RANK) or "0") - 1
            self.store.set_setting(_HEAD_RANK, str(rank))
            document = _document(event, event_id=new_id(), created=now, updated=now, rank=rank)
            self.store.insert(EVENTS, str(document["id"]), document)

    # -- seeding ----------------------------------------------------------------------------

    def seed_demo(self) -> None:
        """The demo organisation's events, once per database."""
        if self.store.get_setting(_SEEDED) is not None:
            return
        with self.store.transaction():
            self._insert([validate_event(event) for event in _DEMO_EVENTS])
            self._move_to_archive(self._insert([validate_event(_DEMO_ARCHIVED)]))
            self.store.set_setting(_SEEDED, self.now())

    def seed_bulk(self, items: object) -> list[str]:
        """Admin bulk seeding: wire events whose server fields are filled in when missing."""
        if not isinstance(items, list):
            raise bad_request("events: must be an array of events")
        now = self.now()
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
            with self.store.transaction():
                ranks = self._reserve_ranks(len(prepared))
                self.store.insert_many(
                    EVENTS,
                    [
                        (event_id, _document(event, event_id=event_id, created=created,
                                             updated=updated, rank=rank))
                        for (event, event_id, created, updated), rank in zip(
                            prepared, ranks, strict=True
                        )
                    ],
                )
        except sqlite3.IntegrityError:
            raise ProsperoError(409, "events: an id is given twice or already exists") from None
        return [event_id for _, event_id, _, _ in prepared]

    def _insert(self, events: Sequence[ValidEvent]) -> list[Document]:
        # Callers hold a transaction: ranks and documents land together.
        now = self.now()
        ranks = self._reserve_ranks(len(events))
        documents = [
            _document(event, event_id=new_id(), created=now, updated=now, rank=rank)
            for event, rank in zip(events, ranks, strict=True)
        ]
        self.store.insert_many(EVENTS, [(str(doc["id"]), doc) for doc in documents])
        return documents

    def _move_to_archive(self, documents: Sequence[Document]) -> None:
        # Callers hold a transaction; the archived copy is the wire event plus `archivedAt`.
        archived_at = self.now()
        for document in documents:
            self.store.delete(EVENTS, str(document["id"]))
        self.store.insert_many(
            ARCHIVE,
            [(str(doc["id"]), {**public(doc), "archivedAt": archived_at}) for doc in documents],
        )

    def _reserve_ranks(self, count: int) -> range:
        first = int(self.store.get_setting(_NEXT_RANK) or "1")
        self.store.set_setting(_NEXT_RANK, str(first + count))
        return range(first, first + count)


def _document(
    event: ValidEvent, *, event_id: str, created: str, updated: str, rank: int
) -> Document:
    start, end = event.span
    custom = event.content.get("customFields") or {}
    return {
        "id": event_id,
        "orgId": ORG_ID,
        **event.content,
        "createdAt": created,
        "lastUpdatedAt": updated,
        INDEX: {
            "rank": rank,
            "start": start,
            "end": end,
            "custom": {name: custom_field_text(value) for name, value in custom.items()},
        },
    }
