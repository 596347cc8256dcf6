"""`apply`: plan (or load a saved plan), confirm, execute, and report every outcome."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from reconciler.cli.apply_json import json_format_option, recorded
from reconciler.cli.common import (
    EXIT_ERROR,
    ON_DRIFT_HELP,
    PROGRESS,
    adopt_option,
    adopt_unscoped_option,
    base_ref_option,
    examples,
    force_option,
    handle_errors,
    journal_option,
    lock_timeout_option,
    on_drift_choice,
    policy_context,
    policy_option,
    policy_sets,
    prune_option,
    sandbox_db_option,
    sandbox_option,
    signing_key,
    strict_option,
    target,
    target_option,
    threshold_option,
    use_color,
    value_limit,
)
from reconciler.cli.notifying import notifying
from reconciler.cli.outcomes import (
    OutcomePrinter,
    print_left_out,
    print_read_back,
    print_report,
)
from reconciler.cli.shaping import Shaping, check_saved_options
from reconciler.engine import next_steps
from reconciler.engine.apply import SETTLE_TIME, Journal, apply_plan
from reconciler.engine.drift_policy import DriftPolicy
from reconciler.engine.fingerprint import configuration_fingerprint
from reconciler.engine.interrupted import settle_interrupted
from reconciler.engine.lock import accounts, apply_lock
from reconciler.engine.origins import commit_of, declared_at_ref
from reconciler.engine.plan import PlanOptions, build_plan, recheck_saved
from reconciler.engine.planfile import PLAN_KEY_VARIABLE, SavedPlan, load_plan
from reconciler.engine.prewrite import check_before_write
from reconciler.engine.readback import ReadBack, read_back
from reconciler.engine.safety import Rails, enforce
from reconciler.engine.targets import outside, parse_targets
from reconciler.errors import ReconcilerError, StalePlanError, UnsafePlanError
from reconciler.findings import Finding, refusals
from reconciler.model import Address
from reconciler.providers import Provider
from reconciler.redaction import redact, redact_secrets
from reconciler.render import render_text


@click.command(epilog=examples(
    "reconciler apply",
    "reconciler apply schedules/london --base-ref origin/main",
    "reconciler plan -o plan.json && reconciler apply plan.json",
    "reconciler apply --sandbox --auto-approve examples",
    "reconciler apply --auto-approve --format json > result.json",
))
@click.argument("path", default=Path("."), type=click.Path(exists=False, path_type=Path))
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--parallelism", type=click.IntRange(1, 64), default=8, show_default=True)
@click.option("--fail-fast", is_flag=True, help="Stop at the first failed change.")
@journal_option
@prune_option
@force_option
@threshold_option
@base_ref_option
@click.option(
    "--on-drift",
    type=on_drift_choice,
    default=None,
    help=ON_DRIFT_HELP + " A saved plan keeps the policy it was made with.",
)
@sandbox_option
@sandbox_db_option
@lock_timeout_option
@click.option(
    "--settle-time",
    type=click.FloatRange(0, 3600),
    default=SETTLE_TIME,
    show_default=True,
    help="Seconds a create whose answer was lost is looked for (with growing pauses) before it "
    "is sent again: a slow server may still commit it.",
)
@strict_option
@adopt_option
@adopt_unscoped_option
@target_option
@policy_option
@handle_errors
@json_format_option
def apply(
    path: Path,
    auto_approve: bool,
    parallelism: int,
    fail_fast: bool,
    journal: Path,
    prune: bool | None,
    force: bool,
    max_change_percent: float | None,
    base_ref: str | None,
    on_drift: str | None,
    use_sandbox: bool,
    sandbox_db: Path,
    lock_timeout: float,
    settle_time: float,
    strict: bool | None,
    adopt: bool | None,
    adopt_unscoped: bool | None,
    targets: tuple[str, ...],
    policy_folders: tuple[Path, ...],
) -> None:
    """Plan PATH and make exactly the planned calls; or apply a saved plan file (JSON)."""
    addresses = parse_targets(targets)
    record = recorded()  # what `--format json` reports
    saved: SavedPlan | None = None
    if path.is_file() and path.suffix == ".json":
        # Before the configuration is read: a badly signed file goes no further.
        key = signing_key()
        saved = load_plan(path, key=key)
        if saved.signed and key is None:
            click.echo(
                f"Note: {path} is signed, but {PLAN_KEY_VARIABLE} is not set: its signature "
                "is not checked",
                err=True,
            )
        check_saved_options(
            saved,
            on_drift=on_drift,
            switches={"prune": prune, "adopt": adopt, "adopt-unscoped": adopt_unscoped,
                      "strict": strict},
        )
        _check_saved_base(saved, base_ref=base_ref)
        if addresses and (stray := outside(saved.plan, addresses)):
            raise ReconcilerError(
                f"{path} changes {', '.join(stray[:5])}{', ...' if len(stray) > 5 else ''}, "
                "which --target does not name; make the plan with the same --target"
            )
        config_path = saved.config_path
        use_sandbox = use_sandbox or saved.sandbox
        # Next steps plan afresh: from the configuration, with the options the plan was made with.
        next_steps.update(path=config_path, options=saved_options(saved))
    else:
        config_path = path
    with (
        target(config_path, use_sandbox=use_sandbox, sandbox_db=sandbox_db) as (state, providers),
        # One apply per scope and account on this machine, from the refresh to the last write.
        apply_lock(
            state.scope.name if state.scope else "default",
            written=accounts(providers, sandbox_db=sandbox_db if use_sandbox else None),
            wait=lock_timeout,
            on_wait=announce_wait,
        ),
        notifying("apply", state) as notices,
    ):
        # Creates an interrupted apply left in flight may still land: plan once they have.
        create_timeout = max(provider.answer_timeout for provider in providers.values()) if (
            providers) else 0.0
        settle_interrupted(journal, window=create_timeout + settle_time,
                           on_wait=announce_interrupted(journal))
        shaping = Shaping.of(state.defaults, prune=prune, adopt=adopt,
                             adopt_unscoped=adopt_unscoped, strict=strict, on_drift=on_drift,
                             max_change_percent=max_change_percent)
        rails = Rails(force=force, threshold_percent=shaping.max_change_percent)
        # The configuration's policies, the saved plan's and this command's: judged again on
        # what will be sent, whatever the saved file says it found.
        policies = policy_sets(
            state, saved.policies if saved is not None else (), map(str, policy_folders)
        )
        if saved is not None:
            result = recheck_saved(
                saved,
                state,
                providers,
                fingerprint=configuration_fingerprint(state, providers, sandbox=use_sandbox),
                rails=rails,
                read_base=_base_reader(saved, providers),
                policies=policies,
                policy_context=policy_context(state, base_ref=base_ref),
            )
        else:
            base_commit = commit_of(path, base_ref) if base_ref else None
            protected_at_base: set[Address] = set()
            base_declared = (
                declared_at_ref(path, base_commit, providers, protected=protected_at_base)
                if base_commit else None
            )
            options = PlanOptions(
                prune=shaping.prune,
                adopt=shaping.adopt,
                adopt_unscoped=shaping.adopt_unscoped,
                strict=shaping.strict,
                rails=replace(rails, base_protected=frozenset(protected_at_base)),
                on_drift=shaping.on_drift,
                base_declared=base_declared,
                targets=addresses,
                policies=policies,
                policy_context=policy_context(state, base_ref=base_ref),
                windows=state.windows,
            )
            result = build_plan(state, providers, options)
        the_plan, violations = result.plan, list(result.violations)
        record.plan = the_plan
        notices.planned(the_plan)
        PROGRESS.finish()
        click.echo(
            redact_secrets(render_text(the_plan, color=use_color(), max_value=value_limit())),
            nl=False,
        )
        refuse_by_policy(refusals(the_plan.findings))
        enforce(violations, force=force)
        if result.drift_refusal is not None:
            raise UnsafePlanError(f"refusing to apply: {result.drift_refusal}")
        if not the_plan.has_changes:
            return
        # Before the question and the first request: a journal that cannot be kept (a link, a
        # folder that is a file, no permission) is refused while nothing has been sent.
        written = Journal(journal)
        if not auto_approve:
            if not sys.stdin.isatty():
                raise ReconcilerError(
                    "apply needs --auto-approve when it cannot ask for confirmation (no terminal)"
                )
            if not click.confirm("\nApply these changes?", default=False):
                click.echo("Apply cancelled; nothing was changed.")
                raise SystemExit(EXIT_ERROR)
        click.echo("")
        # Right before the first write: what moved since the plan was read is not overwritten.
        policy = saved.on_drift if saved is not None else shaping.on_drift
        checked_first = check_before_write(the_plan, result.refreshed, policy=policy)
        record.left_out = checked_first.left_out
        print_left_out(checked_first.left_out)
        if checked_first.refusal is not None:
            raise StalePlanError(f"refusing to apply: {checked_first.refusal}")
        the_plan = checked_first.plan
        if not the_plan.has_changes:
            click.echo("Nothing left to apply; nothing was changed.")
            return
        report = apply_plan(
            the_plan,
            providers,
            parallelism=parallelism,
            fail_fast=fail_fast,
            journal=written,
            on_outcome=OutcomePrinter(total=len(the_plan.changes)),
            settle_time=settle_time,
        )
        record.report = report
        PROGRESS.finish()
        # Inside the lock: no other apply of the scope writes while this one reads back. Not
        # after a journal failure: the read-back may write (a duplicate's removal).
        checked = read_back(
            state,
            providers,
            report,
            adopt_unscoped=saved.adopt_unscoped if saved is not None else shaping.adopt_unscoped,
            journal=written,
        ) if report.journal_failure is None else ReadBack()
        record.read_back = checked
        notices.applied(report.outcomes, report.not_attempted, unverified=len(checked.unverified))
    print_report(report)
    print_read_back(checked)
    if report.journal_failure is not None:
        raise ReconcilerError(
            f"the apply stopped before its next write, as its journal could not be written: "
            f"{report.journal_failure}"
        )
    if not report.ok or not checked.ok:
        raise SystemExit(EXIT_ERROR)


def announce_interrupted(journal: Path) -> Callable[[int, float], None]:
    def announce(count: int, seconds: float) -> None:
        click.echo(
            f"Waiting {seconds:.0f} s before planning: {count} create{'s' if count != 1 else ''} "
            f"of an interrupted apply ({journal} shows no outcome) may still land",
            err=True,
        )

    return announce


def refuse_by_policy(mandatory: tuple[Finding, ...]) -> None:
    """A mandatory policy finding stops apply before any write; nothing overrides it."""
    if mandatory:
        shown = "; ".join(str(finding) for finding in mandatory[:5])
        more = f" (and {len(mandatory) - 5} more)" if len(mandatory) > 5 else ""
        raise UnsafePlanError(
            f"refusing to apply: {shown}{more}. Mandatory policies are not overridden by "
            "--force: change the configuration or the policy"
        )


def announce_wait(path: Path) -> None:
    click.echo(
        f"Waiting for another apply of this scope to finish (it holds {path})...", err=True
    )


def saved_options(saved: SavedPlan) -> list[tuple[str, str | None]]:
    """The options a saved plan was made with, as a command line gives them."""
    switches = {"--sandbox": saved.sandbox, "--prune": saved.prune, "--adopt": saved.adopt,
                "--adopt-unscoped": saved.adopt_unscoped, "--strict": saved.strict}
    options: list[tuple[str, str | None]] = [(flag, None) for flag, on in switches.items() if on]
    if saved.on_drift is not DriftPolicy.REVERT:
        options.append(("--on-drift", saved.on_drift.value))
    if saved.base_commit is not None:
        options.append(("--base-ref", saved.base_commit))
    return options


def _check_saved_base(saved: SavedPlan, *, base_ref: str | None) -> None:
    """A --base-ref given to apply must name the commit the saved plan was labelled against."""
    if base_ref is not None and (
        saved.base_commit is None or commit_of(saved.config_path, base_ref) != saved.base_commit
    ):
        made = f"base commit {saved.base_commit}" if saved.base_commit else "no --base-ref"
        raise ReconcilerError(
            f"{saved.path} was made with {made}, not --base-ref {base_ref}; make the plan "
            f"again with --base-ref {base_ref}"
        )


def _base_reader(
    saved: SavedPlan, providers: Mapping[str, Provider]
) -> Callable[[str], Mapping[Address, Mapping[str, Any]] | None]:
    """Reads the declared state at the plan's base commit; for `revert`, whose labels only
    annotate the output, a commit that cannot be read leaves the changes unlabelled."""

    def read(commit: str) -> Mapping[Address, Mapping[str, Any]] | None:
        try:
            return declared_at_ref(saved.config_path, commit, providers)
        except ReconcilerError as error:
            if saved.on_drift is not DriftPolicy.REVERT:
                raise
            click.echo(redact(f"Note: {error}; reverted fields are not labelled as drift"),
                       err=True)
            return None

    return read
