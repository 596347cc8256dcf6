"""MkDocs hook: the two references generated on every build, never committed.

The YAML reference comes from the published JSON Schema (what `reconciler validate` and the
editors check); the command-line reference from the click commands, as `--help` prints them
(their examples included, which mkdocs-click leaves out). Neither can drift from the code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import jsonschema2md
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

from reconciler.cli import main

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "reconciler.schema.json"
CONFIGURATION_PAGE = "reference/configuration.md"
CLI_PAGE = "reference/cli.md"
HELP_WIDTH = 100

INTRO = """\
# YAML reference

Every field of the configuration format, generated from
[`schemas/reconciler.schema.json`]({source}) when this site is built (`reconciler schema`
prints the same schema). The prose around the format (how values are read, which files are
read, the rules of ownership) is in [The YAML format](yaml.md).

"""

SOURCE = "https://github.com/reconciler/reconciler/blob/main/schemas/reconciler.schema.json"


def configuration_reference(schema: dict[str, Any]) -> str:
    """The Markdown of the YAML reference: the intro, then every property and definition."""
    parser = jsonschema2md.Parser(examples_as_yaml=True, header_level=1)
    return INTRO.format(source=SOURCE) + "".join(parser.parse_schema(schema))


CLI_INTRO = """\
# Command-line reference

Every command as `reconciler COMMAND --help` prints it, generated from the click commands when
this site is built. How the commands fit together, with their exit codes, is in
[Using the command line](../guides/cli.md).

"""


def command_help(command: click.Command, name: str, parent: click.Context | None) -> str:
    """What `--help` prints for one command, at a fixed width so the page does not depend on the
    terminal that built it."""
    context = click.Context(
        command,
        info_name=name,
        parent=parent,
        max_content_width=HELP_WIDTH,
        terminal_width=HELP_WIDTH,
    )
    return command.get_help(context)


def cli_reference() -> str:
    """The Markdown of the command-line reference: the global options, then each visible command."""
    root = click.Context(
        main, info_name="reconciler", max_content_width=HELP_WIDTH, terminal_width=HELP_WIDTH
    )
    sections = [f"## reconciler\n\n```text\n{main.get_help(root)}\n```\n"]
    for name in main.list_commands(root):
        command = main.get_command(root, name)
        if command is None or command.hidden:
            continue
        sections.append(
            f"## reconciler {name}\n\n```text\n{command_help(command, name, root)}\n```\n"
        )
    return CLI_INTRO + "\n".join(sections)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    files.append(
        File.generated(config, CONFIGURATION_PAGE, content=configuration_reference(schema))
    )
    files.append(File.generated(config, CLI_PAGE, content=cli_reference()))
    return files


def on_serve(server: Any, config: MkDocsConfig, builder: Any) -> Any:
    # `mkdocs serve` rebuilds when the schema changes, as it does for the pages.
    server.watch(str(SCHEMA))
    return server
