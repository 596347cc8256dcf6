"""The `reconciler` command: click commands that parse options, call the engine, choose exit codes.

Exit codes (as Terraform and `kubectl diff`): 0 success; 1 error; with `plan
--detailed-exitcode`, 2 when changes exist; `drift` 0 in sync, 2 drift, 1 error; `apply` 0 when
everything planned was applied, 1 otherwise.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from reconciler import __version__
from reconciler.adopt import write_remote_values
from reconciler.apply import ApplyReport, Journal, apply_plan
from reconciler.checks import checked_plan
from reconciler.cli.progress import Progress
from reconciler.config import DesiredState, ProviderSettings, load
from reconciler.drift import detect_drift, label_origins
from reconciler.errors import ConfigError, ReconcilerError
from reconciler.gitref import declared_at_ref
from reconciler.http import RetryPolicy
from reconciler.importer import import_objects, parse_filters, plan_adoptions
from reconciler.model import Action, Plan
from reconciler.plan import check_fresh, load_plan, plan_changes, refresh_all, save_plan
from reconciler.providers import Outcome, Provider, build_providers
from reconciler.render import plan_document, render_markdown, render_text
from reconciler.render.drift import drift_document, render_drift_markdown, render_drift_text
from reconciler.safety import Rails, enforce, guard

P = ParamSpec("P")
R = TypeVar("R")

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def handle_errors(command: Callable[P, R]) -> Callable[P, R]:
    """One error handler: known errors print `Error: ...` (exit 1); others hide the traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        debug = bool(click.get_current_context().find_root().params.get("debug"))
        try:
            return command(*args, **kwargs)
        except ConfigError as error:
            for issue in error.issues:
                click.echo(str(issue), err=True)
            plural = "s" if len(error.issues) != 1 else ""
            count = len(error.issues)
            click.echo(f"Error: the configuration has {count} problem{plural}", err=True)
            raise SystemExit(EXIT_ERROR) from None
        except ReconcilerError as error:
            if debug:
                raise
            click.echo(f"Error: {error}", err=True)
            raise SystemExit(EXIT_ERROR) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            raise SystemExit(130) from None
        except Exception as error:
            if debug:
                raise
            click.echo(
                f"Error: internal error ({type(error).__name__}); run again with --debug for "
                "the traceback and report it",
                err=True,
            )
            raise SystemExit(EXIT_ERROR) from None

    return wrapper


def use_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reconciler")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.option("-v", "--verbose", is_flag=True, help="Log retries and recoveries.")
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 600),
    default=30.0,
    show_default=True,
    help="Seconds to wait for each API response.",
)
@click.option(
    "--max-retries",
    type=click.IntRange(0, 20),
    default=4,
    show_default=True,
    help="Retries of a request after 429, 5xx or a connection failure.",
)
@click.option(
    "--retry-wait",
    type=click.FloatRange(0, 60),
    default=0.5,
    show_default=True,
    help="First backoff in seconds (exponential with jitter; Retry-After wins).",
)
@click.pass_context
def main(
    context: click.Context,
    debug: bool,
    verbose: bool,
    timeout: float,
    max_retries: int,
    retry_wait: float,
) -> None:
    """Declarative reconciler for Prevail sessions, Prospero events and Previsto metadata."""
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
    context.obj = Transport(
        timeout=timeout,
        policy=RetryPolicy(attempts=max_retries + 1, initial_wait=retry_wait),
    )


sandbox_option = click.option(
    "--sandbox",
    "use_sandbox",
    is_flag=True,
    help="Run against the embedded sandbox (persisted in .reconciler/sandbox.db).",
)
sandbox_db_option = click.option(
    "--sandbox-db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(".reconciler") / "sandbox.db",
    show_default=True,
    help="The embedded sandbox's SQLite file.",
)
force_option = click.option(
    "--force", is_flag=True, help="Apply despite the safety rails (mass changes, short notice)."
)
threshold_option = click.option(
    "--max-change-percent",
    type=click.FloatRange(0, 100),
    default=30.0,
    show_default=True,
    help="Refuse cancels/deletes or updates of more than this share of a kind's managed objects.",
)
prune_option = click.option(
    "--prune", is_flag=True, help="Cancel/delete managed objects that are no longer declared."
)
strict_option = click.option(
    "--strict", is_flag=True, help="Scheduling-check warnings are errors (exit 1)."
)
adopt_option = click.option(
    "--adopt",
    is_flag=True,
    help="Mark imported objects (entries with remote_id) as managed instead of skipping them.",
)


PROGRESS = Progress()


@dataclass(frozen=True)
class Transport:
    timeout: float
    policy: RetryPolicy


def transport_options() -> dict[str, Any]:
    context = click.get_current_context(silent=True)
    options = context.find_object(Transport) if context else None
    if options is None:
        return {}
    return {"timeout": options.timeout, "policy": options.policy}


