"""`reconciler schema`: print the JSON Schema of the YAML format, as the package ships it."""

from __future__ import annotations

import click

from reconciler.cli.common import examples
from reconciler.config.schema import SCHEMA_FILE
from reconciler.published import published_file


@click.command(epilog=examples(
    "reconciler schema > reconciler.schema.json",
))
def schema() -> None:
    """Print the JSON Schema of the YAML format (for editors, CI checks and other tools).

    Its $id is the schema's https address; an editor reads it from a modeline at the top of a
    YAML file: `# yaml-language-server: $schema=<that address>`.
    """
    click.echo(published_file(SCHEMA_FILE).read_text(encoding="utf-8"), nl=False)
