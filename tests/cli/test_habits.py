"""Habits people bring from Terraform, kubectl and git: the current folder when no PATH is
given, a mistyped command named, counts that agree with their nouns, and a state folder that a
habitual `git add -A` does not commit."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.reports import counted
from tests.fixtures.faults import event, session
from tests.fixtures.repo import Repo, Run


def test_a_mistyped_command_names_the_one_meant(cli: Run):
    result = cli("paln", expect=1)
    assert "No such command 'paln'. Did you mean 'plan'?" in result.stderr
    assert "Did you mean" not in cli("zzz", expect=1).stderr  # nothing close: nothing guessed


@pytest.mark.parametrize("command", ["validate", "plan", "drift", "doctor"])
def test_without_a_path_the_current_folder_is_the_configuration(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch, command: str
):
    repo.write("e.yaml", "version: 1\nevents:\n" + event("gala", "Gala", 1))
    monkeypatch.chdir(repo.root)
    with_path = cli(command, ".", expect=None)
    without = cli(command, expect=None)
    assert with_path.stdout and ("1 event" in with_path.stdout or "gala" in with_path.stdout
                                 or command == "doctor")
    assert without.exit_code == with_path.exit_code
    # The same report (doctor's lines carry measured figures: their first words are compared).
    assert [line.split()[:3] for line in without.stdout.splitlines()] == [
        line.split()[:3] for line in with_path.stdout.splitlines()]


def test_counts_agree_with_their_nouns(repo: Repo, cli: Run):
    repo.write("e.yaml", "version: 1\nsessions:\n" + session("s-one", "One", 2)
               + "events:\n" + event("gala", "Gala", 1) + event("fair", "Fair", 2))
    validated = cli("validate", repo.root).stdout
    assert "Valid: 1 session, 2 events, 0 assignments in 2 files." in validated
    assert (counted(1, "sessions"), counted(0, "events"), counted(1200, "changes")) == (
        "1 session", "0 events", "1,200 changes")


def test_the_state_folder_is_ignored_by_git_from_its_creation(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
):
    repo.write("e.yaml", "version: 1\nevents:\n" + event("gala", "Gala", 1))
    monkeypatch.chdir(repo.root)
    subprocess.run(["git", "init", "-q"], check=True)
    cli("apply", "--auto-approve")  # writes .reconciler/journal.jsonl
    assert (Path(".reconciler") / "journal.jsonl").is_file()
    subprocess.run(["git", "add", "-A"], check=True)
    staged = subprocess.run(["git", "diff", "--cached", "--name-only"], check=True,
                            capture_output=True, text=True).stdout.split()
    assert staged and not [name for name in staged if name.startswith(".reconciler")]
    # A .gitignore the user put there is theirs: never rewritten.
    (Path(".reconciler") / ".gitignore").write_text("journal.jsonl\n", encoding="utf-8")
    cli("apply", "--auto-approve")
    assert (Path(".reconciler") / ".gitignore").read_text(encoding="utf-8") == "journal.jsonl\n"


def test_shell_completion_completes_commands_and_options():
    """The completion lines of the command-line guide: click's own, through the environment
    variable."""
    def complete(words: str) -> list[str]:
        env = {"_RECONCILER_COMPLETE": "bash_complete", "COMP_WORDS": words,
               "COMP_CWORD": str(len(words.split()) - 1)}
        result = CliRunner().invoke(main, [], env=env, prog_name="reconciler")
        return result.output.split()

    assert "plain,plan" in complete("reconciler pl")
    assert "plain,--format" in complete("reconciler plan --for")


@pytest.mark.parametrize("command", ["validate", "plan", "apply", "drift", "doctor", "import",
                                     "sandbox", "schema"])
def test_every_command_s_help_ends_with_examples_of_itself(cli: Run, command: str):
    shown = cli(command, "--help").stdout
    examples = [line.strip() for line in shown.split("Examples:\n", 1)[1].splitlines()]
    assert examples and all(line.startswith("reconciler ") for line in examples if line)
    assert any(line.startswith(f"reconciler {command}") for line in examples)
