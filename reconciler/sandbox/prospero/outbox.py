"""Prospero's webhook outbox: what is to be delivered, to whom and when, and what each attempt did.

A change to an event (through the API, or out of band through the admin API) enqueues one
delivery per registered webhook whose `events` list holds the change's type, inside the change's
own transaction, so a restart of the sandbox on the same `--db` keeps every pending delivery.
Deliveries live in `prospero.deliveries`, one document per copy (a duplicated delivery is two
copies with one delivery id); every attempt is appended to `prospero.delivery_attempts`. After a
failed attempt the copy is due again after 1 min, 1 h, then 6 h [doc], then it is given up.

The delivery faults (`DeliveryFaults`: drop, duplicate, reorder, delay) are drawn here from a
generator seeded when they are set, so the same changes under the same faults make the same run.
"""

from __future__ import annotations

import math
import random
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from reconciler.sandbox.context import SandboxContext
from reconciler.sandbox.prospero.validation import WEBHOOK_EVENT_TYPES, timestamp
from reconciler.sandbox.store import Document

DELIVERIES = "prospero.deliveries"
ATTEMPTS = "prospero.delivery_attempts"
# The registrations (`records` serves them; deliveries are addressed from them).
WEBHOOKS = "prospero.webhooks"
# [doc] a delivery that fails is retried after 1 minute, 1 hour and 6 hours, then given up.
RETRY_DELAYS: tuple[float, ...] = (60.0, 3_600.0, 21_600.0)

Outcome = Literal["delivered", "failed", "dropped"]
PENDING, DELIVERED, GIVEN_UP, CANCELLED = "pending", "delivered", "given-up", "cancelled"


