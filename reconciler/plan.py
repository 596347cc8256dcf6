"""Build the Plan: refresh each provider, diff declared against remote, and fingerprint the state.

The plan is data (`model.Plan`); this module only makes it. The checksum covers the remote state
of every object the plan touches, so a saved plan is refused when one of them changed since
(`StalePlanError`), while edits to objects the plan does not touch leave it valid.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.config import DesiredState
from reconciler.diff import field_changes
from reconciler.errors import ReconcilerError, StalePlanError
from reconciler.model import (
    Action,
    Address,
    Change,
    DesiredObject,
    FieldChange,
    Plan,
    RemoteObject,
)
from reconciler.providers.base import Provider
from reconciler.recurrence import Membership, Series, membership, series_sizes
from reconciler.render.json import FORMAT_VERSION, plan_document

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refreshed:
    """One provider's side of a plan: canonical declared objects and the live managed ones."""

    provider: Provider
    desired: dict[str, DesiredObject]
    current: dict[str, RemoteObject]


def refresh_all(
    state: DesiredState, providers: Mapping[str, Provider]
) -> dict[str, Refreshed]:
    """Canonicalise and refresh every provider, their list walks running side by side."""

    def one(provider: Provider) -> Refreshed:
        declared = state.objects.get(provider.kind, ())
        desired = {obj.key: provider.canonical(obj) for obj in declared}
        current = {obj.key: obj for obj in provider.refresh(list(desired.values()))}
        return Refreshed(provider=provider, desired=desired, current=current)

    if not providers:
        return {}
    with ThreadPoolExecutor(max_workers=len(providers), thread_name_prefix="refresh") as pool:
        futures = {name: pool.submit(one, provider) for name, provider in providers.items()}
        return {name: future.result() for name, future in futures.items()}


def plan_changes(
    state: DesiredState,
    providers: Mapping[str, Provider],
    *,
    prune: bool = False,
) -> tuple[Plan, dict[str, Refreshed]]:
    """The minimal changes that bring every provider's managed objects to the declared state."""
    refreshed = refresh_all(state, providers)
    changes: list[Change] = []
    for side in refreshed.values():
        series = state.series.get(side.provider.kind, {})
        changes.extend(_changes_for(side, prune=prune, series=series))
    changes.sort(key=lambda change: change.sort_key)
    plan = Plan(
        changes=tuple(changes),
        state_checksum=state_checksum(refreshed, [change.address for change in changes]),
        providers=tuple(sorted(providers)),
        series_sizes=series_sizes(state.series),
    )
    return plan, refreshed


def _changes_for(side: Refreshed, *, prune: bool, series: Mapping[str, Series]) -> list[Change]:
    provider = side.provider
    changes: list[Change] = []
    for key, desired in side.desired.items():
        current = side.current.get(key)
        if current is None:
            calls = provider.create_calls(desired)
            changes.append(
                Change(
                    address=desired.address,
                    provider=provider.name,
                    action=Action.CREATE,
                    reason="declared but not found remotely",
                    fields=tuple(
                        FieldChange(name, None, value) for name, value in desired.fields.items()
                    ),
                    requests=calls,
                    location=desired.location,
                    note="request" if desired.via == "request" else None,
                    time_zone=desired.time_zone,
                    starts_at=desired.starts_at,
                )
            )
            continue
        differing = field_changes(desired, current, merge_fields=provider.merge_fields)
        if not differing:
            continue
        applied = [c for c in differing if c.name not in desired.ignore_changes]
        ignored = tuple(c for c in differing if c.name in desired.ignore_changes)
        if not applied:
            if ignored:
                log.info("%s: changes to %s are ignored", desired.address, ignored)
            continue
        update = provider.update_plan(current, desired, applied)
        changes.append(
            Change(
                address=desired.address,
                provider=provider.name,
                action=update.action,
                reason=update.reason,
                fields=tuple(applied),
                requests=update.requests,
                remote_id=current.remote_id,
                ignored=ignored,
                location=desired.location,
                time_zone=desired.time_zone,
                starts_at=desired.starts_at,
            )
        )
    for key, current in side.current.items():
        if key in side.desired:
            continue
        # A declared series owns its occurrences: one its rule dropped goes without --prune;
        # one it still has (past, or beyond the horizon) stays even with --prune.
        member = membership(key, series)
        if member is Membership.DROPPED:
            reason = "no longer an occurrence of its series (exdates, until or the rule changed)"
        elif prune and member is None:
            reason = "managed but no longer declared (--prune)"
        else:
            continue
        action, calls = provider.removal_calls(current)
        changes.append(
            Change(
                address=current.address,
                provider=provider.name,
                action=action,
                reason=reason,
                requests=calls,
                remote_id=current.remote_id,
                time_zone=current.fields.get("time_zone"),
                starts_at=current.starts_at,
            )
        )
    return changes


def state_checksum(refreshed: Mapping[str, Refreshed], addresses: Sequence[Address]) -> str:
    """sha256 over the remote state of the addressed objects (absent ones count as absent)."""
    by_kind = {side.provider.kind: side.current for side in refreshed.values()}
    snapshot = []
    for address in sorted(set(addresses)):
        current = by_kind.get(address.kind, {}).get(address.key)
        snapshot.append(
            [
                str(address),
                None
                if current is None
                else {
                    "id": current.remote_id,
                    "state": current.state,
                    "fields": current.fields,
                    "owned": sorted(current.owned) if current.owned is not None else None,
                },
            ]
        )
    encoded = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(encoded.encode()).hexdigest()


# -- the plan file ---------------------------------------------------------------------------------


def save_plan(plan: Plan, path: Path, *, source: dict[str, Any]) -> None:
    document = plan_document(plan, source=source)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def load_plan(path: Path) -> tuple[Plan, dict[str, Any]]:
    """A saved plan and its source (the config path and target it was made from)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ReconcilerError(f"{path}: not a readable plan file ({error})") from None
    if not isinstance(document, dict) or document.get("format_version") != FORMAT_VERSION:
        raise ReconcilerError(
            f"{path}: not a reconciler plan of format version {FORMAT_VERSION}; make it again "
            "with `reconciler plan PATH -o FILE`"
        )
    try:
        plan = Plan(
            changes=tuple(Change.from_json(item) for item in document["changes"]),
            state_checksum=str(document["state_checksum"]),
            providers=tuple(document.get("providers", ())),
            series_sizes={str(k): int(v) for k, v in (document.get("series") or {}).items()},
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ReconcilerError(f"{path}: the plan file is damaged ({error!r})") from None
    source = document.get("source") or {}
    return plan, source if isinstance(source, dict) else {}


def check_fresh(plan: Plan, refreshed: Mapping[str, Refreshed], path: Path) -> None:
    """Refuse a saved plan when any object it touches changed remotely since it was made."""
    now = state_checksum(refreshed, [change.address for change in plan.changes])
    if now != plan.state_checksum:
        raise StalePlanError(
            f"{path} is stale: the remote state of the objects it changes is not what it was "
            "when the plan was made; run `reconciler plan` again and review the new plan"
        )
