"""`apply`: plan (or load a saved plan), confirm, execute, and report every outcome."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler.cli.common import (
    EXIT_ERROR,
    PROGRESS,
    adopt_option,
    force_option,
    handle_errors,
    prune_option,
    sandbox_db_option,
    sandbox_option,
    strict_option,
    target,
    target_option,
    threshold_option,
    use_color,
    value_limit,
)
from reconciler.engine.apply import ApplyReport, Journal, apply_plan
from reconciler.engine.plan import PlanOptions, build_plan, recheck_saved
from reconciler.engine.planfile import load_plan
from reconciler.engine.safety import Rails, enforce
from reconciler.engine.targets import outside, parse_targets
from reconciler.errors import ReconcilerError
from reconciler.model import Action
from reconciler.providers import Outcome
from reconciler.render import render_text
from reconciler.render.safe import visible


@click.command()
@click.argument("path", type=click.Path(exists=False, path_type=Path))
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--parallelism", type=click.IntRange(1, 64), default=8, show_default=True)
@click.option("--fail-fast", is_flag=True, help="Stop at the first failed change.")
@click.option(
    "--journal",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(".reconciler") / "journal.jsonl",
    show_default=True,
    help="Where each write is recorded.",
)
@prune_option
@force_option
@threshold_option
@sandbox_option
@sandbox_db_option
@strict_option
@adopt_option
@target_option
@handle_errors
def apply(
    path: Path,
    auto_approve: bool,
    parallelism: int,
    fail_fast: bool,
    journal: Path,
    prune: bool,
    force: bool,
    max_change_percent: float,
    use_sandbox: bool,
    sandbox_db: Path,
    strict: bool,
    adopt: bool,
    targets: tuple[str, ...],
) -> None:
    """Plan PATH and make exactly the planned calls; or apply a saved plan file (JSON)."""
    addresses = parse_targets(targets)
    saved = path.is_file() and path.suffix == ".json"
    if saved:
        the_plan, source = load_plan(path)
        if addresses and (stray := outside(the_plan, addresses)):
            raise ReconcilerError(
                f"{path} changes {', '.join(stray[:5])}{', ...' if len(stray) > 5 else ''}, "
                "which --target does not name; make the plan with the same --target"
            )
        config_path = Path(str(source.get("path", "")))
        use_sandbox = use_sandbox or bool(source.get("sandbox"))
    else:
        config_path = path
    with target(config_path, use_sandbox=use_sandbox, sandbox_db=sandbox_db) as (
        state,
        providers,
    ):
        rails = Rails(force=force, threshold_percent=max_change_percent)
        if saved:
            result = recheck_saved(the_plan, state, providers, rails=rails, path=path)
        else:
            options = PlanOptions(
                prune=prune, adopt=adopt, strict=strict, rails=rails, targets=addresses
            )
            result = build_plan(state, providers, options)
        the_plan, violations = result.plan, list(result.violations)
        PROGRESS.finish()
        click.echo(render_text(the_plan, color=use_color(), max_value=value_limit()), nl=False)
        enforce(violations, force=force)
        if not the_plan.has_changes:
            return
        if not auto_approve:
            if not sys.stdin.isatty():
                raise ReconcilerError(
                    "apply needs --auto-approve when it cannot ask for confirmation (no terminal)"
                )
            if not click.confirm("\nApply these changes?", default=False):
                click.echo("Apply cancelled; nothing was changed.")
                raise SystemExit(EXIT_ERROR)
        click.echo("")
        report = apply_plan(
            the_plan,
            providers,
            parallelism=parallelism,
            fail_fast=fail_fast,
            journal=Journal(journal),
            on_outcome=OutcomePrinter(total=len(the_plan.changes)),
        )
    PROGRESS.finish()
    print_report(report)
    if not report.ok:
        raise SystemExit(EXIT_ERROR)


PAST = {
    Action.CREATE: "created",
    Action.UPDATE: "updated",
    Action.REPLACE: "replaced",
    Action.CANCEL: "canceled",
    Action.DELETE: "deleted",
}


class OutcomePrinter:
    """Prints each outcome as it lands, with the progress line below it on a terminal."""

    def __init__(self, *, total: int) -> None:
        self.total = total
        self.done = 0

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
        click.echo(f"  ✓ {change.address}: {PAST[change.action]}{ident}{adopted}")
    else:
        failed = f"  ✗ {change.address}: {change.action.value} failed: {outcome.message}"
        click.echo(visible(failed))


def print_report(report: ApplyReport) -> None:
    click.echo("")
    click.echo(
        f"Apply complete: {len(report.applied)} applied, {len(report.failed)} failed, "
        f"{len(report.not_attempted)} not attempted."
    )
    if report.failed or report.not_attempted:
        click.echo("")
        click.echo(f"  {'object':<40} {'action':<8} result")
        for outcome in report.outcomes:
            result = "applied" if outcome.ok else f"failed: {outcome.message}"
            change = outcome.change
            click.echo(visible(f"  {change.address!s:<40} {change.action.value:<8} {result}"))
        for change in report.not_attempted:
            click.echo(f"  {change.address!s:<40} {change.action.value:<8} not attempted")
        click.echo("")
        click.echo("Run `reconciler apply` again to converge once the cause is fixed.")
