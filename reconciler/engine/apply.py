"""Execute a Plan: phase by phase, bounded concurrency, one outcome per change, and a journal.

Apply never re-plans: it sends exactly the requests the plan holds. Removals run before replaces,
creates and updates (the order lives on `Action`), and a phase finishes before the next starts, so
a replace's cancel lands before its new session. Within a phase, independent changes run
concurrently (`parallelism`); a failure does not stop the others unless `fail_fast`, but a write
refused for want of permission (403) stops that provider's: the rest would be refused alike. The
run ends with every change in exactly one of: applied, failed (with the API's message), not
attempted.

A create whose answer was lost (a timeout, a dropped connection, a cut-off body, a 5xx that may
follow a commit, a success without the object) may have landed, so its outcome is decided from
what the server holds (`decide_lost`): look for the object by its key at once, then again with
growing pauses until the settle time has passed (a slow database or a queue commits late); only
then is it sent again, once, and a bulk create only for the keys that did not land. Every look-up
is journaled.

A journal that cannot be written (a full disk, a file-size limit) stops the run before its next
write request: a write the journal cannot record is not made. What was sent by then is still
reported, the rest is not attempted, and the report carries the journal's failure.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

from reconciler import clock
from reconciler.engine import next_steps
from reconciler.errors import LocalFileError, ProviderError, ReconcilerError
from reconciler.local_files import append_text
from reconciler.model import Change, Plan, RemoteObject
from reconciler.providers.base import Provider
from reconciler.redaction import redact_json
from reconciler.reports import Outcome

log = logging.getLogger(__name__)

# How long a create whose answer was lost may still land (seconds from the first look-up): apply
# looks for it until then before it sends it again. Never less than the create's read timeout
# plus SETTLE_MARGIN, the time the server may still be working on the request unseen.
SETTLE_TIME = 30.0
SETTLE_MARGIN = 1.0
# The pause before the second look-up; each later one doubles, up to LOOKUP_LONGEST_PAUSE.
LOOKUP_FIRST_PAUSE = 1.0
LOOKUP_LONGEST_PAUSE = 8.0


@dataclass(kw_only=True)
class ApplyReport:
    """What an apply did: one outcome per change it sent (applied or failed, in plan order), and
    the changes it never reached (a `fail_fast` stop, or a batch cut short)."""

    outcomes: list[Outcome] = field(default_factory=list)
    not_attempted: list[Change] = field(default_factory=list)
    # Why the run stopped early because its journal could not be written, if it did.
    journal_failure: LocalFileError | None = None

    @property
    def applied(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.ok]

    @property
    def failed(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if not outcome.ok]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.not_attempted and self.journal_failure is None


class Journal:
    """Append-only JSON lines, one per attempt and outcome, so a killed apply can be inspected.

    The file is created (never through a symbolic link) when the journal is made, so a path
    that cannot hold it is refused before anything is sent. Once a line cannot be written the
    journal keeps that failure and writes no more: the run asks `failure` before each write
    request."""

    FIX = "choose another --journal"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.failure: LocalFileError | None = None
        append_text(path, "", what="the journal", fix=self.FIX)

    def write(self, event: str, change: Change, **details: Any) -> None:
        entry = {
            "time": clock.current().utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "event": event,
            "address": str(change.address),
            "action": change.action.value,
            "remote_id": change.remote_id,
            "requests": [f"{call.method} {call.path}" for call in change.requests],
            **details,
        }
        # A message may repeat what a server answered, and some repeat the request's credentials.
        line = redact_json(entry, sort_keys=True)
        with self._lock:
            if self.failure is not None:
                return
            try:
                append_text(self.path, line + "\n", what="the journal", fix=self.FIX)
            except LocalFileError as error:
                self.failure = error


def apply_plan(
    plan: Plan,
    providers: Mapping[str, Provider],
    *,
    parallelism: int = 8,
    fail_fast: bool = False,
    journal: Journal | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    settle_time: float = SETTLE_TIME,
) -> ApplyReport:
    """Send every change's requests, phase by phase, and report each change's fate."""
    run = _Run(
        fail_fast=fail_fast, journal=journal, on_outcome=on_outcome, settle_time=settle_time
    )
    ordered = sorted(plan.changes, key=lambda change: change.sort_key)
    with ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="apply") as pool:
        for _, phase in groupby(ordered, key=lambda change: change.action.order):
            run.phase(pool, list(phase), providers)
    order = {id(change): index for index, change in enumerate(plan.changes)}
    run.report.outcomes.sort(key=lambda outcome: order.get(id(outcome.change), 0))
    if journal is not None:
        run.report.journal_failure = journal.failure
    return run.report


class _Run:
    """One apply's shared state: the report, the stop flag, the journal and the outcome hook."""

    def __init__(
        self,
        *,
        fail_fast: bool,
        journal: Journal | None,
        on_outcome: Callable[[Outcome], None] | None,
        settle_time: float,
    ) -> None:
        self.settle_time = settle_time
        self.report = ApplyReport()
        self.stop = threading.Event()
        self.fail_fast = fail_fast
        self.journal = journal
        self.on_outcome = on_outcome
        self._lock = threading.Lock()
        # Providers that refused a write for want of permission: their other writes would be
        # refused alike, so they are not sent.
        self.denied: set[str] = set()

    def phase(
        self, pool: ThreadPoolExecutor, phase: list[Change], providers: Mapping[str, Provider]
    ) -> None:
        """Run one phase's batches side by side; a phase ends before the next one starts."""
        if self.stop.is_set():
            self.report.not_attempted.extend(phase)
            return
        futures: dict[Future[list[Outcome]], list[Change]] = {}
        for provider_name, group in groupby(
            sorted(phase, key=lambda change: change.provider), key=lambda c: c.provider
        ):
            provider = providers.get(provider_name)
            changes = list(group)
            if provider is None:
                self.report.outcomes.extend(
                    Outcome(change=change, ok=False, message=f"provider {provider_name} not set up")
                    for change in changes
                )
                continue
            for batch in provider.batches(changes):
                futures[pool.submit(self.batch, provider, batch)] = batch
        # as_completed waits on all the phase's futures once; wait(FIRST_COMPLETED) in a loop
        # re-registers on every pending future after each completion: quadratic, and the
        # main thread's share of the GIL then slows the workers.
        for future in as_completed(futures):
            outcomes = future.result()
            self.report.outcomes.extend(outcomes)
            reached = {id(outcome.change) for outcome in outcomes}
            self.report.not_attempted.extend(
                change for change in futures[future] if id(change) not in reached
            )

    def journal_failed(self) -> bool:
        """Whether the journal stopped taking lines; the run then stops too."""
        if self.journal is None or self.journal.failure is None:
            return False
        self.stop.set()
        return True

    def batch(self, provider: Provider, batch: list[Change]) -> list[Outcome]:
        """Send one batch (on a worker thread), journal it, and pass each outcome on."""
        if self.stop.is_set() or provider.name in self.denied:
            return []
        for change in batch:
            if self.journal:
                self.journal.write("start", change)
        if self.journal_failed():
            return []  # a write its journal does not record is not made
        try:
            outcomes = provider.apply_batch(batch)
        except ReconcilerError as error:
            outcomes = [Outcome(change=change, ok=False, message=str(error)) for change in batch]
        if any(outcome.denied for outcome in outcomes):
            self.denied.add(provider.name)
        if any(outcome.lost is not None for outcome in outcomes):
            for outcome in outcomes:
                if outcome.lost is not None and self.journal:
                    self.journal.write("lost", outcome.change, message=outcome.message)
            outcomes = decide_lost(
                provider, outcomes, settle_time=self.settle_time, journal=self.journal
            )
        for outcome in outcomes:
            if self.journal:
                self.journal.write(
                    "applied" if outcome.ok else "failed",
                    outcome.change,
                    message=outcome.message,
                    created_id=outcome.remote_id,
                    adopted=outcome.adopted,
                )
            if not outcome.ok and self.fail_fast:
                self.stop.set()
            if self.on_outcome:
                with self._lock:
                    self.on_outcome(outcome)
        self.journal_failed()
        return outcomes


