"""The event stream `watch` writes: one record per thing that happened, and drift told once.

Each record is a flat JSON object with `event` (what happened), `at` (UTC, on the injected
clock) and the fields of that kind of event; `docs/watch.md` lists them. The stream is the
contract for tools (`--log-format json` writes it as JSON lines on stdout); the text format
says the same for a person.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from reconciler import clock
from reconciler.model import Address
from reconciler.reports import DriftItem, DriftReport

# Receives every record, in order, from the loop's one thread.
Emit = Callable[[dict[str, Any]], None]

# What counts as drift in the stream (an ignored field is declared not to matter).
REPORTED = frozenset({"drifted", "missing", "undeclared", "duplicate"})
# Of those, what a revert can put back without --prune: a field edited, an object deleted.
REVERTIBLE = frozenset({"drifted", "missing"})


def record(event: str, **fields: Any) -> dict[str, Any]:
    """A record of the stream: its kind, the moment, then its own fields."""
    return {"event": event, "at": clock.current().utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"), **fields}


def drift_record(scope: str, item: DriftItem, *, via: str) -> dict[str, Any]:
    """`drift.found`: one object out of sync, as `reconciler drift --format json` shows it."""
    shown = item.to_json()
    return record(
        "drift.found",
        scope=scope,
        via=via,
        **{
            name: shown[name]
            for name in ("address", "status", "remote_id", "last_updated", "fields", "location")
        },
    )


@dataclass(kw_only=True)
class DriftLedger:
    """The drift a scope has told, so that each is told once: again only when it changes (the
    same field edited to another value), or after it was resolved and came back."""

    told: dict[Address, str] = field(default_factory=dict)

    def news(self, report: DriftReport) -> tuple[list[DriftItem], list[Address]]:
        """The drift in `report` not told yet, and the addresses told before that are now in
        sync; remembered as told."""
        found = {item.address: item for item in report.items if item.status in REPORTED}
        new = [
            item for address, item in found.items() if self.told.get(address) != _fingerprint(item)
        ]
        resolved = sorted(address for address in self.told if address not in found)
        self.told = {address: _fingerprint(item) for address, item in found.items()}
        return new, resolved

    def forget(self, addresses: Iterable[Address]) -> None:
        for address in addresses:
            self.told.pop(address, None)


def _fingerprint(item: DriftItem) -> str:
    """The drift's substance: its status and values (not when the object was last touched)."""
    shown = item.to_json()
    return json.dumps(
        [shown["status"], shown["remote_id"], shown["fields"]], sort_keys=True, default=str
    )
