"""Every bad configuration ends, through the CLI, in exit 1 and `FILE:LINE:COL:` lines only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.github.runner import error_annotations
from tests.fixtures.configs import BAD, BAD_CASES, ENV

ISSUE_LINE = re.compile(r"^[^:\n]+:\d+:\d+: ")


@pytest.mark.parametrize(
    ("name", "resolve", "expected"), BAD_CASES, ids=[case[0] for case in BAD_CASES]
)
def test_cli_reports_config_errors_without_traceback(
    name: str, resolve: bool, expected: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(BAD)
    for variable, value in ENV.items():
        monkeypatch.setenv(variable, value)
    # `plan` resolves ${NAME} references; `validate --sandbox` checks the YAML alone (most of
    # these files declare objects without a providers block). Neither gets as far as the network
    # with a bad configuration.
    command = ["plan"] if resolve else ["validate", "--sandbox"]
    result = CliRunner().invoke(main, [*command, name])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    issues = result.stderr.splitlines()[:-1]
    assert issues, result.stderr
    assert all(ISSUE_LINE.match(line) for line in issues), issues
    assert issues[0].startswith(expected[0][0]), issues
    assert result.stderr.splitlines()[-1].startswith("Error: the configuration has")


@pytest.mark.parametrize("command", ["validate", "plan", "drift", "import", "apply"])
def test_a_missing_path_is_named_without_an_invented_position(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kind = ["--kind", "events"] if command == "import" else []
    args = [command, "schedule/missing.yaml", *kind]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert result.stderr == "Error: schedule/missing.yaml: no such file or directory\n"
    # In the Action, it is an error annotation of the run, not one on a file that is not there.
    (annotation,) = error_annotations(result.stderr, command=command, workspace=str(tmp_path))
    assert annotation == (
        f"::error title=reconciler {command}::schedule/missing.yaml: no such file or directory"
    )


@pytest.mark.parametrize("command", ["validate", "plan", "drift", "import", "apply"])
def test_a_folder_without_configuration_is_named_without_an_invented_position(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hidden files and folders are never read, and a README is not configuration.
    folder = tmp_path / "schedule"
    (folder / ".github").mkdir(parents=True)
    (folder / ".github" / "workflow.yaml").write_text("on: push\n", encoding="utf-8")
    (folder / ".draft.yaml").write_text("version: 1\n", encoding="utf-8")
    (folder / "README.md").write_text("# Schedule\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    kind = ["--kind", "events"] if command == "import" else []
    result = CliRunner().invoke(main, [command, "schedule", *kind])
    assert result.exit_code == 1, result.output
    assert result.stderr == "Error: schedule: no *.yaml or *.yml files in this directory\n"
    (annotation,) = error_annotations(result.stderr, command=command, workspace=str(tmp_path))
    assert annotation == (
        f"::error title=reconciler {command}::schedule: no *.yaml or *.yml files in this directory"
    )