@contextmanager
def target(
    path: Path, *, use_sandbox: bool, sandbox_db: Path
) -> Iterator[tuple[DesiredState, dict[str, Provider]]]:
    """Load the configuration and build its providers (against the sandbox when asked)."""
    if not use_sandbox:
        state = load(path)
        providers = build_providers(state, **transport_options())
        PROGRESS.watch(providers)
        try:
            yield state, providers
        finally:
            PROGRESS.finish()
            close_all(providers)
        return
    from reconciler.cli.embedded import embedded_sandbox

    state = load(path, resolve_providers=False)
    with embedded_sandbox(sandbox_db) as sandbox_settings:
        settings: dict[str, ProviderSettings] = {}
        for name, found in sandbox_settings.items():
            declared = state.providers.get(name)
            extra = {
                k: v
                for k, v in (declared.settings if declared else {}).items()
                if k not in ("base_url", "api_key", "password", "refresh_token", "company_id",
                             "email")
            }
            settings[name] = ProviderSettings(
                name=name,
                settings={**found.settings, **extra},
                secrets=found.secrets,
                location=found.location,
            )
        providers = build_providers(state, settings=settings, **transport_options())
        PROGRESS.watch(providers)
        try:
            yield state, providers
        finally:
            PROGRESS.finish()
            close_all(providers)


def close_all(providers: dict[str, Provider]) -> None:
    for provider in providers.values():
        provider.client.close()


@main.command()
@click.argument("path", type=click.Path(exists=False, path_type=Path))
@handle_errors
def validate(path: Path) -> None:
    """Check the YAML at PATH (a file or a directory) without contacting any API."""
    state = load(path, resolve_providers=False)
    counts = ", ".join(f"{len(objects)} {kind}" for kind, objects in state.objects.items())
    click.echo(f"Valid: {counts} in {len(state.files)} file(s).")


@main.command()
@click.argument("path", type=click.Path(exists=False, path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.option(
    "-o", "--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan (JSON)."
)
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes (0 none, 1 error)."
)
@prune_option
@threshold_option
@click.option(
    "--base-ref",
    metavar="REF",
    help="Label each change `config` (changed since REF) or `drift` (remote edited outside git).",
)
@sandbox_option
@sandbox_db_option
@strict_option
@adopt_option
@handle_errors
def plan(
    path: Path,
    output_format: str,
    out: Path | None,
    detailed_exitcode: bool,
    prune: bool,
    max_change_percent: float,
    base_ref: str | None,
    use_sandbox: bool,
    sandbox_db: Path,
    strict: bool,
    adopt: bool,
) -> None:
    """Show the minimal calls that bring the remote schedule to the state declared in PATH."""
    with target(path, use_sandbox=use_sandbox, sandbox_db=sandbox_db) as (state, providers):
        the_plan, refreshed = plan_changes(state, providers, prune=prune)
        the_plan = plan_adoptions(the_plan, refreshed, adopt=adopt)
        if base_ref:
            the_plan = label_origins(
                the_plan, refreshed, declared_at_ref(path, base_ref, providers)
            )
    the_plan = checked_plan(the_plan, refreshed, state.working_hours, strict=strict)
    the_plan, violations = guard(the_plan, refreshed, Rails(threshold_percent=max_change_percent))
    the_plan = replace(
        the_plan,
        warnings=(*the_plan.warnings, *(f"apply will refuse: {v}" for v in violations)),
    )
    source = {"path": str(path), "sandbox": use_sandbox, "prune": prune}
    if out is not None:
        save_plan(the_plan, out, source=source)
    emit(the_plan, output_format, source)
    if out is not None and output_format == "text":
        click.echo(f"Saved the plan to {out}; apply it with `reconciler apply {out}`.")
    if detailed_exitcode and the_plan.has_changes:
        raise SystemExit(EXIT_CHANGES)


def emit(the_plan: Plan, output_format: str, source: dict[str, Any]) -> None:
    if output_format == "json":
        click.echo(json.dumps(plan_document(the_plan, source=source), indent=2))
    elif output_format == "markdown":
        click.echo(render_markdown(the_plan), nl=False)
    else:
        click.echo(render_text(the_plan, color=use_color()), nl=False)


@main.command()
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
) -> None:
    """Plan PATH and make exactly the planned calls; or apply a saved plan file (JSON)."""
    saved = path.is_file() and path.suffix == ".json"
    if saved:
        the_plan, source = load_plan(path)
        config_path = Path(str(source.get("path", "")))
        use_sandbox = use_sandbox or bool(source.get("sandbox"))
    else:
        config_path = path
    with target(config_path, use_sandbox=use_sandbox, sandbox_db=sandbox_db) as (
        state,
        providers,
    ):
        if saved:
            refreshed = refresh_all(state, providers)
            check_fresh(the_plan, refreshed, path)
        else:
            the_plan, refreshed = plan_changes(state, providers, prune=prune)
            the_plan = plan_adoptions(the_plan, refreshed, adopt=adopt)
            the_plan = checked_plan(the_plan, refreshed, state.working_hours, strict=strict)
        rails = Rails(force=force, threshold_percent=max_change_percent)
        the_plan, violations = guard(the_plan, refreshed, rails)
        PROGRESS.finish()
        click.echo(render_text(the_plan, color=use_color()), nl=False)
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
        click.echo(f"  ✗ {change.address}: {change.action.value} failed: {outcome.message}")


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
            click.echo(f"  {change.address!s:<40} {change.action.value:<8} {result}")
        for change in report.not_attempted:
            click.echo(f"  {change.address!s:<40} {change.action.value:<8} not attempted")
        click.echo("")
        click.echo("Run `reconciler apply` again to converge once the cause is fixed.")


