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
    assert result.exit_code == 1  # 2 means "changes" (plan --detailed-exitcode, drift)
    assert "No such command 'plna'. Did you mean 'plan'?" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "--bogus", "examples"], "No such option '--bogus'"),
        (["import", "examples"], "Missing option '--kind'"),
        (["plan", "examples", "--format", "pdf"], "Invalid value for '--format'"),
        (["--color", "sometimes", "plan", "examples"], "Invalid value for '--color'"),
        (["drift", "examples", "--max-change-percent", "5"], "No such option"),
        (["github", "args"], "Missing option '--command'"),
    ],
)
def test_usage_errors_exit_1_with_clicks_message(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Usage: " in result.output and "Traceback" not in result.output


def test_a_usage_error_of_the_installed_command_exits_1() -> None:
    # The real entry point, not click's test runner: what a shell and CI see.
    result = subprocess.run([sys.executable, "-m", "reconciler", "plan", "--bogus", "x"],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "No such option '--bogus'" in result.stderr


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
