"""`validate PATH...` (as pre-commit calls it) and `validate --format json`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.configs import BAD, GOOD
from tests.fixtures.repo import Run

# The fixture files declare objects without a providers block (it would live in another file of
# a real configuration): they are checked as `plan --sandbox` would, as the pre-commit hook does.


@pytest.fixture(autouse=True)
def _in_the_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BAD.parent)


def test_every_path_is_checked_and_every_problem_listed(cli: Run):
    result = cli("validate", "--sandbox", "good/single.yaml", "bad/several-issues.yaml",
                 "bad/missing.yaml", "good/dir", expect=1)
    valid = result.stdout.splitlines()
    assert any(line.startswith("Valid: good/single.yaml: ") for line in valid)
    assert any(line.startswith("Valid: good/dir: ") for line in valid)
    problems = result.stderr.splitlines()
    assert [line.split(": ")[0] for line in problems[:4]] == [
        "bad/several-issues.yaml:6:5", "bad/several-issues.yaml:7:5",
        "bad/several-issues.yaml:8:5", "bad/several-issues.yaml:13:5"]
    assert "Error: bad/missing.yaml: no such file or directory" in problems
    assert problems[-1] == "Error: the configuration has 5 problems in 2 of 4 paths"


def test_one_path_reads_as_it_always_has(cli: Run):
    assert cli("validate", "--sandbox", "good/single.yaml").stdout.startswith("Valid: 2 sessions, ")
    failed = cli("validate", "--sandbox", "bad/several-issues.yaml", expect=1)
    assert failed.stderr.splitlines()[-1] == "Error: the configuration has 4 problems"


def test_json_reports_each_path_with_its_issues(cli: Run):
    result = cli("validate", "--sandbox", "--format", "json", "good/single.yaml",
                 "bad/several-issues.yaml",
                 "bad/missing.yaml", expect=1)
    assert result.stderr == ""
    document = json.loads(result.stdout)
    assert document["format_version"] == 1
    assert document["valid"] is False
    assert document["problems"] == 5
    good, bad, missing = document["paths"]
    assert good["valid"] and good["files"] == 1 and good["objects"]["sessions"] == 2
    assert good["issues"] == [] and good["problems"] == 0
    assert not bad["valid"] and bad["problems"] == 4
    assert bad["issues"][1] == {
        "file": "bad/several-issues.yaml", "line": 7, "column": 5, "path": "events[1]",
        "message": 'missing required field "title"'}
    assert missing == {
        "path": "bad/missing.yaml", "valid": False, "files": 0, "objects": {}, "problems": 1,
        "issues": [], "error": "bad/missing.yaml: no such file or directory"}


def test_json_for_valid_paths_exits_0(cli: Run):
    document = json.loads(cli("validate", "--sandbox", "--format", "json", "good/single.yaml",
                              str(GOOD / "dir")).stdout)
    assert document["valid"] is True and document["problems"] == 0
    assert [Path(entry["path"]).name for entry in document["paths"]] == ["single.yaml", "dir"]
