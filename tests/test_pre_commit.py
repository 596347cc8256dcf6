"""The pre-commit hook this repository offers (`.pre-commit-hooks.yaml`), run by pre-commit itself
on a good and a bad file.

The fast test reads the manifest with pre-commit's own loader and runs its hook through
`pre-commit run` as a local hook of the installed `reconciler` (same entry, file types and
arguments; no environment to build). The slow one is what a user's first run does:
`pre-commit try-repo` on a snapshot of this checkout, which builds the hook's virtualenv and
installs the package into it with pip from the configured index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pre_commit.clientlib import load_manifest

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / ".pre-commit-hooks.yaml"
INSTALLED = Path(sys.executable).parent / "reconciler"

GOOD = """version: 1
events:
  - key: winter-gala
    title: Winter Gala
    start: 2027-01-15T18:00:00+01:00
    end: 2027-01-15T23:00:00+01:00
"""
VALID = "Valid: schedule/good.yaml: 0 sessions, 1 event, 0 assignments in 1 file."
BAD = """version: 1
events:
  - key: Winter Gala
    title: Winter Gala
    start: tomorrow evening
"""


def hook() -> dict[str, object]:
    (only,) = load_manifest(str(MANIFEST))  # pre-commit's own schema: refuses a bad manifest
    return only


def user_repository(root: Path) -> Path:
    """A git repository with a valid and an invalid schedule file and a file of another type."""
    root.mkdir()
    (root / "schedule").mkdir()
    (root / "schedule" / "good.yaml").write_text(GOOD, encoding="utf-8")
    (root / "schedule" / "bad.yaml").write_text(BAD, encoding="utf-8")
    (root / "notes.txt").write_text("not a schedule\n", encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "schedule")
    return root


def git(where: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.com",
                    "-c", "commit.gpgsign=false", *args], cwd=where, check=True)


def pre_commit(where: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "pre_commit", *args, "--color", "never"],
                          cwd=where, env=env, capture_output=True, text=True, timeout=600)


def test_the_manifest_offers_the_validate_hook_for_yaml_files():
    offered = hook()
    assert offered["id"] == "reconciler-validate"
    assert offered["entry"] == "reconciler validate"
    # A changed file alone lacks the providers block of its configuration's other files.
    assert offered["args"] == ["--sandbox"]
    assert offered["language"] == "python"
    assert offered["types"] == ["yaml"]
    assert offered["pass_filenames"] is True


def test_pre_commit_runs_the_hook_on_a_good_and_a_bad_file(tmp_path: Path):
    repository = user_repository(tmp_path / "user")
    local = {**hook(), "language": "system", "entry": f"{INSTALLED} validate"}
    config = {"repos": [{"repo": "local", "hooks": [local]}]}
    (repository / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    home = tmp_path / "home"

    good = pre_commit(repository, home, "run", "--files", "schedule/good.yaml")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "reconciler validate" in good.stdout and "Passed" in good.stdout

    both = pre_commit(repository, home, "run", "--files", "schedule/good.yaml",
                      "schedule/bad.yaml", "notes.txt")
    assert both.returncode == 1, both.stdout + both.stderr
    assert "Failed" in both.stdout
    assert VALID in both.stdout
    assert 'schedule/bad.yaml:3:5: events[0].key: key "Winter Gala" must be' in both.stdout
    assert 'schedule/bad.yaml:5:5: events[0].start: "tomorrow evening" is not an ISO 8601' \
        in both.stdout
    assert "notes.txt" not in both.stdout  # not YAML: never passed to the hook

    other = pre_commit(repository, home, "run", "--files", "notes.txt")
    assert other.returncode == 0 and "(no files to check)Skipped" in other.stdout


# Left out of the snapshot try-repo clones, as the wheel test leaves them out of its build.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis",
    ".reconciler",
)


@pytest.mark.slow
def test_pre_commit_try_repo_installs_and_runs_the_hook(tmp_path: Path):
    snapshot = tmp_path / "reconciler"
    shutil.copytree(ROOT, snapshot, ignore=NOT_SOURCE)
    git(snapshot, "init", "-q")
    git(snapshot, "add", ".")
    git(snapshot, "commit", "-q", "-m", "snapshot")
    repository = user_repository(tmp_path / "user")
    home = tmp_path / "home"

    both = pre_commit(repository, home, "try-repo", str(snapshot), "reconciler-validate",
                      "--files", "schedule/good.yaml", "schedule/bad.yaml")
    assert both.returncode == 1, both.stdout + both.stderr
    assert VALID in both.stdout
    assert "schedule/bad.yaml:3:5: events[0].key" in both.stdout

    good = pre_commit(repository, home, "try-repo", str(snapshot), "reconciler-validate",
                      "--files", "schedule/good.yaml")
    assert good.returncode == 0, good.stdout + good.stderr
