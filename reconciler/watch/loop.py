"""The watch loop: deliveries in, re-reads and sweeps out, drift reported or put back.

    receiver thread ──receive()──▶ inbox ─┐
                                          ├─ step(): route to scopes ─▶ debounce ─▶ re-read window
    injected clock ──────────────────────▶┘          sweep every scope when due ─▶ drift
    receiver thread ──receive_postback()── verified ─▶ debounce ─▶ re-read the scope's sessions
                                                     drift ─▶ stream + notify (once) ─▶ revert?

Everything but `receive` runs on the loop's one thread, which owns the scopes' snapshots; the
receiver only records a delivery and returns, so Prospero hears 200 at once. Every wait is on
`reconciler.clock`: a test drives `step()` and moves the fake clock, and `run()` sleeps on it.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from reconciler import clock
from reconciler.engine.drift_policy import DriftPolicy
from reconciler.errors import ReconcilerError
from reconciler.model import Address
from reconciler.notify import RunNotices
from reconciler.providers.listing import instant_text
from reconciler.redaction import redact
from reconciler.reports import DriftReport
from reconciler.watch.debounce import EVENTS, Debouncer, ReRead
from reconciler.watch.deliveries import Delivery, SeenDeliveries
from reconciler.watch.events import REVERTIBLE, Emit, drift_record, record
from reconciler.watch.issues import DriftIssues
from reconciler.watch.metrics import WatchMetrics
from reconciler.watch.postbacks import verified
from reconciler.watch.revert import ApplySettings, revert
from reconciler.watch.scope import SESSIONS, WatchedScope
from reconciler.watch.windows import affected_span, events_side

log = logging.getLogger(__name__)

SWEEP_INTERVAL = 15 * 60.0
# The longest the loop sleeps between looks at its inbox (and at a stop asked for).
TICK = 1.0
# Deliveries held for the loop at most: past it (a storm while a long sweep runs) they are
# not kept one by one; every events scope is read whole instead, which covers them all.
INBOX_LIMIT = 10_000


@dataclass(frozen=True, kw_only=True)
class WatchSettings:
    sweep_interval: float = SWEEP_INTERVAL
    apply: ApplySettings
    notify: bool = True  # send the configurations' notifications (drift-detected)


class Watcher:
    """The long-running loop over a set of scopes."""

    def __init__(
        self,
        scopes: Sequence[WatchedScope],
        *,
        settings: WatchSettings,
        emit: Emit,
        metrics: WatchMetrics | None = None,
        debouncer: Debouncer | None = None,
        reload: Callable[[], list[WatchedScope]] | None = None,
        issues: DriftIssues | None = None,
    ) -> None:
        self.scopes = {scope.name: scope for scope in scopes}
        self.reload = reload
        self.reload_asked = threading.Event()
        self.issues = issues
        self.settings = settings
        self.emit = emit
        self.metrics = metrics or WatchMetrics()
        self.debouncer = debouncer or Debouncer()
        self.seen = SeenDeliveries()
        self.stopping = threading.Event()
        self._inbox: deque[tuple[float, Delivery]] = deque()
        self._overflowed_at: float | None = None
        self._postbacks_rejected = 0  # since the loop last told of them
        self._lock = threading.Lock()
        self.next_sweep: float | None = None  # None: at once
        # By scope: drifted objects whose revert failed, tried again at the next sweep.
        self.unreverted: dict[str, set[Address]] = {}

    # -- the receiver's side (any thread) ------------------------------------------------------

    def receive(self, delivery: Delivery) -> Literal["accepted", "duplicate"]:
        """Record a delivery for the loop; nothing else is done on the caller's thread."""
        with self._lock:
            if delivery.id is not None and not self.seen.first_time(delivery.id):
                self.metrics.webhooks_duplicate.labels(provider="prospero").inc()
                return "duplicate"
            self.metrics.webhooks_received.labels(provider="prospero").inc()
            now = clock.current().monotonic()
            if len(self._inbox) >= INBOX_LIMIT:
                self._inbox.clear()
                self._overflowed_at = now
            if self._overflowed_at is not None:
                self._overflowed_at = now
            else:
                self._inbox.append((now, delivery))
        return "accepted"

    def receive_postback(self, token: str | None) -> None:
        """A Prevail postback's JWT (None: the body held none): every scope whose Prevail key
        verifies it has its sessions read again (debounced); one that none verifies, or that
        has expired, is counted, told on the stream by the loop, and dropped."""
        now = clock.current().monotonic()
        signed_for = [
            scope.name
            for scope in list(self.scopes.values())
            if token is not None
            and (key := scope.postback_key()) is not None
            and verified(token, key)
        ]
        with self._lock:
            if not signed_for:
                self.metrics.webhooks_rejected.labels(provider="prevail").inc()
                self._postbacks_rejected += 1
                return
            self.metrics.webhooks_received.labels(provider="prevail").inc()
        for name in signed_for:
            self.debouncer.ask(name, None, at=now, kind=SESSIONS)

    @property
    def waiting(self) -> int:
        """Deliveries held for the loop (at most INBOX_LIMIT)."""
        with self._lock:
            return len(self._inbox)

    @property
    def ready(self) -> bool:
        """Every scope swept once, and no scope's credentials refused since."""
        return all(
            scope.baseline is not None and not scope.credentials_refused
            for scope in self.scopes.values()
        )

    def ask_reload(self) -> None:
        """Read the configurations again at the next step (SIGHUP)."""
        self.reload_asked.set()

    def stop(self) -> None:
        """Take no more work: the loop ends once what it is doing is done."""
        self.stopping.set()

    # -- the loop's thread ---------------------------------------------------------------------

    def run(self) -> None:
        """Step until `stop`; between steps, sleep on the injected clock."""
        while not self.stopping.is_set():
            self.step()
            if self.stopping.is_set():
                break
            clock.current().sleep(self._pause(), why="watch")

    def step(self) -> None:
        """Do what is due now: a sweep, the deliveries received, the re-reads whose quiet time
        has passed."""
        ticking = clock.current()
        if self.reload_asked.is_set():
            self.reload_asked.clear()
            self._reload()
        if self.next_sweep is None or ticking.monotonic() >= self.next_sweep:
            self.sweep_all()
            self.next_sweep = ticking.monotonic() + self.settings.sweep_interval
        self._route_inbox()
        self._tell_rejected()
        for due in self.debouncer.due(ticking.monotonic()):
            if self.stopping.is_set():
                return
            self._reread(due)

    def sweep_all(self) -> None:
        for scope in self.scopes.values():
            if self.stopping.is_set():
                return
            self.sweep(scope)
        # Every request leaves reference cycles (httpx's requests and responses) that only a
        # full collection frees, and a process that lives for weeks reaches one rarely: without
        # this its memory grows for hours before it settles (measured: 65 to 260 MiB in an hour
        # of compressed time). A sweep is the loop's natural pause.
        gc.collect()

    def sweep(self, scope: WatchedScope, *, retry: bool = True) -> None:
        """Refresh one scope and handle its drift; `retry`: revert again what failed to be."""
        started = clock.current().monotonic()
        try:
            report = scope.sweep()
        except Exception as error:  # a long-running loop outlives one failed sweep
            self._failed(scope, "sweep", error)
            return
        finally:
            self.metrics.sweep_duration.labels(scope=scope.name).observe(
                clock.current().monotonic() - started
            )
        scope.failure = None
        self.emit(
            record(
                "sweep.done",
                scope=scope.name,
                drift=len([item for item in report.items if item.status != "ignored"]),
            )
        )
        self._drift(scope, report, via="sweep", retry=retry)
        self.metrics.ready.set(1 if self.ready else 0)

    def _route_inbox(self) -> None:
        with self._lock:
            taken = list(self._inbox)
            self._inbox.clear()
            overflowed_at, self._overflowed_at = self._overflowed_at, None
        if overflowed_at is not None:
            taken = [(overflowed_at, Delivery(id=None))]
        for at, delivery in taken:
            watching = [scope for scope in self.scopes.values() if scope.watches_events]
            if delivery.event is None:
                # Unreadable: a hint all the same, for the whole window of every events scope.
                for scope in watching:
                    self.debouncer.ask(scope.name, None, at=at)
                continue
            for scope in watching:
                side = events_side(scope.snapshot)
                if side is None:
                    self.debouncer.ask(scope.name, None, at=at)
                    continue
                concerned, span = affected_span(side, delivery.event)
                if concerned:
                    self.debouncer.ask(scope.name, span, at=at)

    def _tell_rejected(self) -> None:
        with self._lock:
            rejected, self._postbacks_rejected = self._postbacks_rejected, 0
        if rejected:
            reason = "not signed with the Prevail key of a watched configuration, or expired"
            self.emit(record("webhook.rejected", api="prevail", count=rejected, reason=reason))

    def _reread(self, due: ReRead) -> None:
        scope = self.scopes.get(due.scope)
        if scope is None:
            return  # gone with a reload
        try:
            if due.kind == EVENTS:
                report = scope.reread_events(due.span)
            else:
                report = scope.reread_kind(due.kind)
        except Exception as error:
            self._failed(scope, "reread", error)
            return
        if report is None:
            return  # not swept yet: the first sweep reads everything
        self.metrics.rereads.labels(scope=scope.name).inc()
        self.emit(
            record(
                "reread.done",
                scope=scope.name,
                kind=due.kind,
                deliveries=due.deliveries,
                window=None if due.span is None else _window(due.span),
            )
        )
        self._drift(scope, report, via="webhook")

    def _drift(
        self, scope: WatchedScope, report: DriftReport, *, via: str, retry: bool = False
    ) -> None:
        """Tell what is new in `report`, once; then, under `revert`, put it back (and, with
        `retry`, what a revert failed to put back before)."""
        new, resolved = scope.ledger.news(report)
        for item in new:
            self.metrics.drift_found.labels(scope=scope.name, status=item.status).inc()
            self.emit(drift_record(scope.name, item, via=via))
        for address in resolved:
            self.emit(record("drift.resolved", scope=scope.name, address=str(address)))
        if new and self.settings.notify:
            self._notify(scope, DriftReport(items=tuple(new)))
        first = scope.baseline is None
        scope.settle_baseline(report)
        if first or scope.policy is not DriftPolicy.REVERT:
            self._keep_issue(scope, report)
            return
        baseline = scope.baseline or set()
        again = self.unreverted.get(scope.name, set()) if retry else set()
        told_now = {item.address for item in new}
        wanted = sorted(
            {
                item.address
                for item in report.items
                if item.status in REVERTIBLE
                and item.address not in baseline
                and (item.address in told_now or item.address in again)
            }
        )
        if wanted and not self.stopping.is_set():
            self._revert(scope, wanted, report)
        else:
            self._keep_issue(scope, report)

    def _keep_issue(self, scope: WatchedScope, report: DriftReport) -> None:
        """The scope's drift issue shows `report` (where GitHub issues are kept)."""
        if self.issues is not None:
            self.issues.update(scope.name, scope.path, report)

    def _revert(self, scope: WatchedScope, targets: list[Address], report: DriftReport) -> None:
        """Put `targets` back; the sweep after it keeps the drift issue, and where no sweep
        follows (nothing written) the issue shows `report`."""
        failure: str | None = None
        try:
            # An apply of a merged change is not drift to undo: the YAML it came from is
            # read again first, and an object it declares otherwise is left as it is.
            moved_on = scope.declared_anew(targets)
        except ReconcilerError as error:
            moved_on, failure = list(targets), redact(str(error))
        if moved_on:
            reason = failure or (
                f"the configuration at {scope.path} declares {', '.join(map(str, moved_on))} "
                "otherwise than when watch read it: send SIGHUP (or restart) to read it again"
            )
            self.emit(
                record(
                    "revert.refused",
                    scope=scope.name,
                    addresses=[str(address) for address in moved_on],
                    reason=reason,
                )
            )
            targets = [address for address in targets if address not in moved_on]
            if not targets:
                self._keep_issue(scope, report)
                return
        try:
            done = revert(
                scope.state,
                scope.providers,
                targets,
                options=scope.plan_options,
                settings=self.settings.apply,
            )
        except Exception as error:
            self.unreverted[scope.name] = set(targets)
            self._failed(scope, "revert", error)
            self._keep_issue(scope, report)
            return
        self.unreverted[scope.name] = {outcome.change.address for outcome in done.failed}
        shown = [str(address) for address in targets]
        if done.refused is not None:
            self.emit(
                record(
                    "revert.refused", scope=scope.name, addresses=shown, reason=redact(done.refused)
                )
            )
            self._keep_issue(scope, report)
            return
        self.metrics.reverted.labels(scope=scope.name).inc(len(done.applied))
        self.emit(
            record(
                "drift.reverted" if done.ok else "revert.failed",
                scope=scope.name,
                applied=[str(outcome.change.address) for outcome in done.applied],
                failed=[
                    {"address": str(outcome.change.address), "message": redact(outcome.message)}
                    for outcome in done.failed
                ],
                unverified=done.unverified,
                notes=[redact(note) for note in done.notes],
            )
        )
        # What was written is read again at once, so that the next delivery's window and the
        # drift told start from it; what failed is tried again at the next sweep, not now.
        self.sweep(scope, retry=False)

    def _reload(self) -> None:
        """The configurations read again: what they declare from now on is the reference, and
        the first sweep after it a new baseline (what differs then may be a change made in git
        and not applied: it is reported, never reverted). Drift already told is not told
        again. A configuration that does not load leaves the ones before in place."""
        if self.reload is None:
            return
        try:
            scopes = self.reload()
        except Exception as error:
            message = (
                redact(str(error))
                if isinstance(error, ReconcilerError)
                else (f"internal error ({type(error).__name__})")
            )
            self.emit(record("reload.failed", message=message))
            return
        before = self.scopes
        for scope in scopes:
            if scope.name in before:
                scope.ledger = before[scope.name].ledger
        self.scopes = {scope.name: scope for scope in scopes}
        for scope in before.values():
            scope.close()
        self.next_sweep = None
        self.emit(record("config.reloaded", scopes=sorted(self.scopes)))

    def _notify(self, scope: WatchedScope, report: DriftReport) -> None:
        notices = RunNotices("watch", scope.state)
        notices.drifted(report)
        for line in notices.send():
            self.emit(record("notify.failed", scope=scope.name, message=redact(line)))

    def _failed(self, scope: WatchedScope, stage: str, error: Exception) -> None:
        self.metrics.failures.labels(scope=scope.name, stage=stage).inc()
        if isinstance(error, ReconcilerError):
            scope.failure = error
            message = redact(str(error))
        else:
            log.debug("%s of %s failed", stage, scope.name, exc_info=error)
            message = f"internal error ({type(error).__name__}); run with --debug for details"
        self.emit(record(f"{stage}.failed", scope=scope.name, message=message))
        self.metrics.ready.set(1 if self.ready else 0)

    def _pause(self) -> float:
        now = clock.current().monotonic()
        moments = [
            moment for moment in (self.next_sweep, self.debouncer.next_due()) if moment is not None
        ]
        soonest = min(moments, default=now + TICK)
        return max(0.0, min(TICK, soonest - now))


def _window(span: tuple[float, float]) -> list[str]:
    return [instant_text(span[0]), instant_text(span[1])]
