"""When a run has something to say: the triggers, and the events a plan, an apply or a drift
report fires.

Two sorts of event. An *outcome* (an apply's result, a refusal) belongs to its run and is said
once, by that run. A *finding* (drift, a duplicate) is a standing condition of the remote state
that every later run sees again: each carries a fingerprint, and a target hears of it once
(`notify.memory` remembers what it was told).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from reconciler.model import Change, Duplicate, Plan, duplicate_key
from reconciler.render.headline import phrases, summary, verb
from reconciler.reports import DriftItem, DriftReport, Outcome

# How many object lines a message lists before it counts the rest: a chat message is read at a
# glance, and the run's log has the whole story.
MAX_DETAILS = 20


class Trigger(StrEnum):
    """What sends a message (`notifications.<target>.triggers`), from most to least urgent."""

    APPLY_FAILED = "apply-failed"
    POLICY_REFUSED = "policy-refused"
    PLAN_REFUSED = "plan-refused"
    APPLY_PARTIAL = "apply-partial"
    DRIFT_DETECTED = "drift-detected"
    DUPLICATE_FOUND = "duplicate-found"
    APPLY_SUCCEEDED = "apply-succeeded"

    @property
    def severity(self) -> str:
        """Apprise's notification type: the colour a chat service gives the message."""
        if self in (Trigger.APPLY_FAILED, Trigger.POLICY_REFUSED, Trigger.PLAN_REFUSED):
            return "failure"
        return "success" if self is Trigger.APPLY_SUCCEEDED else "warning"


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One standing condition: the object's kind, what is wrong in a word ("edited remotely"),
    a line for the message, and the fingerprint that says it was already notified."""

    kind: str
    word: str
    line: str
    fingerprint: str


@dataclass(frozen=True, kw_only=True)
class Event:
    """What one trigger says: a headline in the schedule's words and the lines below it. An
    event of findings says only what a target was not told yet (`narrowed`)."""

    trigger: Trigger
    headline: str = ""
    details: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()

    def narrowed(self, told: frozenset[str]) -> Event | None:
        """This event without the findings already told; None when nothing is left."""
        if not self.findings:
            return self
        fresh = tuple(item for item in self.findings if item.fingerprint not in told)
        if not fresh:
            return None
        counts: dict[str, Counter[str]] = {}
        for item in fresh:
            counts.setdefault(item.kind, Counter())[item.word] += 1
        headline = phrases({kind: list(words.items()) for kind, words in counts.items()})
        return Event(
            trigger=self.trigger,
            headline=headline,
            details=_capped(item.line for item in fresh),
            findings=fresh,
        )


# -- apply ---------------------------------------------------------------------------------------


def applied(
    outcomes: Sequence[Outcome], not_attempted: Sequence[Change], *, unverified: int = 0
) -> Event | None:
    """The apply's outcome: succeeded (everything planned was applied and read back), partial
    (some of it) or failed (none of it); None when nothing was planned."""
    done = [outcome.change for outcome in outcomes if outcome.ok]
    failed = [outcome for outcome in outcomes if not outcome.ok]
    if not done and not failed and not not_attempted:
        return None
    if not failed and not not_attempted and not unverified:
        trigger = Trigger.APPLY_SUCCEEDED
    else:
        trigger = Trigger.APPLY_PARTIAL if done else Trigger.APPLY_FAILED
    parts = [summary(done)] if done else []
    if failed:
        parts.append(f"failed: {summary([o.change for o in failed], planned=True)}")
    if not_attempted:
        parts.append(f"not attempted: {summary(not_attempted, planned=True)}")
    if unverified:
        parts.append(f"{unverified} unverified after the apply")
    details = [f"✗ {o.change.address}: {o.change.action.value} failed: {o.message}" for o in failed]
    details += [f"- {change.address}: not attempted" for change in not_attempted]
    details += [f"✓ {change.address}: {verb(change)}" for change in done]
    return Event(trigger=trigger, headline="; ".join(parts), details=_capped(details))


def stopped(reason: str, plan: Plan | None) -> Event:
    """An apply that stopped on an error before it could report an outcome."""
    pending = summary(plan.changes, planned=True) if plan is not None else ""
    headline = f"Apply stopped; not applied: {pending}" if pending else "Apply stopped"
    return Event(trigger=Trigger.APPLY_FAILED, headline=headline, details=(reason,))


def refused(trigger: Trigger, reasons: Sequence[str], plan: Plan | None) -> Event:
    """A plan that apply refuses (the safety rails, the drift policy, a mandatory policy)."""
    pending = summary(plan.changes, planned=True) if plan is not None else ""
    headline = f"Refused: {pending}" if pending else "Refused"
    return Event(trigger=trigger, headline=headline, details=tuple(reasons))


# -- findings ------------------------------------------------------------------------------------


def duplicates_in(plan: Plan) -> Event | None:
    """The plan's duplicates (several live objects with one key), one finding per extra."""
    findings = [
        _duplicate(duplicate, extra) for duplicate in plan.duplicates for extra in duplicate.extras
    ]
    return Event(trigger=Trigger.DUPLICATE_FOUND, findings=tuple(findings)) if findings else None


def drift_in(report: DriftReport) -> list[Event]:
    """The drift report's findings: drifted, missing and undeclared objects (drift-detected),
    and duplicates (duplicate-found). Ignored fields are not drift."""
    drift = [_drift(item) for item in report.items if item.status in DRIFT_WORDS]
    duplicates = [
        Finding(
            kind=item.address.kind,
            word="duplicated",
            line=f"{item.address}: a duplicate (id {item.remote_id})",
            fingerprint=fingerprint("duplicate", str(item.address), item.remote_id),
        )
        for item in report.items
        if item.status == "duplicate"
    ]
    events = []
    if drift:
        events.append(Event(trigger=Trigger.DRIFT_DETECTED, findings=tuple(drift)))
    if duplicates:
        events.append(Event(trigger=Trigger.DUPLICATE_FOUND, findings=tuple(duplicates)))
    return events


DRIFT_WORDS = {"drifted": "edited remotely", "missing": "missing", "undeclared": "undeclared"}


def _drift(item: DriftItem) -> Finding:
    names = ", ".join(field.name for field in item.fields)
    line = f"{item.address}: {DRIFT_WORDS[item.status]}" + (f" ({names})" if names else "")
    # The values are part of the fingerprint: the same field edited again to another value is
    # new drift, and is told.
    values = [[field.name, field.before, field.after] for field in item.fields]
    return Finding(
        kind=item.address.kind,
        word=DRIFT_WORDS[item.status],
        line=line,
        fingerprint=fingerprint("drift", str(item.address), item.status, values),
    )


def _duplicate(duplicate: Duplicate, extra: str) -> Finding:
    # The drift report names a duplicate by the same address (`duplicate_key`): one fingerprint
    # whichever command found it.
    address = f"{duplicate.address.kind}.{duplicate_key(duplicate.address.key, extra)}"
    return Finding(
        kind=duplicate.address.kind,
        word="duplicated",
        line=f"{address}: a duplicate (id {extra})",
        fingerprint=fingerprint("duplicate", address, extra),
    )


def fingerprint(*parts: Any) -> str:
    """A digest of what makes a finding this finding (never its values in the clear: the memory
    of what was told is a file on disk)."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _capped(lines: Iterable[str]) -> tuple[str, ...]:
    listed = list(lines)
    if len(listed) <= MAX_DETAILS:
        return tuple(listed)
    more = len(listed) - MAX_DETAILS
    return (*listed[:MAX_DETAILS], f"and {more} more")
