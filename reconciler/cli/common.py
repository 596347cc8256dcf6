"""What the commands share: the error handler, options, and the providers for a run."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from reconciler import redaction
from reconciler.cli.progress import Progress
from reconciler.clock import Deadline, current
from reconciler.config import DesiredState, load
from reconciler.config.settings import ACCOUNT_SETTINGS, SECRET_URL_SETTINGS
from reconciler.engine import next_steps
from reconciler.engine.drift_policy import DriftPolicy
from reconciler.engine.planfile import plan_key
from reconciler.errors import ConfigError, ReconcilerError
from reconciler.http import RetryPolicy
from reconciler.instants import NOW_VARIABLE, pin_reason, pinned_clock_allowed, pinned_now
from reconciler.local_files import STATE_FOLDER
from reconciler.model import ProviderSettings
from reconciler.policy import PolicyContext, PolicySet, load_set
from reconciler.providers import Provider, build_providers
from reconciler.render.safe import visible
from reconciler.render.values import MAX_VALUE

P = ParamSpec("P")
R = TypeVar("R")

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def handle_errors(command: Callable[P, R]) -> Callable[P, R]:
    """One error handler: known errors print `Error: ...` (exit 1); others hide the traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        context = click.get_current_context()
        debug = bool(context.find_root().params.get("debug"))
        try:
            with next_steps.running(invocation_of(context)):
                return command(*args, **kwargs)
        except ConfigError as error:
            for issue in error.issues:
                click.echo(visible(str(issue)), err=True)
            count = error.count
            plural = "s" if count != 1 else ""
            click.echo(f"Error: the configuration has {count} problem{plural}", err=True)
            raise SystemExit(EXIT_ERROR) from None
        except ReconcilerError as error:
            if debug:
                raise
            # The message may repeat an API's error body, and some repeat the credentials.
            click.echo(visible(redaction.redact(f"Error: {error}")), err=True)
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


def invocation_of(context: click.Context) -> next_steps.Invocation:
    """The configuration and the options a person gave this command (defaults left out), for
    the next steps it prints."""
    options: list[tuple[str, str | None]] = []
    for param in context.command.params:
        if not isinstance(param, click.Option) or param.name is None:
            continue
        if context.get_parameter_source(param.name) not in GIVEN:
            continue
        flag = max(param.opts, key=len)  # the long spelling
        value = context.params.get(param.name)
        if param.is_flag:
            if value is True:
                options.append((flag, None))
            elif value is False and param.secondary_opts:  # `--no-prune` over `defaults:`
                options.append((max(param.secondary_opts, key=len), None))
        elif param.multiple:
            options += [(flag, str(each)) for each in value or ()]
        elif value is not None:
            options.append((flag, str(value)))
    path = context.params.get("path")
    return next_steps.Invocation(
        path=str(path) if path is not None else None, options=tuple(options)
    )


GIVEN = (click.ParameterSource.COMMANDLINE, click.ParameterSource.ENVIRONMENT)

COLOR_CHOICES = ("auto", "always", "never")


