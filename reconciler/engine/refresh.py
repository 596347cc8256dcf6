"""Refresh: canonicalise the declared objects and list the managed remote ones, per provider,
sorted by scope; and the checksum of what was found, which seals a plan.

Providers return every object carrying our marker among what can matter: sessions and events
from a day before now on (the past is frozen, so what starts earlier is neither changed nor
removed), of every scope; Previsto's assignments of this scope, unless it walked them all, and
those the declared selects pick. Refresh keeps this configuration's scope for the plan (one
object per key: the oldest, or the one a declared lookup selected) and sets the rest aside: the
extras of a key (duplicates, which the plan removes), objects marked before scopes existed (left
alone until adopted into a scope), and other scopes' objects (only counted, where listed).
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from reconciler.config import DesiredState
from reconciler.errors import PlanError
from reconciler.model import Address, DesiredObject, Duplicate, RemoteObject, duplicate_key
from reconciler.providers.base import Provider


@dataclass(frozen=True, kw_only=True)
class Refreshed:
    """One provider's side of a plan: canonical declared objects and the live managed ones.

    `current` holds this scope's objects, one per key; `extras` the other live objects of a key
    in this scope (by `duplicate_key`), described by `duplicates`; `unscoped` the objects marked
    before scopes existed (the oldest of each key); `others` counts other scopes' objects by name,
    and `elsewhere` holds the oldest of them for each key declared here.
    """

    provider: Provider
    desired: dict[str, DesiredObject]
    current: dict[str, RemoteObject]
    extras: dict[str, RemoteObject] = field(default_factory=dict)
    duplicates: tuple[Duplicate, ...] = ()
    unscoped: dict[str, RemoteObject] = field(default_factory=dict)
    unscoped_count: int = 0
    others: Mapping[str, int] = field(default_factory=dict)
    elsewhere: dict[str, RemoteObject] = field(default_factory=dict)

    def remote(self, key: str) -> RemoteObject | None:
        """The remote object a change's address key names: this scope's, an extra, or unscoped."""
        return self.current.get(key) or self.extras.get(key) or self.unscoped.get(key)


def refresh_all(
    state: DesiredState, providers: Mapping[str, Provider]
) -> dict[str, Refreshed]:
    """Canonicalise and refresh every provider, their list walks running side by side."""

    def one(provider: Provider) -> Refreshed:
        return refresh_provider(state, provider)

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


def refresh_provider(state: DesiredState, provider: Provider) -> Refreshed:
    """Canonicalise and refresh one provider's kind (`watch` reads one kind again at a time)."""
    declared = state.objects.get(provider.kind, ())
    desired = {obj.key: provider.canonical(obj) for obj in declared}
    return by_scope(provider, desired, provider.refresh(list(desired.values())))


def by_scope(
    provider: Provider, desired: dict[str, DesiredObject], found: Iterable[RemoteObject]
) -> Refreshed:
    """Sort what a provider found into this scope's objects, extras, unscoped and others'."""
    scope = provider.scope
    mine: dict[str, list[RemoteObject]] = {}
    legacy: dict[str, list[RemoteObject]] = {}
    others: Counter[str] = Counter()
    elsewhere: dict[str, list[RemoteObject]] = {}
    for remote in found:
        # An unmarked object is one a declared lookup selected (Previsto): ours to mark. A
        # provider without a scope sees every marked object as its own, as before scopes.
        if scope is None or remote.scope == scope or remote.state == "unmarked":
            mine.setdefault(remote.key, []).append(remote)
        elif remote.scope is None:
            legacy.setdefault(remote.key, []).append(remote)
        else:
            others[remote.scope] += 1
            if remote.key in desired:
                elsewhere.setdefault(remote.key, []).append(remote)
    current: dict[str, RemoteObject] = {}
    extras: dict[str, RemoteObject] = {}
    duplicates: list[Duplicate] = []
    for key, group in mine.items():
        if len(group) == 1:
            current[key] = group[0]
            continue
        kept, *rest = sorted(group, key=_seniority)
        current[key] = kept
        for extra in rest:
            extras[duplicate_key(key, extra.remote_id)] = extra
        duplicates.append(
            Duplicate(
                address=kept.address,
                kept=kept.remote_id,
                extras=tuple(extra.remote_id for extra in rest),
            )
        )
    duplicates.sort(key=lambda duplicate: duplicate.address)
    unscoped = {key: min(group, key=_seniority) for key, group in legacy.items()}
    claim_previous_keys(desired, current, unscoped)
    return Refreshed(
        provider=provider,
        desired=desired,
        current=current,
        extras=extras,
        duplicates=tuple(duplicates),
        unscoped=unscoped,
        unscoped_count=sum(len(group) for group in legacy.values()),
        others=dict(others),
        elsewhere={key: min(group, key=_seniority) for key, group in elsewhere.items()},
    )


def claim_previous_keys(
    desired: Mapping[str, DesiredObject],
    current: dict[str, RemoteObject],
    unscoped: dict[str, RemoteObject],
) -> None:
    """Re-key, in place, each object found under a declared object's previous key (a rename) to
    the declared key, with the key it carries as `moved_from`; then it is that object, not an
    undeclared one. When both an old and the new key (or two old keys) are found, which object
    is the declared one would be a guess: refused, naming them."""
    problems: list[str] = []
    for pool in (current, unscoped):
        for key, wanted in desired.items():
            if not wanted.previous_keys or (pool is unscoped and key in current):
                continue  # nothing was renamed, or this scope already holds it
            found = [old for old in wanted.previous_keys if old in pool]
            if not found:
                continue
            if key in pool or len(found) > 1:
                problems.append(_ambiguous_rename(wanted, [*found, key] if key in pool else found,
                                                  pool))
                continue
            pool[key] = replace(pool.pop(found[0]), key=key, moved_from=found[0])
    if problems:
        raise PlanError("\n".join(problems))


def _ambiguous_rename(
    wanted: DesiredObject, keys: Sequence[str], pool: Mapping[str, RemoteObject]
) -> str:
    where = f"{wanted.location}: " if wanted.location else ""
    named = [f"{wanted.kind}.{key} (id {pool[key].remote_id})" for key in keys]
    found = (f"both {named[0]} and {named[1]}" if len(named) == 2
             else f"{', '.join(named[:-1])} and {named[-1]} all")
    listed = ", ".join(wanted.previous_keys)
    return (
        f"{where}{wanted.address} lists previous_keys [{listed}], but {found} exist remotely: "
        f"which one is {wanted.address} is not guessed; remove the one that should not exist "
        "from the provider (or, to keep both, the previous key from the YAML), then plan again"
    )


def _seniority(remote: RemoteObject) -> tuple[bool, bool, str, str]:
    """Which of one key's objects is kept: the one a declared lookup selected, else the oldest
    (by creation time, then id)."""
    return (not remote.selected, remote.created_at is None, remote.created_at or "",
            remote.remote_id)


def state_checksum(refreshed: Mapping[str, Refreshed], addresses: Sequence[Address]) -> str:
    """sha256 over the remote state of the addressed objects (absent ones count as absent)."""
    by_kind = {side.provider.kind: side for side in refreshed.values()}
    snapshot = []
    for address in sorted(set(addresses)):
        side = by_kind.get(address.kind)
        current = side.remote(address.key) if side is not None else None
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
                    "scope": current.scope,
                    "protected": current.protected,
                    # The key the object carries, when refresh found it under a previous one.
                    **({"moved_from": current.moved_from} if current.moved_from else {}),
                },
            ]
        )
    encoded = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(encoded.encode()).hexdigest()
