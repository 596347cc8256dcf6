"""Prospero's webhook deliveries as `watch` receives them: the body read, repeats recognised.

A delivery is a hint to read again, never the truth: its event may be stale (deliveries are
retried after 1 min, 1 h and 6 h, and may come out of order). So only what locates the re-read is
taken from it: the delivery id (for repeats), the event's id and its times. A body that cannot
be read still asks for a re-read, of the whole window (`Delivery.event` is None).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler import clock

EVENT_TYPES = frozenset({"event.created", "event.updated", "event.deleted"})

# How many delivery ids are remembered, and for how long: past the last retry Prospero makes
# (6 h after the first attempt), a repeat is no longer expected.
SEEN_CAPACITY = 10_000
SEEN_FOR = 7 * 3600.0


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """One delivery: its id (None when the body could not be read) and the event it names."""

    id: str | None
    type: str | None = None
    event: Mapping[str, Any] | None = None

    @property
    def readable(self) -> bool:
        return self.event is not None


def read_delivery(body: bytes) -> Delivery:
    """The delivery a request body carries; one with no event when the body is not the shape
    Prospero sends (the caller then re-reads the whole window)."""
    try:
        document = json.loads(body)
    except ValueError:
        return Delivery(id=None)
    if not isinstance(document, Mapping):
        return Delivery(id=None)
    delivery_id = document.get("id")
    identity = delivery_id if isinstance(delivery_id, str) and delivery_id else None
    kind = document.get("type")
    data = document.get("data")
    event = data.get("event") if isinstance(data, Mapping) else None
    if kind not in EVENT_TYPES or not isinstance(event, Mapping):
        return Delivery(id=identity)
    if not isinstance(event.get("id"), str):
        return Delivery(id=identity)
    return Delivery(id=identity, type=str(kind), event=event)


class SeenDeliveries:
    """The delivery ids received lately: a bounded set, oldest first out, each kept `ttl`
    seconds on the injected clock. Thread-safe through its caller (the receiver's one loop)."""

    def __init__(self, *, capacity: int = SEEN_CAPACITY, ttl: float = SEEN_FOR) -> None:
        self.capacity = capacity
        self.ttl = ttl
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first_time(self, delivery_id: str) -> bool:
        """Record `delivery_id`; False when it was received within the last `ttl` seconds."""
        now = clock.current().monotonic()
        self._forget_before(now - self.ttl)
        if delivery_id in self._seen:
            return False
        self._seen[delivery_id] = now
        while len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._seen)

    def _forget_before(self, moment: float) -> None:
        while self._seen:
            oldest, at = next(iter(self._seen.items()))
            if at >= moment:
                return
            del self._seen[oldest]
