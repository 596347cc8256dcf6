"""Drift: what changed remotely outside the repository, and labelling plan changes by origin.

`detect_drift` compares the refreshed remote state with the declared state and reports, per
object, the drifted fields (remote value vs declared value, with the object's last-updated time),
objects declared but missing remotely, and managed objects no longer declared. Fields under
`ignore_changes` are reported as ignored, never as drift.

`label_origins` answers the reviewer's question on a pull request: does this change come from the
PR (`config`: the object's declaration differs between the base ref and HEAD) or does it revert
an edit made outside git (`drift`: the declaration is the same at both, the remote differs)?
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from reconciler.diff import field_changes, same
from reconciler.errors import Location
from reconciler.model import Address, Change, FieldChange, Origin, Plan
from reconciler.plan import Refreshed


@dataclass(frozen=True)
class DriftItem:
    """One object out of sync. `fields` hold before = remote, after = declared."""

    address: Address
    status: str  # "drifted" | "missing" | "undeclared" | "ignored"
    fields: tuple[FieldChange, ...] = ()
    ignored: tuple[FieldChange, ...] = ()
    remote_id: str | None = None
    updated_at: str | None = None
    location: Location | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "address": str(self.address),
            "status": self.status,
            "remote_id": self.remote_id,
            "last_updated": self.updated_at,
            "location": str(self.location) if self.location else None,
            "fields": [
                {"field": f.name, "remote": f.before, "declared": f.after} for f in self.fields
            ],
            "ignored": [
                {"field": f.name, "remote": f.before, "declared": f.after} for f in self.ignored
            ],
        }


@dataclass(frozen=True)
class DriftReport:
    items: tuple[DriftItem, ...]

    @property
    def in_sync(self) -> bool:
        return all(item.status == "ignored" for item in self.items)

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)


def detect_drift(refreshed: Mapping[str, Refreshed]) -> DriftReport:
    items: list[DriftItem] = []
    for side in refreshed.values():
        merge = side.provider.merge_fields
        for key, desired in side.desired.items():
            current = side.current.get(key)
            if current is None:
                items.append(
                    DriftItem(desired.address, "missing", location=desired.location)
                )
                continue
            differing = field_changes(desired, current, merge_fields=merge)
            drifted = tuple(c for c in differing if c.name not in desired.ignore_changes)
            ignored = tuple(c for c in differing if c.name in desired.ignore_changes)
            if drifted or ignored:
                items.append(
                    DriftItem(
                        desired.address,
                        "drifted" if drifted else "ignored",
                        fields=drifted,
                        ignored=ignored,
                        remote_id=current.remote_id,
                        updated_at=current.updated_at,
                        location=desired.location,
                    )
                )
        for key, current in side.current.items():
            if key not in side.desired:
                items.append(
                    DriftItem(
                        current.address,
                        "undeclared",
                        remote_id=current.remote_id,
                        updated_at=current.updated_at,
                    )
                )
    items.sort(key=lambda item: (item.address.kind, item.address.key))
    return DriftReport(items=tuple(items))


def label_origins(
    plan: Plan,
    head: Mapping[str, Refreshed],
    base_declared: Mapping[Address, Mapping[str, Any]],
) -> Plan:
    """Each change marked `config` (the PR changed the object) or `drift` (the remote did)."""
    declared_now = {
        desired.address: desired.fields
        for side in head.values()
        for desired in side.desired.values()
    }
    labelled: list[Change] = []
    for change in plan.changes:
        now = declared_now.get(change.address)
        before = base_declared.get(change.address)
        if now is None and before is None:
            origin = Origin.DRIFT
        elif now is None or before is None:
            origin = Origin.CONFIG
        else:
            origin = Origin.DRIFT if same(dict(now), dict(before)) else Origin.CONFIG
        labelled.append(replace(change, origin=origin))
    return replace(plan, changes=tuple(labelled))