def decide_lost(
    provider: Provider,
    outcomes: list[Outcome],
    *,
    settle_time: float = SETTLE_TIME,
    journal: Journal | None = None,
) -> list[Outcome]:
    """The outcomes with every lost create decided from what the server holds: found (created,
    `adopted`), sent once more (created or failed by that answer), or failed with what is known.
    A create is never sent a third time."""
    decided = [outcome for outcome in outcomes if outcome.lost is None]
    lost = [outcome for outcome in outcomes if outcome.lost is not None]
    wait = max(settle_time, provider.answer_timeout + SETTLE_MARGIN)
    try:
        found = _look_for(provider, lost, wait, journal)
    except ProviderError as error:
        return decided + [_unknown(outcome, error) for outcome in lost]
    decided += [_found(outcome, found[outcome.change.address.key]) for outcome in lost
                if outcome.change.address.key in found]
    missing = [outcome for outcome in lost if outcome.change.address.key not in found]
    if not missing:
        return decided
    if journal is not None and journal.failure is not None:
        return decided + [_unrecorded(outcome) for outcome in missing]
    again = provider.create_again(missing)
    decided += [outcome for outcome in again if outcome.lost is None]
    still = [outcome for outcome in again if outcome.lost is not None]
    if not still:
        return decided
    try:
        found = _look_for(provider, still, wait, journal)
    except ProviderError as error:
        return decided + [_unknown(outcome, error) for outcome in still]
    for outcome in still:
        remote = found.get(outcome.change.address.key)
        if remote is not None:
            decided.append(_found(outcome, remote))
        else:
            message = (
                f"{outcome.message}; it was sent once more after it could not be found, that "
                f"answer was lost too, and {outcome.change.address} is not there: run "
                f"{next_steps.command('plan')} to see whether it was created"
            )
            decided.append(Outcome(change=outcome.change, ok=False, message=message))
    return decided


