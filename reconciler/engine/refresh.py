"""Refresh: canonicalise the declared objects and list the managed remote ones, per provider;
and the checksum of what was found, which seals a plan."""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from reconciler.config import DesiredState
from reconciler.model import Address, DesiredObject, RemoteObject
from reconciler.providers.base import Provider


@dataclass(frozen=True, kw_only=True)
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
        # Each walk runs in a copy of the caller's context, so that what the run set there (a
        # clock pin allowed for --sandbox) holds on the worker threads too.
        futures = {
            name: pool.submit(contextvars.copy_context().run, one, provider)
            for name, provider in providers.items()
        }
        return {name: future.result() for name, future in futures.items()}


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
