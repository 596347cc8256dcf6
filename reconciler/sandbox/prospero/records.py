"""Prospero's events in the store: create, merge-patch update, archive, list and churn.

Events live in `prospero.events` in their wire shape plus a private `_index` (see `queries`);
deleted events move to `prospero.archive` with an `archivedAt` stamp; webhooks live in
`prospero.webhooks`, and every write hands its changed events to the webhook outbox in the same
transaction (`announce`); the `notification` a create asked for is recorded in
`prospero.notifications` by event id (the emulator sends no e-mail). The default list order is
a `rank` handed out in creation order; `churn()` takes a rank below every other one so that the
new event lands at the head of the list.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from reconciler.sandbox.context import SandboxContext
from reconciler.sandbox.prospero.auth import ORG_ID
from reconciler.sandbox.prospero.errors import ProsperoError
from reconciler.sandbox.prospero.outbox import Outbox
from reconciler.sandbox.prospero.patching import apply_merge_patch
from reconciler.sandbox.prospero.queries import (
    INDEX,
    ListQuery,
    custom_field_text,
    run_event_query,
)
from reconciler.sandbox.prospero.validation import (
    EVENT_FIELDS,
    ValidEvent,
    timestamp,
    validate_event,
    validate_patch,
)
from reconciler.sandbox.store import Document

EVENTS = "prospero.events"
ARCHIVE = "prospero.archive"
NOTIFICATIONS = "prospero.notifications"
_NEXT_RANK = "prospero.rank.next"
_HEAD_RANK = "prospero.rank.head"


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

    def __init__(self, context: SandboxContext, *, outbox: Outbox | None = None) -> None:
        self.context = context
        self.store = context.store
        # The emulator shares its outbox with its deliverer; seeding alone has its own.
        self.outbox = outbox or Outbox(context)

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

    def find_archived(self, *, limit: int | None, offset: int) -> tuple[int, list[Document]]:
        page = self.store.query(ARCHIVE, limit=limit, offset=offset)
        return page.total, page.documents

    # -- writes -----------------------------------------------------------------------------

    def create(
        self, events: Sequence[ValidEvent], notifications: Sequence[Document | None] = ()
    ) -> list[Document]:
        """Store validated events all together (one transaction), in the order given, and
        record the notification each asked for (`notifications`: one per event, or none)."""
        with self.store.transaction():
            documents = self.insert(events)
            self.announce("event.created", documents)
            asked = [(document["id"], {"eventId": document["id"], "notification": notification})
                     for document, notification in zip(documents, notifications, strict=False)
                     if notification is not None]
            self.store.insert_many(NOTIFICATIONS, asked)
        return [public(document) for document in documents]

    def notifications(self) -> list[Document]:
        """The notifications creates asked for, in creation order."""
        return self.store.query(NOTIFICATIONS).documents

    def update(self, event_id: str, patch: object) -> Document:
        """Apply an RFC 7386 merge patch, validate the result whole, stamp only real changes."""
        current = self.get(event_id)
        patch = validate_patch(patch)
        content = {name: current[name] for name in EVENT_FIELDS if name in current}
        merged = validate_event(apply_merge_patch(content, patch))
        if merged.content == content:
            return public(current)
        document = event_document(
            merged,
            event_id=event_id,
            created=str(current["createdAt"]),
            updated=self.now(),
            rank=int(current[INDEX]["rank"]),
        )
        with self.store.transaction():
            self.store.replace(EVENTS, event_id, document)
            self.announce("event.updated", [document])
        return public(document)

    def archive(self, event_ids: Sequence[str]) -> None:
        """Move events to the archive, all or none: any unknown id → 404 and nothing moves.
        Each deletion is announced with the event's last state before it."""
        documents = [self.get(event_id) for event_id in dict.fromkeys(event_ids)]
        with self.store.transaction():
            self.move_to_archive(documents)
            self.announce("event.deleted", documents)

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
            document = event_document(event, event_id=new_id(), created=now, updated=now, rank=rank)
            self.store.insert(EVENTS, str(document["id"]), document)
            self.announce("event.created", [document])

    # -- building blocks of the writes above and of seeding ----------------------------------

    def announce(self, kind: str, documents: Sequence[Document]) -> None:
        """Hand changed events to the webhook outbox; callers hold the change's transaction."""
        self.outbox.enqueue(kind, [public(doc) for doc in documents], at=self.context.clock())

    def insert(self, events: Sequence[ValidEvent]) -> list[Document]:
        """New events, new ids; callers hold a transaction: ranks and documents land together."""
        now = self.now()
        ranks = self.reserve_ranks(len(events))
        documents = [
            event_document(event, event_id=new_id(), created=now, updated=now, rank=rank)
            for event, rank in zip(events, ranks, strict=True)
        ]
        self.store.insert_many(EVENTS, [(str(doc["id"]), doc) for doc in documents])
        return documents

    def move_to_archive(self, documents: Sequence[Document]) -> None:
        """Callers hold a transaction; the archived copy is the wire event plus `archivedAt`."""
        archived_at = self.now()
        for document in documents:
            self.store.delete(EVENTS, str(document["id"]))
        self.store.insert_many(
            ARCHIVE,
            [(str(doc["id"]), {**public(doc), "archivedAt": archived_at}) for doc in documents],
        )

    def reserve_ranks(self, count: int) -> range:
        """The next `count` ranks of the default order (creation order)."""
        first = int(self.store.get_setting(_NEXT_RANK) or "1")
        self.store.set_setting(_NEXT_RANK, str(first + count))
        return range(first, first + count)


def event_document(
    event: ValidEvent, *, event_id: str, created: str, updated: str, rank: int
) -> Document:
    """The stored document: the wire event plus its private `_index`."""
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