@main.command()
@click.argument("path", type=click.Path(exists=False, path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.option(
    "-o", "--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the report (JSON)."
)
@click.option(
    "--write", is_flag=True, help="Rewrite the YAML so drifted fields match the remote."
)
@sandbox_option
@sandbox_db_option
@handle_errors
def drift(
    path: Path,
    output_format: str,
    out: Path | None,
    write: bool,
    use_sandbox: bool,
    sandbox_db: Path,
) -> None:
    """Report what changed remotely outside the repository (exit 0 in sync, 2 drift, 1 error)."""
    with target(path, use_sandbox=use_sandbox, sandbox_db=sandbox_db) as (state, providers):
        refreshed = refresh_all(state, providers)
    report = detect_drift(refreshed)
    source = {"path": str(path), "sandbox": use_sandbox}
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(drift_document(report, source=source), indent=2) + "\n")
    if output_format == "json":
        click.echo(json.dumps(drift_document(report, source=source), indent=2))
    elif output_format == "markdown":
        click.echo(render_drift_markdown(report), nl=False)
    else:
        click.echo(render_drift_text(report), nl=False)
    if write and not report.in_sync:
        written = write_remote_values(report, refreshed)
        for path_written in written.files:
            click.echo(f"Wrote remote values into {path_written}", err=True)
        for occurrence in written.occurrences:
            click.echo(
                f"Not written: {occurrence} is an occurrence of a recurring series; add an "
                "override for its date to keep the remote values",
                err=True,
            )
    if not report.in_sync:
        raise SystemExit(EXIT_CHANGES)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8787, show_default=True)
@click.option("--db", default=":memory:", show_default=True, help="SQLite file for the state.")
@click.option("--admin", is_flag=True, hidden=True, help="Serve /_sandbox (faults, seeding).")
@click.option(
    "--previsto-rate-limit",
    type=click.IntRange(1),
    default=120,
    show_default=True,
    help="Previsto's requests per minute per key.",
)
@handle_errors
def sandbox(host: str, port: int, db: str, admin: bool, previsto_rate_limit: int) -> None:
    """Serve the Prevail, Prospero and Previsto emulators (Ctrl-C stops)."""
    from reconciler.cli.embedded import serve_foreground

    serve_foreground(
        host=host, port=port, db=db, admin=admin, previsto_rate_limit=previsto_rate_limit
    )


from reconciler.cli.github import github  # noqa: E402  (registered after the core commands)

main.add_command(github)


@main.command("import")
@click.argument("path", type=click.Path(exists=False, path_type=Path))
@click.option(
    "--kind", type=click.Choice(["events", "sessions", "assignments"]), required=True
)
@click.option(
    "--where",
    "filters",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Only objects whose field equals VALUE (repeatable; nested: location.name=...).",
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only objects starting on or after this date (YYYY-MM-DD).",
)
@click.option(
    "-o", "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the YAML here."
)
@sandbox_option
@sandbox_db_option
@handle_errors
def import_command(
    path: Path,
    kind: str,
    filters: tuple[str, ...],
    since: Any,
    out: Path | None,
    use_sandbox: bool,
    sandbox_db: Path,
) -> None:
    """Write YAML for existing unmanaged objects; `apply PATH --adopt` then marks them managed.

    PATH is the configuration whose providers are read (the YAML already there keeps its keys).
    """
    where = parse_filters(filters)
    with target(path, use_sandbox=use_sandbox, sandbox_db=sandbox_db) as (state, providers):
        imported = import_objects(
            state,
            providers,
            kind=kind,
            where=where,
            since=since.date() if since else None,
            source="the embedded sandbox" if use_sandbox else str(path),
        )
    PROGRESS.finish()
    for note in imported.notes:
        click.echo(f"Warning: {note}", err=True)
    if out is None:
        click.echo(imported.text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(imported.text, encoding="utf-8")
    click.echo(
        f"Wrote {imported.count} {kind} to {out}; `reconciler apply {path} --adopt` marks them "
        "as managed.",
        err=True,
    )
