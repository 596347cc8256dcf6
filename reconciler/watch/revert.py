"""`--on-drift revert`: drifted objects put back by the engine's own plan and apply.

The steps are `reconciler apply`'s, in its order and with its parts: the scope's apply lock (so
an `apply` run by hand and `watch` never write at once), the wait for creates an interrupted
apply left in flight, `build_plan` restricted to the drifted objects (`--target`), the safety
rails and mandatory policies (a refusal is reported, never forced), the check right before the
first write, `apply_plan` with the journal, and the read-back. Nothing here builds a request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from reconciler import clock
from reconciler.config import DesiredState
from reconciler.engine.apply import SETTLE_TIME, Journal, apply_plan
from reconciler.engine.drift_policy import DriftPolicy
from reconciler.engine.interrupted import settle_interrupted
from reconciler.engine.lock import accounts, apply_lock
from reconciler.engine.plan import PlanOptions, build_plan
from reconciler.engine.prewrite import check_before_write
from reconciler.engine.readback import ReadBack, read_back
from reconciler.findings import refusals
from reconciler.model import Address
from reconciler.providers.base import Provider
from reconciler.reports import Outcome


@dataclass(frozen=True, kw_only=True)
class ApplySettings:
    """What `apply`'s options would say for the writes `watch` makes."""

    journal: Path
    lock_timeout: float = 60.0
    settle_time: float = SETTLE_TIME
    parallelism: int = 8


@dataclass(frozen=True, kw_only=True)
class Reverted:
    """How a revert went: the changes applied and failed, or why nothing was sent."""

    applied: tuple[Outcome, ...] = ()
    failed: tuple[Outcome, ...] = ()
    refused: str | None = None
    unverified: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.refused is None and not self.failed and not self.unverified


def revert(
    state: DesiredState,
    providers: Mapping[str, Provider],
    addresses: Sequence[Address],
    *,
    options: PlanOptions,
    settings: ApplySettings,
    on_wait: Callable[[str], None] | None = None,
) -> Reverted:
    """Plan the declared state of `addresses` and apply it as `reconciler apply` would."""
    scope = state.scope.name if state.scope else "default"
    with apply_lock(
        scope,
        written=accounts(providers),
        wait=settings.lock_timeout,
        on_wait=(lambda path: on_wait(f"waiting for the apply lock {path}")) if on_wait else None,
    ):
        answer = max((provider.answer_timeout for provider in providers.values()), default=0.0)
        settle_interrupted(settings.journal, window=answer + settings.settle_time)
        context = options.policy_context
        result = build_plan(
            state,
            providers,
            replace(
                options,
                targets=tuple(sorted(set(addresses))),
                on_drift=DriftPolicy.REVERT,
                # Change windows and policies judge the moment of the write, not of the start.
                policy_context=replace(context, now=clock.current().utcnow()) if context else None,
            ),
        )
        the_plan = result.plan
        mandatory = refusals(the_plan.findings)
        if mandatory:
            return Reverted(refused="; ".join(str(finding) for finding in mandatory[:5]))
        if result.violations:
            # The rails `apply` would stop at without --force: a person decides.
            return Reverted(refused="; ".join(result.violations))
        if not the_plan.has_changes:
            return Reverted(notes=("nothing to put back: the objects are as declared",))
        journal = Journal(settings.journal)
        checked_first = check_before_write(the_plan, result.refreshed, policy=DriftPolicy.REVERT)
        if checked_first.refusal is not None:
            return Reverted(refused=checked_first.refusal)
        if not checked_first.plan.has_changes:
            return Reverted(notes=("nothing left to put back",))
        report = apply_plan(
            checked_first.plan,
            providers,
            parallelism=settings.parallelism,
            journal=journal,
            settle_time=settings.settle_time,
        )
        checked = (
            read_back(
                state, providers, report, adopt_unscoped=options.adopt_unscoped, journal=journal
            )
            if report.journal_failure is None
            else ReadBack()
        )
    notes = [str(report.journal_failure)] if report.journal_failure is not None else []
    notes += [f"{change.address}: not attempted" for change in report.not_attempted]
    return Reverted(
        applied=tuple(report.applied),
        failed=tuple(report.failed),
        unverified=len(checked.unverified),
        notes=tuple(notes),
    )