def _look_for(
    provider: Provider, lost: list[Outcome], settle: float, journal: Journal | None
) -> dict[str, RemoteObject]:
    """The lost creates' objects that exist, by key: looked for now (the usual case: the server
    committed, then the answer was lost), then with pauses doubling from LOOKUP_FIRST_PAUSE
    until `settle` seconds have passed, for the keys not found yet."""
    ticking = clock.current()
    deadline = ticking.monotonic() + settle
    pause = LOOKUP_FIRST_PAUSE
    keys = {outcome.change.address.key for outcome in lost}
    found: dict[str, RemoteObject] = {}
    attempt = 0
    while True:
        attempt += 1
        missing = keys - found.keys()
        found.update(provider.find_many(missing))
        if journal is not None:
            for outcome in lost:
                if outcome.change.address.key in missing:
                    journal.write("look-up", outcome.change, attempt=attempt,
                                  found=outcome.change.address.key in found)
        remaining = deadline - ticking.monotonic()
        if keys <= found.keys() or remaining <= 0:
            return found
        ticking.sleep(min(pause, remaining), why="lost-create")
        pause = min(pause * 2, LOOKUP_LONGEST_PAUSE)


def _found(outcome: Outcome, remote: RemoteObject) -> Outcome:
    log.info("%s: found %s after a lost response", remote.kind, outcome.change.address)
    return Outcome(change=outcome.change, ok=True, remote_id=remote.remote_id, adopted=True)


def _unrecorded(outcome: Outcome) -> Outcome:
    message = (
        f"{outcome.message}; {outcome.change.address} was not found, and is not sent again "
        f"because the journal cannot record it: run {next_steps.command('plan')} to see whether "
        "it was created"
    )
    return Outcome(change=outcome.change, ok=False, message=message)


def _unknown(outcome: Outcome, error: ProviderError) -> Outcome:
    message = (
        f"{outcome.message}, and looking for {outcome.change.address} failed ({error}): run "
        f"{next_steps.command('plan')} to see whether it was created"
    )
    return Outcome(change=outcome.change, ok=False, message=message)