def resolve_color(choice: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Whether to colour stdout: `--color always|never` wins; with `auto`, NO_COLOR set and
    non-empty turns colour off (no-color.org), else FORCE_COLOR set and non-empty turns it on
    (force-color.org), else colour goes only to a terminal."""
    if choice != "auto":
        return choice == "always"
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def use_color() -> bool:
    """The run's colour choice (the root command resolves `--color` once, into click's
    context, so that `click.echo` keeps or strips styles to match)."""
    context = click.get_current_context(silent=True)
    chosen = context.find_root().color if context is not None else None
    return resolve_color("auto") if chosen is None else chosen


def value_limit() -> int | None:
    """How long a value may be in the text plan: shortened on a terminal, whole anywhere else
    (a file, a pipe, a CI log)."""
    return MAX_VALUE if sys.stdout.isatty() else None


# Where a run keeps what it leaves behind on this machine: the journal, the apply locks, and
# the sandbox's state (shared by `--sandbox` runs and a served `reconciler sandbox` alike).
STATE_DIRECTORY = Path(STATE_FOLDER)
SANDBOX_DB = STATE_DIRECTORY / "sandbox.db"

sandbox_option = click.option(
    "--sandbox",
    "use_sandbox",
    is_flag=True,
    help=f"Run against the embedded sandbox (persisted in {SANDBOX_DB.as_posix()}).",
)
sandbox_db_option = click.option(
    "--sandbox-db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=SANDBOX_DB,
    show_default=True,
    help="The embedded sandbox's SQLite file.",
)
format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
plan_format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "markdown", "html", "ics"]),
    default="text",
    show_default=True,
    help="html: one self-contained page (timeline and table) to open or attach; ics: the "
    "schedule as it will be after the apply, as an iCalendar file to import.",
)
target_option = click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="ADDRESS",
    help="Emergencies only: plan just this object (KIND.KEY; a series' key takes its "
    "occurrences); repeatable. --prune then removes only among the targets.",
)
force_option = click.option(
    "--force", is_flag=True, help="Apply despite the safety rails (mass changes, short notice)."
)
policy_option = click.option(
    "--policy",
    "policy_folders",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Judge the plan by the policy files in this folder (repeatable); with the "
    "configuration's `policies:`. A mandatory finding refuses apply, whatever --force says.",
)
threshold_option = click.option(
    "--max-change-percent",
    type=click.FloatRange(0, 100),
    default=None,
    help="Refuse cancels/deletes or updates of more than this share of a kind's managed objects "
    "(default: `defaults: max_change_percent` in the YAML, else 30).",
)
prune_option = click.option(
    "--prune/--no-prune",
    default=None,
    help="Cancel/delete managed objects that are no longer declared (default: `defaults: "
    "prune` in the YAML, else off).",
)
# Apply and watch's reverts keep one journal and wait for one lock: the defaults live here once,
# so that a create one of them left in flight is found by the other.
journal_option = click.option(
    "--journal",
    type=click.Path(dir_okay=False, path_type=Path),
    default=STATE_DIRECTORY / "journal.jsonl",
    show_default=True,
    help="Where each write is recorded (the next apply reads it for creates left in flight).",
)
lock_timeout_option = click.option(
    "--lock-timeout",
    type=click.FloatRange(0),
    default=60.0,
    show_default=True,
    help="Seconds to wait for another apply of the same scope on this machine to finish.",
)
strict_option = click.option(
    "--strict/--no-strict",
    default=None,
    help="Scheduling-check warnings are errors, exit 1 (default: `defaults: strict`, else off).",
)
ON_DRIFT_HELP = (
    "Fields edited remotely that git did not change since --base-ref: revert them, keep them, "
    "or fail (keep and fail need --base-ref). Default: `defaults: on_drift` in the YAML, else "
    "revert."
)
on_drift_choice = click.Choice([policy.value for policy in DriftPolicy])
base_ref_option = click.option(
    "--base-ref",
    metavar="REF",
    help="Label each change `config` (changed since REF) or `drift` (remote edited outside git).",
)
adopt_option = click.option(
    "--adopt/--no-adopt",
    default=None,
    help="Mark imported objects (entries with remote_id) as managed instead of skipping them "
    "(default: `defaults: adopt`, else off).",
)

adopt_unscoped_option = click.option(
    "--adopt-unscoped/--no-adopt-unscoped",
    default=None,
    help="Take objects managed before scopes existed, and declared here, into this "
    "configuration's scope (one marker write each; Prevail sessions are scheduled anew; "
    "default: `defaults: adopt_unscoped`, else off).",
)


PROGRESS = Progress()


def signing_key() -> bytes | None:
    """The saved-plan signing key from the environment, redacted from every log from now on."""
    key = plan_key(os.environ)
    if key is not None:
        redaction.register_secrets([key.decode()])
    return key


@dataclass(frozen=True, kw_only=True)
class Transport:
    timeout: float
    create_timeout: float
    policy: RetryPolicy
    deadline: Deadline | None = None  # the run's, started when the command line was read


def transport_options() -> dict[str, Any]:
    context = click.get_current_context(silent=True)
    options = context.find_object(Transport) if context else None
    if options is None:
        return {}
    return {
        "timeout": options.timeout,
        # Never shorter than a read's: a create is not given up on before any other request.
        "create_timeout": max(options.create_timeout, options.timeout),
        "policy": options.policy,
        "deadline": options.deadline,
    }


@contextmanager
def target(
    path: Path, *, use_sandbox: bool, sandbox_db: Path
) -> Iterator[tuple[DesiredState, dict[str, Provider]]]:
    """Load the configuration and build its providers (against the sandbox when asked)."""
    with ExitStack() as stack:
        if use_sandbox:
            stack.enter_context(pinned_clock_allowed("--sandbox"))
        # Before the configuration is read or any provider built: a pinned clock outside the
        # sandbox stops the run here, before a single request.
        announce_pinned_clock()
        settings: dict[str, ProviderSettings] | None = None
        if use_sandbox:
            from reconciler.cli.embedded import embedded_sandbox

            state = load(path, resolve_providers=False)
            served = stack.enter_context(embedded_sandbox(sandbox_db))
            settings = _sandbox_settings(state, served)
        else:
            state = load(path)
        # Before any request: from here on no log record shows a credential of this run.
        redaction.register_secrets(
            secret
            for provider in (settings or state.providers).values()
            for secret in provider.secrets
        )
        providers = build_providers(state, settings=settings, **transport_options())
        PROGRESS.watch(providers)
        try:
            yield state, providers
        finally:
            PROGRESS.finish()
            close_all(providers)


def announce_pinned_clock() -> None:
    """Say on stderr when the clock is pinned; refuse a pin this run may not use."""
    pinned = pinned_now()
    if pinned is not None:
        click.echo(
            f"Note: the clock is pinned to {pinned:%Y-%m-%dT%H:%M:%SZ} by {NOW_VARIABLE} "
            f"({pin_reason()})",
            err=True,
        )


def _sandbox_settings(
    state: DesiredState, served: Mapping[str, ProviderSettings]
) -> dict[str, ProviderSettings]:
    """The sandbox's URLs and credentials, with the configuration's other settings kept."""
    settings: dict[str, ProviderSettings] = {}
    for name, found in served.items():
        declared = state.providers.get(name)
        extra = {
            k: v
            for k, v in (declared.settings if declared else {}).items()
            # A --sandbox run reads no environment, so a postback URL (whose token comes from
            # it) is left unresolved: not sent.
            if k not in ACCOUNT_SETTINGS | SECRET_URL_SETTINGS
        }
        settings[name] = ProviderSettings(
            name=name,
            settings={**found.settings, **extra},
            secrets=found.secrets,
            location=found.location,
            requests_per_minute=declared.requests_per_minute if declared else None,
        )
    return settings


def close_all(providers: dict[str, Provider]) -> None:
    for provider in providers.values():
        provider.client.close()


def examples(*lines: str) -> str:
    """A command's help epilog: command lines to copy, kept as written (click's `\\b`)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def policy_sets(state: DesiredState, *folders: Iterable[str]) -> tuple[PolicySet, ...]:
    """The configuration's policy sets, then the named ones, each folder loaded once."""
    named = dict.fromkeys([*state.policies, *(str(f) for group in folders for f in group)])
    return tuple(load_set(Path(folder), shown=folder) for folder in named)


def policy_context(state: DesiredState, *, base_ref: str | None) -> PolicyContext:
    """What policies are told of this run: the scope, the clock's now, the base ref and, in
    the Action on a pull request, its author."""
    from reconciler.github.publish import pull_request  # the event payload, when there is one

    pull = pull_request(os.environ)
    return PolicyContext(
        scope=state.scope.name if state.scope is not None else None,
        now=pinned_now() or current().utcnow(),
        base_ref=base_ref,
        author=pull.author if pull is not None else None,
    )
