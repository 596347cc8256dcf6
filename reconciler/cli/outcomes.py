"""What `apply` prints of what it did: each outcome as it lands, what the check before the
first write left out, what reading back the writes found, and the final table."""

from __future__ import annotations

from collections.abc import Sequence

import click

from reconciler.cli.common import PROGRESS
from reconciler.engine import next_steps
from reconciler.engine.apply import ApplyReport
from reconciler.engine.readback import ReadBack
from reconciler.model import Action, Skipped
from reconciler.redaction import redact
from reconciler.render.safe import visible
from reconciler.reports import Outcome

PAST = {
    Action.CREATE: "created",
    Action.UPDATE: "updated",
    Action.REPLACE: "replaced",
    Action.CANCEL: "cancelled",
    Action.DELETE: "deleted",
}


class OutcomePrinter:
    """Prints each outcome as it lands, with progress on stderr (see `cli.progress`)."""

    def __init__(self, *, total: int) -> None:
        self.total = total
        self.done = 0
        PROGRESS.applying()  # made right before the first request

    def __call__(self, outcome: Outcome) -> None:
        self.done += 1
        PROGRESS.finish()
        print_outcome(outcome)
        PROGRESS.applied(self.done, self.total, outcome)


def print_outcome(outcome: Outcome) -> None:
    change = outcome.change
    if outcome.ok:
        ident = f" (id {outcome.remote_id})" if outcome.remote_id else ""
        adopted = " (found after a lost response)" if outcome.adopted else ""
        # With a base ref: say which reverted fields were edits made outside git.
        drift = f"; reverted remote edits to {', '.join(change.drift_fields)}" if (
            change.drift_fields
        ) else ""
        click.echo(visible(f"  ✓ {change.address}: {PAST[change.action]}{ident}{adopted}{drift}"))
    else:
        # The message may repeat a server's answer, and some repeat the request's credentials.
        failed = (f"  ✗ {change.address}: {change.action.value} failed: "
                  f"{redact(outcome.message)}")
        click.echo(visible(failed))


def print_left_out(left_out: Sequence[Skipped]) -> None:
    """The changes the check before the first write left out, and why."""
    for skipped in left_out:
        click.echo(visible(f"  - {skipped.address}: not sent: {skipped.reason}"))


def print_read_back(checked: ReadBack) -> None:
    """What reading back the writes found, when there was anything to say."""
    for outcome in checked.removed:
        extra = outcome.change
        if outcome.ok:
            click.echo(visible(f"  ✓ {extra.address}: a duplicate made by a lost response was "
                               f"removed ({PAST[extra.action]} without notification)"))
        else:
            click.echo(visible(f"  ✗ {extra.address}: removing a duplicate this run made "
                               f"failed: {outcome.message}"))
    for item in checked.unverified:
        click.echo(visible(f"  ? {item.change.address}: unverified: {item.reason}"))
    if checked.verified or checked.unverified or checked.removed:
        removed = sum(1 for outcome in checked.removed if outcome.ok)
        click.echo(
            f"Read back: {len(checked.verified)} verified, {len(checked.unverified)} "
            f"unverified, {removed} duplicate{'s' if removed != 1 else ''} removed."
        )
    if not checked.ok:
        click.echo(f"Run {next_steps.command('plan')} to see what the remote state holds now.")


def print_report(report: ApplyReport) -> None:
    click.echo("")
    click.echo(
        f"Apply complete: {len(report.applied)} applied, {len(report.failed)} failed, "
        f"{len(report.not_attempted)} not attempted."
    )
    # A journal that failed leaves the table as the only whole record of the run.
    if not report.ok:
        click.echo("")
        click.echo(f"  {'object':<40} {'action':<8} result")
        for outcome in report.outcomes:
            result = "applied" if outcome.ok else f"failed: {redact(outcome.message)}"
            change = outcome.change
            click.echo(visible(f"  {change.address!s:<40} {change.action.value:<8} {result}"))
        for change in report.not_attempted:
            click.echo(f"  {change.address!s:<40} {change.action.value:<8} not attempted")
        click.echo("")
        click.echo(f"Run {next_steps.command('apply')} again to converge once the cause is fixed.")
