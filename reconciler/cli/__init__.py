"""The `reconciler` command: click commands that parse options, call the engine, choose exit codes.

Exit codes (as Terraform and `kubectl diff`): 0 success; 1 error (a usage error too); with
`plan --detailed-exitcode`, 2 when changes exist; `drift` 0 in sync, 2 drift, 1 error; `apply` 0
when everything planned was applied, 1 otherwise; `watch` 0 when stopped by SIGTERM or SIGINT, 1
when it cannot start.
"""

from __future__ import annotations

import difflib
import gc
import importlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import click

from reconciler import __version__, redaction
from reconciler.cli.common import COLOR_CHOICES, EXIT_ERROR, Transport, resolve_color
from reconciler.clock import Deadline
from reconciler.http import RetryPolicy

__all__ = ["main"]

GC_THRESHOLD = 1_000_000  # allocations between collections of the youngest generation

# Each command's module, imported when the command runs (or its help is shown): `plan` does not
# pay for the GitHub, import and sandbox code, nor `--version` for any of it.
COMMANDS = {
    "validate": "reconciler.cli.planning:validate",
    "plan": "reconciler.cli.planning:plan",
    "apply": "reconciler.cli.applying:apply",
    "drift": "reconciler.cli.planning:drift",
    "doctor": "reconciler.cli.doctor:doctor",
    "sandbox": "reconciler.cli.serving:sandbox",
    "import": "reconciler.cli.importing:import_command",
    "schema": "reconciler.cli.schema:schema",
    "github": "reconciler.cli.github:github",
    "watch": "reconciler.cli.watching:watch",
}


class UsageFailure(click.ClickException):
    """A usage error shown as click shows it (usage line, hint, message), with exit code 1."""

    exit_code = EXIT_ERROR

    def __init__(self, error: click.UsageError) -> None:
        super().__init__(error.message)
        self.error = error

    def show(self, file: IO[Any] | None = None) -> None:
        self.error.show(file)


@contextmanager
def usage_errors_exit_1() -> Iterator[None]:
    """A usage error (unknown option, missing argument, bad value) exits 1 like any other
    error: click's own 2 is what `plan --detailed-exitcode` and `drift` mean by "changes"."""
    try:
        yield
    except click.UsageError as error:
        raise UsageFailure(error) from None


class LazyGroup(click.Group):
    """A group whose commands are named up front and imported on first use (click's own recipe).

    It also parses its own options and runs its commands inside `usage_errors_exit_1`, which is
    where click raises every usage error of the whole command line."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        with usage_errors_exit_1():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with usage_errors_exit_1():
            return super().invoke(ctx)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as error:
            # `reconciler paln`: name the command meant, as git does.
            known = [name for name in self.list_commands(ctx) if name != "github"]
            meant = difflib.get_close_matches(args[0], known, n=1) if args else []
            if not meant:
                raise
            raise click.UsageError(
                f"No such command {args[0]!r}. Did you mean {meant[0]!r}?", ctx
            ) from error

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, _, name = COMMANDS[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), name)
            assert isinstance(command, click.Command), COMMANDS[cmd_name]
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
    "--create-timeout",
    type=click.FloatRange(0.1, 600),
    default=60.0,
    show_default=True,
    help="Seconds to wait for the answer to a create (at least --timeout): a create given up on "
    "can only be looked for afterwards.",
)
@click.option(
    "--max-retries",
    type=click.IntRange(0, 20),
    default=4,
    show_default=True,
    help="Retries of a request after 429, 5xx or a connection failure (a 429 from a "
    "per-minute limit is retried until that minute has passed, unless this is 0).",
)
@click.option(
    "--retry-wait",
    type=click.FloatRange(0, 60),
    default=0.5,
    show_default=True,
    help="First backoff in seconds (exponential with jitter; Retry-After wins).",
)
@click.option(
    "--max-retry-after",
    type=click.FloatRange(0, 86400),
    default=120.0,
    show_default=True,
    help="Longest Retry-After (seconds) to wait for; a server asking more stops the request "
    "with a message saying when to run again.",
)
@click.option(
    "--deadline",
    type=click.FloatRange(1, 7 * 86400),
    default=1800.0,
    show_default=True,
    help="Seconds a whole run may spend on API requests: once they have passed, nothing more "
    "is sent, waited for or read, and the run stops with exit 1 (a list that never ends, a "
    "server that drips).",
)
@click.option(
    "--color",
    type=click.Choice(COLOR_CHOICES),
    default="auto",
    show_default=True,
    help="Colour the text plan: auto follows NO_COLOR, FORCE_COLOR and whether stdout is a "
    "terminal.",
)
@click.pass_context
def main(
    context: click.Context,
    debug: bool,
    verbose: bool,
    timeout: float,
    create_timeout: float,
    max_retries: int,
    retry_wait: float,
    max_retry_after: float,
    deadline: float,
    color: str,
) -> None:
    """Declarative reconciler for Prevail sessions, Prospero events and Previsto metadata."""
    # A run builds hundreds of thousands of small objects and frees none of them in cycles; the
    # default thresholds would collect every 700 allocations, a quarter of a 30,000-object plan's
    # CPU. Collect far less often, as mypy does for the same reason (at 30,000 objects, 200,000
    # still spent 0.15 s collecting, 1,000,000 spends 0.02 s, with the same peak memory).
    gc.set_threshold(GC_THRESHOLD, 30, 30)
    # Decided once; click.echo then keeps or strips styles by it, on every stream.
    context.color = resolve_color(color)
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
    # On the handler, at every level: httpcore logs response headers (Prospero's Set-Cookie
    # tokens) at DEBUG. The run's secrets are added once the configuration is loaded (`target`).
    redaction.install()
    context.obj = Transport(
        timeout=timeout,
        create_timeout=create_timeout,
        policy=RetryPolicy(
            attempts=max_retries + 1, initial_wait=retry_wait, max_retry_after=max_retry_after
        ),
        deadline=Deadline.after(deadline),
    )