@dataclass(frozen=True, kw_only=True)
class DeliveryFaults:
    """Faults of the outbound side, set through the admin API.

    `drop`: the fraction of deliveries lost entirely (never sent, never retried: the sender
    believes it succeeded); `duplicate`: the fraction sent twice (two copies with one id, each
    retried on its own); `reorder`: the deliveries due together in one pass are sent in shuffled
    order (with `delay`, more of them fall due together); `delay`: extra seconds on the sandbox
    clock before a new delivery is due; `seed`: seeds every draw.
    """

    drop: float = 0.0
    duplicate: float = 0.0
    reorder: bool = False
    delay: float = 0.0
    seed: int = 0

    @classmethod
    def from_json(cls, spec: object) -> DeliveryFaults:
        if not isinstance(spec, dict):
            raise ValueError("body must be an object of drop, duplicate, reorder, delay, seed")
        unknown = sorted(set(spec) - {"drop", "duplicate", "reorder", "delay", "seed"})
        if unknown:
            raise ValueError(f"{unknown[0]}: unknown delivery fault")
        for name in ("drop", "duplicate"):
            if name in spec and not (_is_number(spec[name]) and 0 <= spec[name] <= 1):
                raise ValueError(f"{name}: must be a fraction from 0 to 1")
        if "delay" in spec and not (_is_number(spec["delay"]) and spec["delay"] >= 0):
            raise ValueError("delay: must be a number of seconds, 0 or more")
        if "reorder" in spec and not isinstance(spec["reorder"], bool):
            raise ValueError("reorder: must be true or false")
        if "seed" in spec and (isinstance(spec["seed"], bool) or not isinstance(spec["seed"], int)):
            raise ValueError("seed: must be an integer")
        return cls(**spec)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class Outbox:
    """The pending deliveries and the attempt log in the shared store, plus the delivery faults."""

    def __init__(self, context: SandboxContext) -> None:
        self.context = context
        self.store = context.store
        self._lock = threading.Lock()
        self._faults = DeliveryFaults()
        self._draws = random.Random(self._faults.seed)
        # Told after each enqueue, so a running worker sends at once instead of at its next look.
        self.on_enqueue: list[Callable[[], None]] = []

    # -- faults -----------------------------------------------------------------------------

    @property
    def faults(self) -> DeliveryFaults:
        return self._faults

    def set_faults(self, faults: DeliveryFaults) -> None:
        """Arm `faults`, restarting the draws from their seed."""
        with self._lock:
            self._faults = faults
            self._draws = random.Random(faults.seed)

    # -- enqueue ----------------------------------------------------------------------------

    def enqueue(self, kind: str, events: Sequence[Document], *, at: float) -> None:
        """One delivery of `kind` per event per webhook that asked for it; callers hold the
        transaction of the change, so the change and its deliveries land together."""
        if kind not in WEBHOOK_EVENT_TYPES:
            raise ValueError(f"unknown webhook event type {kind!r}")
        webhooks = [hook for hook in self.store.query(WEBHOOKS).documents if kind in hook["events"]]
        copies: list[tuple[str, Document]] = []
        for event in events:
            for hook in webhooks:
                copies.extend(self._copies(kind, event, hook, at=at))
        if not copies:
            return  # no write at all: a write would expire the store's remembered list answers
        self.store.insert_many(DELIVERIES, copies)
        for listener in self.on_enqueue:
            listener()

    def _copies(
        self, kind: str, event: Document, hook: Document, *, at: float
    ) -> list[tuple[str, Document]]:
        delivery_id = f"whd_{uuid.uuid4().hex}"
        with self._lock:
            faults = self._faults
            # Both draws are always made, so one fraction never shifts the other's outcomes.
            dropped = self._draws.random() < faults.drop
            duplicated = self._draws.random() < faults.duplicate
        body = {
            "id": delivery_id,
            "type": kind,
            "createdAt": timestamp(at),
            "webhookId": hook["id"],
            "data": {"event": dict(event)},
        }
        return [
            (
                f"{delivery_id}/{copy}",
                {
                    "deliveryId": delivery_id,
                    "copy": copy,
                    "webhookId": hook["id"],
                    "url": hook["url"],
                    "type": kind,
                    "body": body,
                    "dropped": dropped,
                    "attempts": 0,
                    "dueAt": at + faults.delay,
                    "state": PENDING,
                },
            )
            for copy in range(1, 3 if duplicated else 2)
        ]

    # -- sending side -----------------------------------------------------------------------

    def due(self) -> list[tuple[str, Document]]:
        """The copies due now on the sandbox clock, soonest first (shuffled under `reorder`)."""
        page = self.store.query(
            DELIVERIES,
            where={"state": PENDING},
            between={"dueAt": (-1e18, self.context.clock())},
            order_by=[("dueAt", True)],
        )
        due = [(_copy_key(document), document) for document in page.documents]
        with self._lock:
            if self._faults.reorder:
                self._draws.shuffle(due)
        return due

    def webhook_exists(self, webhook_id: str) -> bool:
        return self.store.get(WEBHOOKS, webhook_id) is not None

    def cancel(self, key: str, copy: Document) -> None:
        """The webhook was unregistered meanwhile: nothing more is sent for it."""
        self.store.replace(DELIVERIES, key, {**copy, "state": CANCELLED})

    def record(
        self,
        key: str,
        copy: Document,
        *,
        outcome: Outcome,
        status: int | None = None,
        error: str | None = None,
    ) -> Document:
        """Log one attempt and schedule what follows it: nothing, or the next retry."""
        now = self.context.clock()
        attempt = int(copy["attempts"]) + 1
        retry_at: float | None = None
        if outcome == "failed" and attempt <= len(RETRY_DELAYS):
            retry_at = now + RETRY_DELAYS[attempt - 1]
        state = PENDING if retry_at is not None else GIVEN_UP if outcome == "failed" else DELIVERED
        entry = {
            "deliveryId": copy["deliveryId"],
            "copy": copy["copy"],
            "attempt": attempt,
            "webhookId": copy["webhookId"],
            "url": copy["url"],
            "type": copy["type"],
            "eventId": copy["body"]["data"]["event"].get("id"),
            "outcome": outcome,
            "status": status,
            "error": error,
            "at": timestamp(now),
            "epoch": now,
            "retryAt": None if retry_at is None else timestamp(retry_at),
        }
        with self.store.transaction():
            self.store.insert(ATTEMPTS, uuid.uuid4().hex, entry)
            self.store.replace(
                DELIVERIES,
                key,
                {
                    **copy,
                    "attempts": attempt,
                    "state": state,
                    "dueAt": retry_at if retry_at is not None else copy["dueAt"],
                },
            )
        return entry

    # -- what tests and benchmarks read -------------------------------------------------------

    def attempts(self) -> list[Document]:
        """Every attempt so far, in the order they were made."""
        return self.store.query(ATTEMPTS).documents

    def deliveries(self, where: Mapping[str, object] | None = None) -> list[Document]:
        """Every delivery copy and its state, in the order they were enqueued."""
        return self.store.query(DELIVERIES, where=where).documents


def _copy_key(copy: Document) -> str:
    return f"{copy['deliveryId']}/{copy['copy']}"
