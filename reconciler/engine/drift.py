"""Drift: what changed remotely outside the repository.

`detect_drift` compares the refreshed remote state with the declared state and reports, per
object, the drifted fields (remote value vs declared value, with the object's last-updated time),
objects declared but missing remotely, managed objects no longer declared, and duplicates (a
second live object carrying a key, one item per extra). Only this configuration's scope is
compared. Fields under `ignore_changes` are reported as ignored, never as drift.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.engine.diff import field_changes
from reconciler.engine.refresh import Refreshed
from reconciler.model import Address, FieldChange, RemoteObject, duplicate_key
from reconciler.reports import DriftItem, DriftReport


def detect_drift(refreshed: Mapping[str, Refreshed]) -> DriftReport:
    items: list[DriftItem] = []
    for side in refreshed.values():
        merge = side.provider.merge_fields
        for key, desired in side.desired.items():
            current = side.current.get(key)
            if current is None:
                items.append(
                    DriftItem(address=desired.address, status="missing", location=desired.location)
                )
                continue
            # A value the server normalises (as its docs say) is not drift: the plan says it.
            compared, _ = side.provider.settled(desired, current)
            differing = field_changes(compared, current, merge_fields=merge)
            if _protection_lifted(side, desired.protect, current):
                # Anyone with API access can edit the mark; without it a later --prune of an
                # undeclared object would go through. Reported, and a plan records it again.
                differing = [*differing, FieldChange("protect", current.protected, True)]
            drifted = tuple(c for c in differing if c.name not in desired.ignore_changes)
            ignored = tuple(c for c in differing if c.name in desired.ignore_changes)
            if drifted or ignored:
                items.append(
                    DriftItem(
                        address=desired.address,
                        status="drifted" if drifted else "ignored",
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
                        address=current.address,
                        status="undeclared",
                        remote_id=current.remote_id,
                        updated_at=current.updated_at,
                    )
                )
        for duplicate in side.duplicates:
            for extra_id in duplicate.extras:
                extra = side.extras[duplicate_key(duplicate.address.key, extra_id)]
                items.append(
                    DriftItem(
                        address=Address(extra.kind, duplicate_key(extra.key, extra_id)),
                        status="duplicate",
                        remote_id=extra_id,
                        updated_at=extra.updated_at,
                    )
                )
    items.sort(key=lambda item: (item.address.kind, item.address.key))
    return DriftReport(items=tuple(items))


def _protection_lifted(side: Refreshed, declared: bool, current: RemoteObject) -> bool:
    """A declared-protected object whose mark no longer says so, where the mark can be written
    again (Previsto's not-yet-marked assignments aside)."""
    return (
        declared
        and not current.protected
        and side.provider.marker_editable
        and current.state != "unmarked"
    )
