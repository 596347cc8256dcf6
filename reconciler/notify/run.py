"""A run's notices: what the commands record as they go, and the one message per target they
send at the end (none when nothing happened).

    notices = RunNotices("apply", state)     # the configuration's targets and scope
    notices.planned(plan)                    # duplicates found (and, for `plan`, refusals)
    notices.applied(outcomes, not_attempted) # apply-succeeded / -partial / -failed
    notices.refused([reason])                # plan-refused; a policy: trigger=POLICY_REFUSED
    notices.failed(message, refusal=...)     # the command ended on an error
    notices.drifted(report)                  # drift-detected, duplicate-found
    failures = notices.send()                # one line per target that could not be told

A target hears of a finding (drift, a duplicate) once: `send` leaves out the fingerprints its
memory holds and adds the ones it told. The `drift` command sees every finding of the scope, so
it also forgets the ones that are gone (drift undone and done again is told again); `plan` and
`apply` only add. Sending never raises: a target that is down is one line in `failures`, and
the run's result and exit code are its own.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from reconciler.config import DesiredState
from reconciler.config.notifications import NotificationTarget
from reconciler.errors import ReconcilerError
from reconciler.model import Change, Plan
from reconciler.notify import triggers
from reconciler.notify.delivery import deliver
from reconciler.notify.memory import Memory
from reconciler.notify.message import compose
from reconciler.notify.triggers import Event, Trigger
from reconciler.redaction import redact, register_secrets
from reconciler.reports import DriftReport, Outcome

logger = logging.getLogger(__name__)

REFUSALS = frozenset({Trigger.PLAN_REFUSED, Trigger.POLICY_REFUSED})
# What a run ends with: one of these at most.
OUTCOMES = REFUSALS | {Trigger.APPLY_FAILED, Trigger.APPLY_PARTIAL, Trigger.APPLY_SUCCEEDED}
# The findings a command sees whole, whose absence means they are gone.
SEEN_WHOLE = {"drift": frozenset({Trigger.DRIFT_DETECTED, Trigger.DUPLICATE_FOUND})}


class RunNotices:
    """What one run of `command` has to say, and to whom."""

    def __init__(
        self,
        command: str,
        state: DesiredState,
        *,
        environ: Mapping[str, str] = os.environ,
        memory: Path | None = None,
    ) -> None:
        self.command = command
        self.scope = state.scope.name if state.scope is not None else "default"
        # Only targets whose URL this run resolved: `--sandbox` and `validate` send nothing.
        self.targets = [target for target in state.notifications if target.url]
        self.environ = environ
        self.memory = memory
        self.events: list[Event] = []
        self.plan: Plan | None = None
        # Before anything is sent or logged: no output shows a target's URL or its tokens.
        register_secrets(secret for target in self.targets for secret in target.secrets)

    def planned(self, plan: Plan, *, refusals: Sequence[str] = ()) -> None:
        """The plan made: its duplicates, and the refusals apply would meet (`plan` says them
        in advance; `apply` raises them, and its caller reports them with `refused`)."""
        self.plan = plan
        duplicates = triggers.duplicates_in(plan)
        if duplicates is not None:
            self.events.append(duplicates)
        if refusals:
            self.refused(refusals)

    def refused(self, reasons: Sequence[str], *, trigger: Trigger = Trigger.PLAN_REFUSED) -> None:
        """Apply refuses the plan: the safety rails or the drift policy (`plan-refused`), or a
        mandatory policy (`policy-refused`, which the policy check reports through here)."""
        if any(event.trigger is trigger for event in self.events):
            return  # said by `planned`, then raised again by apply: one event
        self.events.append(triggers.refused(trigger, reasons, self.plan))

    def applied(
        self, outcomes: Sequence[Outcome], not_attempted: Sequence[Change], *, unverified: int = 0
    ) -> None:
        event = triggers.applied(outcomes, not_attempted, unverified=unverified)
        if event is not None:
            self.events.append(event)

    def failed(self, reason: str, *, refusal: bool) -> None:
        """The command ended on an error: a refused plan (`plan-refused`, unless a refusal was
        recorded already, a policy's included), or an apply that stopped before it had an
        outcome to report (`apply-failed`). Other commands' errors are not news: the run that
        matters, the apply, says them."""
        recorded = {event.trigger for event in self.events}
        if refusal:
            if not recorded & REFUSALS:
                self.refused([reason])
        elif self.command == "apply" and not recorded & OUTCOMES:
            self.events.append(triggers.stopped(reason, self.plan))

    def drifted(self, report: DriftReport) -> None:
        self.events.extend(triggers.drift_in(report))

    def send(self) -> list[str]:
        """Send each target its message; one line per target that could not be told."""
        failures = []
        for target in self.targets:
            try:
                failure = self._tell(target)
            except Exception as error:  # a library's bug must not change the run's result
                logger.debug("notifying %s raised", target.name, exc_info=True)
                failure = f"was not sent: {type(error).__name__}: {error}"
            if failure is not None:
                failures.append(redact(f'Warning: notification "{target.name}" {failure}'))
        return failures

    def _tell(self, target: NotificationTarget) -> str | None:
        """Send `target` what it has not heard yet; None when sent (or nothing to send), else
        what went wrong, to follow the target's name."""
        memory = Memory(scope=self.scope, target=target.name, directory=self.memory)
        told = memory.told()
        events = [
            narrowed
            for event in self.events
            if event.trigger.value in target.triggers
            and (narrowed := event.narrowed(told.get(event.trigger.value, frozenset())))
        ]
        after = remembered(self.command, told, present=self.events, sent=events)
        if events:
            message = compose(self.command, self.scope, events, environ=self.environ)
            failure = deliver(
                target.url or "", title=message.title, body=message.body, severity=message.severity
            )
            if failure is not None:
                return f"was not sent: {failure}"  # and not remembered: told on the next run
        if after != told:  # what was sent, and findings gone (forgotten, to be told if back)
            try:
                memory.keep(after)
            except ReconcilerError as error:
                kept = "was sent, but what it was told" if events else "findings gone"
                return f"{kept} could not be remembered: {error}"
        return None


def remembered(
    command: str,
    told: Mapping[str, frozenset[str]],
    *,
    present: Sequence[Event],
    sent: Sequence[Event],
) -> dict[str, frozenset[str]]:
    """What a target's memory holds after this run: what it was told before, without the
    findings gone from a command that sees them whole, with the findings just sent."""
    kept = {trigger: set(items) for trigger, items in told.items()}
    for trigger in SEEN_WHOLE.get(command, frozenset()):
        still = {
            item.fingerprint
            for event in present
            if event.trigger is trigger
            for item in event.findings
        }
        kept[trigger.value] = kept.get(trigger.value, set()) & still
    for event in sent:
        told_now = {item.fingerprint for item in event.findings}
        kept.setdefault(event.trigger.value, set()).update(told_now)
    return {trigger: frozenset(items) for trigger, items in kept.items() if items}
