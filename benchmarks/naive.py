"""The per-object peer: a deliberately simple reconciler in the shape of a Terraform-style refresh.

For each declared object it GETs the remote object by the id its state file holds, and when any
declared field differs it sends the *full* declared body (Prevail `PATCH /sessions/{id}`,
Prospero `PATCH /events/{id}`, Previsto `PUT /assignments/{id}`); an object without an id is
created with one POST each. Everything else is shared with the engine on purpose, so that the
figures compare the two strategies and nothing else: the same YAML loader, canonical forms and
field comparison, and the same HTTP clients (auth, retries, Previsto pacing).

    python -m benchmarks.naive CONFIG_DIR --state STATE.json --summary OUT.json [--apply]
        [--parallelism 8]

The summary (JSON) holds, per kind: objects declared, GETs, objects differing, writes sent and
their body bytes (serialised as the engine's providers send them).
"""

from __future__ import annotations

import argparse
import json
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.config import load
from reconciler.engine.diff import field_changes
from reconciler.errors import ReconcilerError
from reconciler.model import DesiredObject, HttpCall, RemoteObject
from reconciler.providers import Provider, build_providers
from reconciler.providers.prevail import PrevailProvider
from reconciler.providers.previsto import KEY_META, OWNED_META, PrevistoProvider
from reconciler.providers.prospero import MERGE_PATCH, ProsperoProvider


@dataclass
class KindTally:
    declared: int = 0
    gets: int = 0
    differing: int = 0
    writes: int = 0
    write_bytes: int = 0
    errors: list[str] = field(default_factory=list)


class NaiveReconciler:
    """Refresh by id, compare, and write full bodies; one instance per run."""

    def __init__(self, providers: Mapping[str, Provider], state: dict[str, dict[str, str]]):
        self.providers = {provider.kind: provider for provider in providers.values()}
        self.state = state
        self.tallies = {kind: KindTally() for kind in self.providers}
        self._lock = threading.Lock()

    def reconcile(self, desired: DesiredObject, *, write: bool) -> None:
        provider = self.providers[desired.kind]
        tally = self.tallies[desired.kind]
        remote_id = self.state.get(desired.kind, {}).get(desired.key)
        try:
            current = self.fetch(provider, remote_id, desired.key) if remote_id else None
            if remote_id:
                with self._lock:
                    tally.gets += 1
            if current is not None and not field_changes(
                desired, current, merge_fields=provider.merge_fields
            ):
                return
            with self._lock:
                tally.differing += 1
            if not write:
                return
            call = self.full_write(provider, desired, remote_id)
            body = provider.send(call)
            with self._lock:
                tally.writes += 1
                tally.write_bytes += len(json.dumps(call.body).encode())
                created = provider.created_id(body) if remote_id is None else None
                if created:
                    self.state.setdefault(desired.kind, {})[desired.key] = created
        except ReconcilerError as error:
            with self._lock:
                tally.errors.append(f"{desired.address}: {error}")

    def fetch(self, provider: Provider, remote_id: str, key: str) -> RemoteObject | None:
        if isinstance(provider, PrevailProvider):
            body = provider.send(HttpCall(method="GET", path=f"/sessions/{remote_id}"))
            return provider.remote(body["session"])
        if isinstance(provider, ProsperoProvider):
            body = provider.send(HttpCall(method="GET", path=f"/events/{remote_id}"))
            return provider.remote(body["event"])
        if isinstance(provider, PrevistoProvider):
            body = provider.send(HttpCall(method="GET", path=f"/assignments/{remote_id}"))
            return provider.remote(body, key)
        raise TypeError(f"no per-object GET for {provider.name}")

    def full_write(
        self, provider: Provider, desired: DesiredObject, remote_id: str | None
    ) -> HttpCall:
        """The whole declared body: what a per-object tool sends when anything differs."""
        if remote_id is None:
            return provider.create_calls(desired)[0]
        if isinstance(provider, PrevailProvider):
            body = provider.request_body(desired)
            edit = {**body["remote_session"], "invites": body["invites"]}
            return HttpCall(
                method="PATCH", path=f"/sessions/{remote_id}", body={"remote_session": edit}
            )
        if isinstance(provider, ProsperoProvider):
            event = provider.wire_event(desired)
            return HttpCall(
                method="PATCH", path=f"/events/{remote_id}", body=event, content_type=MERGE_PATCH
            )
        if isinstance(provider, PrevistoProvider):
            metadata = dict(desired.fields.get("metadata") or {})
            metadata[KEY_META] = desired.key
            metadata[OWNED_META] = ",".join(sorted(desired.fields.get("metadata") or {}))
            return HttpCall(method="PUT", path=f"/assignments/{remote_id}", body={"meta": metadata})
        raise TypeError(f"no full-body write for {provider.name}")

    def summary(self) -> dict[str, Any]:
        return {
            kind: {
                "declared": tally.declared,
                "gets": tally.gets,
                "differing": tally.differing,
                "writes": tally.writes,
                "write_bytes": tally.write_bytes,
                "errors": tally.errors[:5],
                "error_count": len(tally.errors),
            }
            for kind, tally in self.tallies.items()
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--summary", type=Path, required=True)
    parser.add_argument("--apply", action="store_true", help="Write the differing objects.")
    parser.add_argument("--parallelism", type=int, default=8)
    args = parser.parse_args()

    state = load(args.config)
    providers = build_providers(state)
    ids: dict[str, dict[str, str]] = json.loads(args.state.read_text(encoding="utf-8"))
    naive = NaiveReconciler(providers, ids)
    desired = [
        naive.providers[kind].canonical(declared)
        for kind, objects in state.objects.items()
        for declared in objects
        if kind in naive.providers
    ]
    for item in desired:
        naive.tallies[item.kind].declared += 1
    try:
        with ThreadPoolExecutor(max_workers=args.parallelism) as pool:
            for _ in pool.map(lambda item: naive.reconcile(item, write=args.apply), desired):
                pass
    finally:
        for provider in providers.values():
            provider.client.close()
    args.state.write_text(json.dumps(ids), encoding="utf-8")
    args.summary.write_text(json.dumps(naive.summary(), indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
