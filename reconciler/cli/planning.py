"""`validate`, `plan` and `drift`: read the configuration and the remote state, and report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from reconciler.cli.common import (
    EXIT_CHANGES,
    ON_DRIFT_HELP,
    adopt_option,
    adopt_unscoped_option,
    announce_pinned_clock,
    base_ref_option,
    examples,
    format_option,
    handle_errors,
    on_drift_choice,
    plan_format_option,
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
from reconciler.cli.shaping import Shaping
from reconciler.config import DesiredState
from reconciler.engine import next_steps
from reconciler.engine.directions import GitRecord, read_record, with_directions
from reconciler.engine.drift import detect_drift
from reconciler.engine.fingerprint import configuration_fingerprint
from reconciler.engine.origins import commit_of, declared_at_ref
from reconciler.engine.plan import PlanOptions, PlanResult, build_plan
from reconciler.engine.planfile import save_plan
from reconciler.engine.refresh import Refreshed, refresh_all
from reconciler.engine.safety import Rails
from reconciler.engine.targets import parse_targets
from reconciler.instants import now, pinned_clock_allowed
from reconciler.local_files import write_text
from reconciler.model import Address, DesiredObject, Plan, RemoteObject
from reconciler.redaction import redact_json, redact_secrets
from reconciler.render import plan_document, render_markdown, render_text
from reconciler.render.drift import drift_document, render_drift_markdown, render_drift_text
from reconciler.render.json import audited
from reconciler.render.safe import visible
from reconciler.reports import Direction, DriftReport


@click.command(epilog=examples(
    "reconciler validate",
    "reconciler validate schedules/*.yaml --format json",
))
@click.argument("paths", nargs=-1, type=click.Path(exists=False, path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.option(
    "--sandbox",
    "use_sandbox",
    is_flag=True,
    help="Check as `plan --sandbox` would: the sandbox supplies any provider left out.",
)
@handle_errors
def validate(paths: tuple[Path, ...], output_format: str, use_sandbox: bool) -> None:
    """Check the YAML at each PATH (a file or a directory) without contacting any API.

    Every check `plan` makes that needs no network runs here too (providers configured for each
    declared kind, base URLs, recurrence, value ranges), so a valid configuration is one `plan`
    accepts; only the environment's secrets and the remote state are left to `plan`. Each PATH
    is checked as a configuration of its own (pre-commit passes the changed files); the exit
    code is 1 when any of them has a problem.
    """
    from reconciler.cli.validating import check_path, report

    # validate contacts no API and writes nothing, so a pinned clock cannot move a real account.
    with pinned_clock_allowed("validate"):
        announce_pinned_clock()
        checks = [check_path(path, providers_required=not use_sandbox)
                  for path in paths or (Path("."),)]  # no PATH: this folder, as plan's
    report(checks, output_format)


@click.command(epilog=examples(
    "reconciler plan",
    "reconciler plan schedules/london --target events.winter-gala",
    "reconciler plan --format markdown --base-ref origin/main",
    "reconciler plan --sandbox examples",
))
@click.argument("path", default=Path("."), type=click.Path(exists=False, path_type=Path))
@plan_format_option
@click.option(
    "-o", "--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan (JSON)."
)
@click.option(
    "--calendar",
    "calendar_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also save the schedule as it will be after the apply as iCalendar (`--format ics`).",
)
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes (0 none, 1 error)."
)
@prune_option
@threshold_option
@base_ref_option
@click.option("--on-drift", type=on_drift_choice, default=None, help=ON_DRIFT_HELP)
@sandbox_option
@sandbox_db_option
@strict_option
@adopt_option
@adopt_unscoped_option
@target_option
@policy_option
@handle_errors
def plan(
    path: Path,
    output_format: str,
    out: Path | None,
    calendar_out: Path | None,
    detailed_exitcode: bool,
    prune: bool | None,
    max_change_percent: float | None,
    base_ref: str | None,
    on_drift: str | None,
    use_sandbox: bool,
    sandbox_db: Path,
    strict: bool | None,
    adopt: bool | None,
    adopt_unscoped: bool | None,
    targets: tuple[str, ...],
    policy_folders: tuple[Path, ...],
) -> None:
    """Show the minimal calls that bring the remote schedule to the state declared in PATH."""
    addresses = parse_targets(targets)
    key = signing_key()
    with target(path, use_sandbox=use_sandbox, sandbox_db=sandbox_db) as (state, providers):
        shaping = Shaping.of(state.defaults, prune=prune, adopt=adopt,
                             adopt_unscoped=adopt_unscoped, strict=strict, on_drift=on_drift,
                             max_change_percent=max_change_percent)
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
            rails=Rails(threshold_percent=shaping.max_change_percent,
                        base_protected=frozenset(protected_at_base)),
            on_drift=shaping.on_drift,
            base_declared=base_declared,
            targets=addresses,
            policies=policy_sets(state, map(str, policy_folders)),
            policy_context=policy_context(state, base_ref=base_ref),
            windows=state.windows,
        )
        result = build_plan(state, providers, options)
        fingerprint = configuration_fingerprint(state, providers, sandbox=use_sandbox)
        wanted = output_format == "ics" or calendar_out is not None
        calendar = schedule_calendar(result, state) if wanted else None
    refusals = [*result.violations, *([result.drift_refusal] if result.drift_refusal else [])]
    the_plan = replace(
        result.plan,
        warnings=(*result.plan.warnings, *(f"apply will refuse: {v}" for v in refusals)),
    )
    source = {
        "path": str(path),
        "sandbox": use_sandbox,
        # In effect: each flag given, else the configuration's `defaults:`.
        **shaping.source(),
        "base_ref": base_ref,
        "base_commit": base_commit,
        # Folders named on the command line: `apply plan.json` judges the plan by them again
        # (the configuration's own `policies:` are read from the configuration).
        "policies": [str(folder) for folder in policy_folders],
    }
    if out is not None:
        save_plan(the_plan, out, source=source, fingerprint=fingerprint, key=key)
    if calendar_out is not None and calendar is not None:
        write_text(calendar_out, calendar, what="the calendar", fix="choose another --calendar")
    if output_format == "ics" and calendar is not None:
        click.echo(calendar, nl=False)
    else:
        emit(the_plan, output_format, source, review_zones=state.review.timezones)
    with notifying("plan", state) as notices:
        notices.planned(the_plan, refusals=refusals)
    if out is not None and output_format == "text":
        signed = " (signed)" if key is not None else ""
        # The saved plan records its base commit: a --base-ref that moved since would refuse it.
        applying = next_steps.command("apply", path=out, without={"--base-ref"})
        click.echo(f"Saved the plan to {out}{signed}; apply it with {applying}.")
    if detailed_exitcode and the_plan.has_changes:
        raise SystemExit(EXIT_CHANGES)


def schedule_calendar(result: PlanResult, state: DesiredState) -> str:
    """The iCalendar file of the schedule as the plan leaves it (`--format ics`)."""
    from reconciler.render.ics import Schedule, render_ics  # icalendar: only for this format

    declared: dict[Address, DesiredObject] = {}
    current: dict[Address, RemoteObject] = {}
    for side in result.refreshed.values():
        kind = side.provider.kind
        declared.update((Address(kind, key), obj) for key, obj in side.desired.items())
        # A duplicate's extras by the `key#id` address its removal is planned under.
        for found in (side.current, side.extras):
            current.update((Address(kind, key), obj) for key, obj in found.items())
    scope = result.plan.scope.name if result.plan.scope else state.scope.name if state.scope else ""
    schedule = Schedule(
        scope=scope or "default", declared=declared, current=current, series=state.series
    )
    return render_ics(result.plan, schedule, stamp=now())


def emit(
    the_plan: Plan,
    output_format: str,
    source: dict[str, Any],
    *,
    review_zones: Sequence[str] = (),
) -> None:
    # Remote values are shown as the server sent them: none may show a credential of the run.
    # Only the registered secrets are masked, since a header-like shape in a title is the user's.
    if output_format == "json":
        document = audited(plan_document(the_plan, source=source))
        click.echo(redact_json(document, shapes=False, indent=2))
    elif output_format == "markdown":
        click.echo(redact_secrets(render_markdown(the_plan, review_zones=review_zones)), nl=False)
    elif output_format == "html":
        from reconciler.render.html import render_html  # only this format needs the page

        click.echo(redact_secrets(render_html(the_plan, review_zones=review_zones)), nl=False)
    else:
        text = render_text(the_plan, color=use_color(), max_value=value_limit())
        click.echo(redact_secrets(text), nl=False)


@click.command(epilog=examples(
    "reconciler drift",
    "reconciler drift --base-ref origin/main",
    "reconciler drift --write",
))
@click.argument("path", default=Path("."), type=click.Path(exists=False, path_type=Path))
@format_option
@click.option(
    "-o", "--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the report (JSON)."
)
@click.option(
    "--write",
    is_flag=True,
    help="Rewrite the YAML so fields changed remotely match the remote (never a field edited "
    "in git and not applied yet).",
)
@click.option(
    "--force",
    is_flag=True,
    help="With --write: write into files with uncommitted changes too, and fields git cannot "
    "judge.",
)
@click.option(
    "--base-ref",
    metavar="REF",
    help="Also compare with the YAML at REF (the commit last applied): a field changed since "
    "is edited in git, not applied yet.",
)
@sandbox_option
@sandbox_db_option
@handle_errors
def drift(
    path: Path,
    output_format: str,
    out: Path | None,
    write: bool,
    force: bool,
    base_ref: str | None,
    use_sandbox: bool,
    sandbox_db: Path,
) -> None:
    """Report where the remote differs from PATH, and which side moved (exit 0 in sync, 2 drift,
    1 error): each drifted field is compared with the YAML at HEAD (and at --base-ref)."""
    with target(path, use_sandbox=use_sandbox, sandbox_db=sandbox_db) as (state, providers):
        base_commit = commit_of(path, base_ref) if base_ref else None  # a bad ref: before a request
        refreshed = refresh_all(state, providers)
        report = detect_drift(refreshed)
        # git is asked only when something drifted: which side moved is all it can tell.
        record = read_record(path, providers, base_ref=base_commit) if (
            report.count("drifted")) else None
        if record is not None:
            report = with_directions(report, refreshed, record)
    with notifying("drift", state) as notices:
        notices.drifted(report)
    source = {"path": str(path), "sandbox": use_sandbox, "base_ref": base_ref,
              "base_commit": base_commit}
    # As a plan's: remote values as sent, without a credential of the run.
    document = redact_json(drift_document(report, source=source), shapes=False, indent=2)
    if out is not None:
        write_text(out, document + "\n", what="the drift report", fix="choose another -o")
    if output_format == "json":
        click.echo(document)
    elif output_format == "markdown":
        click.echo(redact_secrets(render_drift_markdown(report)), nl=False)
    else:
        click.echo(redact_secrets(render_drift_text(report, max_value=value_limit())), nl=False)
    if write and record is not None:
        write_back(report, refreshed, record, root=path, force=force)
    if not report.in_sync:
        raise SystemExit(EXIT_CHANGES)


def write_back(
    report: DriftReport,
    refreshed: Mapping[str, Refreshed],
    record: GitRecord,
    *,
    root: Path,
    force: bool,
) -> None:
    """`drift --write`: the remote values into the YAML, and what was left, said on stderr."""
    from reconciler.engine.writeback import write_remote_values  # ruamel.yaml: only for --write

    written = write_remote_values(report, refreshed, root=root, record=record, force=force)
    for path_written in written.files:
        click.echo(visible(f"Wrote remote values into {path_written}"), err=True)
    for note in written.notes:
        click.echo(visible(f"Note: {note}"), err=True)
    for reason in written.skipped:
        click.echo(visible(f"Not written: {reason}"), err=True)
    for field in written.left:
        click.echo(visible(f"Left as declared: {field}"), err=True)
    if any(item.status == "drifted" and Direction.GIT in item.moved() for item in report.items):
        click.echo(
            f"What is edited in git is never overwritten: {next_steps.command('apply')} sends it.",
            err=True,
        )
    for occurrence in written.occurrences:
        click.echo(
            f"Not written: {occurrence} is an occurrence of a recurring series; add an "
            "override for its date to keep the remote values",
            err=True,
        )
