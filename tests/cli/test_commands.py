"""The command line's commands load on first use, and every one of them loads and answers --help."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from reconciler.cli import COMMANDS, main


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_loads_and_answers_help(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: main {name} [OPTIONS]"), result.output


def test_the_overview_lists_every_visible_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    listed = result.output.split("Commands:", 1)[1]
    for name in sorted(set(COMMANDS) - {"github"}):  # `github` is the Action's, hidden
        assert f"\n  {name} " in listed, name
    assert "github" not in listed


def test_an_unknown_command_is_refused() -> None:
    result = CliRunner().invoke(main, ["plna", "examples"])
    assert result.exit_code == 2
    assert "No such command 'plna'" in result.output


def test_plan_does_not_load_the_other_commands_modules() -> None:
    # In a fresh interpreter: what `reconciler plan` imports before it starts working.
    probe = (
        "import sys; from reconciler.cli import main; "
        "main.get_command(None, 'plan'); "
        "print(sorted(m for m in sys.modules "
        "if m.startswith(('reconciler.cli.', 'reconciler.github', 'reconciler.sandbox', 'yaml'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert "reconciler.cli.planning" in loaded
    for other in ("reconciler.cli.github", "reconciler.cli.serving", "reconciler.cli.importing",
                  "reconciler.github", "reconciler.sandbox", "'yaml'"):
        assert other not in loaded, loaded
