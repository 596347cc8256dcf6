"""`reconciler import`: write YAML for existing unmanaged objects."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from reconciler.cli.common import (
    PROGRESS,
    examples,
    handle_errors,
    sandbox_db_option,
    sandbox_option,
    target,
)
from reconciler.engine import next_steps
from reconciler.engine.importer import import_objects, parse_filters
from reconciler.local_files import write_text
from reconciler.reports import counted


@click.command("import", epilog=examples(
    "reconciler import --kind events --since 2027-01-01 -o events.yaml",
    "reconciler apply --adopt",
))
@click.argument("path", default=Path("."), type=click.Path(exists=False, path_type=Path))
@click.option("--kind", type=click.Choice(["events", "sessions", "assignments"]), required=True)
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
    write_text(out, imported.text, what="the imported YAML", fix="choose another -o")
    adopting = next_steps.command("apply", "--adopt")
    # The step reads PATH: a file written elsewhere must be moved there first to be adopted.
    elsewhere = "" if _within(out, path) else f"move it into {path}, then "
    click.echo(
        f"Wrote {counted(imported.count, kind)} to {out}; {elsewhere}{adopting} marks them as "
        "managed.",
        err=True,
    )


def _within(file: Path, configuration: Path) -> bool:
    folder = os.path.abspath(configuration)
    return configuration.is_dir() and os.path.commonpath([folder, os.path.abspath(file)]) == folder
