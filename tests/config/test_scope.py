"""The configuration's scope: `providers.stack`, or derived from the repository it lives in."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.config import load, load_text
from reconciler.config.scope import derived_scope, scope_name
from reconciler.errors import ConfigError

EVENTS = "version: 1\nevents: []\n"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def repository(tmp_path: Path, remote: str | None) -> Path:
    root = tmp_path / "checkout"
    (root / "teams" / "north").mkdir(parents=True)
    (root / "teams" / "north" / "events.yaml").write_text(EVENTS, encoding="utf-8")
    git(root, "init", "-q")
    if remote is not None:
        git(root, "remote", "add", "origin", remote)
    return root


def test_stack_names_the_scope_and_says_where(tmp_path: Path):
    (tmp_path / "p.yaml").write_text("providers:\n  stack: litigation/east\n", encoding="utf-8")
    state = load(tmp_path, resolve_providers=False)
    assert state.scope is not None
    assert state.scope.name == "litigation/east"
    assert state.scope.declared
    assert state.scope.origin == f"providers.stack at {tmp_path / 'p.yaml'}:2:3"


@pytest.mark.parametrize(
    "remote",
    [
        "https://github.com/Acme/Schedules.git",
        "git@github.com:Acme/Schedules.git",
        "ssh://git@github.com/acme/schedules",
        "https://x-access-token:ghs_secret@github.com/acme/schedules",
    ],
)
def test_a_clone_and_a_ci_checkout_derive_one_scope_from_origin(tmp_path: Path, remote: str):
    root = repository(tmp_path, remote)
    scope = derived_scope(root / "teams" / "north", environ={})
    assert scope.name == "acme/schedules/teams/north"
    assert not scope.declared
    assert scope.origin == (
        "derived from the git remote origin and the path teams/north; set providers.stack to "
        "name it"
    )
    # However the path is spelled, and from the repository's root: the same rule.
    assert derived_scope(root / "teams" / ".." / "teams" / "north", environ={}) == scope
    assert derived_scope(root, environ={}).name == "acme/schedules"
    assert "ghs_secret" not in scope.origin + scope.name


def test_without_origin_github_repository_then_the_folder_name(tmp_path: Path):
    root = repository(tmp_path, None)
    north = root / "teams" / "north"
    assert derived_scope(north, environ={"GITHUB_REPOSITORY": "acme/cal"}).name == (
        "acme/cal/teams/north"
    )
    assert derived_scope(north, environ={}).name == "checkout/teams/north"


def test_outside_git_the_folder_or_file_name(tmp_path: Path):
    folder = tmp_path / "Firm Calendar"
    folder.mkdir()
    (folder / "events.yaml").write_text(EVENTS, encoding="utf-8")
    assert derived_scope(folder, environ={}).name == "firm-calendar"
    assert derived_scope(folder / "events.yaml", environ={}).name == "events.yaml"
    assert load(folder, resolve_providers=False).scope == derived_scope(folder, environ={})


def test_scope_names_are_what_stack_accepts():
    assert scope_name("Acme/Schedules/Teams/North Side") == "acme/schedules/teams/north-side"
    assert scope_name("x" * 300) == "x" * 100
    assert scope_name("///") == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("providers:\n  stack: Team A\n",
         "s.yaml:2:3: providers.stack: must be 1 to 100 characters: lowercase letters, digits, "
         "'.', '_', '/' or '-', starting with a letter or digit"),
        ("providers:\n  stack: 7\n", "s.yaml:2:3: providers.stack: must be a string, not a number"),
    ],
)
def test_a_bad_stack_is_reported_at_its_place(text: str, message: str):
    with pytest.raises(ConfigError) as caught:
        load_text(text, filename="s.yaml", resolve_providers=False)
    assert [str(issue).split(" (quote")[0] for issue in caught.value.issues] == [message]


def test_stack_set_in_two_files_is_an_error(tmp_path: Path):
    (tmp_path / "a.yaml").write_text("providers:\n  stack: one\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("providers:\n  stack: two\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, resolve_providers=False)
    assert [issue.message for issue in caught.value.issues] == [
        f'"stack" is set twice (first at {tmp_path / "a.yaml"}:2:3); keep one'
    ]


def test_validate_shows_the_scope(tmp_path: Path):
    (tmp_path / "p.yaml").write_text("providers:\n  stack: east\nevents: []\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    where = f"{tmp_path}/p.yaml:2:3"
    assert result.stdout.splitlines()[-1] == f"Scope: east (providers.stack at {where})"
