"""`reconciler doctor`: check each configured provider's account, reading only."""

from __future__ import annotations

import json
from pathlib import Path

import click

from reconciler.cli.common import (
    EXIT_ERROR,
    examples,
    handle_errors,
    sandbox_db_option,
    sandbox_option,
    target,
)
from reconciler.providers.doctor import examine
from reconciler.render.safe import visible
from reconciler.reports import Check


@click.command(epilog=examples(
    "reconciler doctor",
    "reconciler doctor schedules/london --format json",
))
@click.argument("path", default=Path("."), type=click.Path(exists=False, path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@sandbox_option
@sandbox_db_option
@handle_errors
def doctor(path: Path, output_format: str, use_sandbox: bool, sandbox_db: Path) -> None:
    """Check the accounts configured in PATH against what reconciler relies on (reads only).

    One line per check: credentials, clock, rate limit, list shapes and paging, field and zone
    names. Exits 1 when something the client depends on differs.
    """
    with target(path, use_sandbox=use_sandbox, sandbox_db=sandbox_db) as (_, providers):
        checks = [check for provider in providers.values() for check in examine(provider)]
    failing = [check for check in checks if not check.ok and check.required]
    if output_format == "json":
        document = {"checks": [c.to_json() for c in checks], "ok": not failing}
        click.echo(json.dumps(document, indent=2))
    else:
        click.echo(render_checks(checks), nl=False)
    if failing:
        raise SystemExit(EXIT_ERROR)


def render_checks(checks: list[Check]) -> str:
    if not checks:
        return "No provider is configured: nothing to check.\n"
    provider_width = max(len(c.provider) for c in checks)
    name_width = max(len(c.name) for c in checks)
    lines = []
    for check in checks:
        verdict = "ok" if check.ok else "differs" if check.required else "note"
        lines.append(
            f"{verdict:<8}{check.provider:<{provider_width}}  {check.name:<{name_width}}  "
            f"{visible(check.seen)}"
        )
    differing = sum(1 for c in checks if not c.ok and c.required)
    lines.append("")
    lines.append(
        f"{len(checks)} checks: all that the client relies on hold."
        if not differing
        else f"{len(checks)} checks: {differing} differ from what the client relies on."
    )
    return "\n".join(lines) + "\n"
