"""One configuration `watch` keeps an eye on: its declared state (read once, at start), its
providers, the last remote state it saw, and the drift it has told.

The declared state is never read again while the process runs (a change in git reaches the
schedule through a reviewed plan and `apply`, never through `watch`), so whatever differs from it
later moved remotely. What already differed at the first sweep cannot be told apart from a
change made in git and not applied yet: it is reported, and never reverted (`baseline`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.config import DesiredState, load
from reconciler.engine.drift import detect_drift
from reconciler.engine.drift_policy import DriftPolicy
from reconciler.engine.plan import PlanOptions
from reconciler.engine.refresh import Refreshed, refresh_all, refresh_provider
from reconciler.errors import AuthenticationError, PermissionDeniedError, ReconcilerError
from reconciler.model import Address
from reconciler.providers.base import Provider
from reconciler.reports import DriftReport
from reconciler.watch.debounce import Span
from reconciler.watch.events import REPORTED, DriftLedger
from reconciler.watch.windows import events_side, reread

# The kind Prevail's postbacks ask to read again.
SESSIONS = "sessions"


@dataclass(kw_only=True)
class WatchedScope:
    """A configuration as `watch` holds it between sweeps."""

    name: str
    path: Path
    state: DesiredState
    providers: dict[str, Provider]
    policy: DriftPolicy
    plan_options: PlanOptions
    snapshot: dict[str, Refreshed] = field(default_factory=dict)
    ledger: DriftLedger = field(default_factory=DriftLedger)
    # What was out of sync at the first sweep (None: not swept yet).
    baseline: set[Address] | None = None
    # The last sweep's or re-read's failure, if it failed.
    failure: ReconcilerError | None = None

    @property
    def watches_events(self) -> bool:
        return events_side(self.snapshot) is not None or "prospero" in self.providers

    @property
    def credentials_refused(self) -> bool:
        return isinstance(self.failure, AuthenticationError | PermissionDeniedError)

    def sweep(self) -> DriftReport:
        """Refresh every kind (as `reconciler drift` does) and compare with the declared."""
        self.snapshot = refresh_all(self.state, self.providers)
        return detect_drift(self.snapshot)

    def postback_key(self) -> str | None:
        """The key Prevail signs this scope's postbacks with (None: no Prevail here)."""
        provider = next((p for p in self.providers.values() if p.kind == SESSIONS), None)
        key = provider.settings.settings.get("api_key") if provider is not None else None
        return key or None

    def reread_kind(self, kind: str) -> DriftReport | None:
        """Refresh `kind` alone, as a sweep refreshes it, and compare the snapshot with the
        declared; None when the scope has not been swept yet or holds no such kind."""
        name = next((n for n, side in self.snapshot.items() if side.provider.kind == kind), None)
        if name is None:
            return None
        self.snapshot[name] = refresh_provider(self.state, self.providers[name])
        return detect_drift(self.snapshot)

    def reread_events(self, span: Span | None) -> DriftReport | None:
        """Read `span` of the events again (None: the refresh's whole span) and compare the
        snapshot with the declared; None when the scope has not been swept yet."""
        side = events_side(self.snapshot)
        if side is None:
            return None
        name = next(name for name, held in self.snapshot.items() if held is side)
        self.snapshot[name] = reread(side, span)
        return detect_drift(self.snapshot)

    def settle_baseline(self, report: DriftReport) -> None:
        """After a sweep or re-read: the first one's drift is the baseline; an object found in
        sync since leaves it (from then on a difference is a remote edit)."""
        found = {item.address for item in report.items if item.status in REPORTED}
        if self.baseline is None:
            self.baseline = found
        else:
            self.baseline &= found

    def declared_anew(self, addresses: Iterable[Address]) -> list[Address]:
        """Of `addresses`, those the configuration on disk now declares otherwise than when it
        was read: a change merged since, which a revert to the old declaration would undo."""
        fresh = load(self.path)
        return [
            address
            for address in addresses
            if _declared(self.state, self.providers, address)
            != _declared(fresh, self.providers, address)
        ]

    def close(self) -> None:
        for provider in self.providers.values():
            provider.client.close()


def _declared(
    state: DesiredState, providers: Mapping[str, Provider], address: Address
) -> Mapping[str, Any] | None:
    """The canonical declared fields of `address` in `state` (None: not declared)."""
    provider = next((p for p in providers.values() if p.kind == address.kind), None)
    for declared in state.objects.get(address.kind, ()):
        if declared.key == address.key and provider is not None:
            return provider.canonical(declared).fields
    return None
