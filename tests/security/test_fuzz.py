"""Fuzzing the CLI with hostile configuration files (`tests/fixtures/hostile.py`), in-process.

Whatever bytes a pull request commits as `*.yaml`, `validate` exits 0 or 1 and `plan` (against
the sandbox) 0, 1 or 2; neither prints a traceback or "internal error", and an exit 1 always
says why. What `validate` accepts, `plan` does not refuse for the configuration's own content.
How long a run takes and how much memory it holds is measured, not asserted, by
`python -m benchmarks.fuzz_limits` over the same corpus.

CI runs a few hundred examples; the slow tier (`-m slow`) runs over a thousand.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings

from tests.fixtures.hostile import hostile_files
from tests.fixtures.repo import Repo, Run

FUZZ = settings(
    database=None,  # nothing written into the repository
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.large_base_example,
                           HealthCheck.filter_too_much],
)
settings.register_profile("fuzz", FUZZ)
CI = settings(settings.get_profile("fuzz"), max_examples=200)
CI_PLAN = settings(settings.get_profile("fuzz"), max_examples=80)
SLOW = settings(settings.get_profile("fuzz"), max_examples=1_000)

VALIDATE_EXITS = {0, 1}
PLAN_EXITS = {0, 1, 2}  # with --detailed-exitcode
# What plan may still refuse after validate accepted: facts only the remote state holds.
REMOTE_FACTS = ("assignments matches", "select {", "is already managed as", "is also selected by",
                "cannot be created")


def answered(result: Result, exits: set[int]) -> None:
    """The run ended as documented: a known exit code, one-line errors, no traceback."""
    assert result.exit_code in exits, (result.exit_code, result.output, result.exception)
    # SystemExit (not an Exception) is how the CLI exits; anything else escaped its handler.
    assert not isinstance(result.exception, Exception), repr(result.exception)
    assert "Traceback" not in result.output
    assert "internal error" not in result.output, result.output
    if result.exit_code == 1:
        assert result.stderr.strip(), "an error must say something"


def check_validate(cli: Run, folder: Path, content: bytes) -> None:
    (folder / "fuzz.yaml").write_bytes(content)
    answered(cli("validate", "--sandbox", folder, expect=None), VALIDATE_EXITS)


def check_plan(repo: Repo, cli: Run, content: bytes) -> None:
    (repo.root / "fuzz.yaml").write_bytes(content)
    validated = cli("validate", repo.root, expect=None)
    answered(validated, VALIDATE_EXITS)
    planned = cli("plan", "--detailed-exitcode", repo.root, expect=None)
    answered(planned, PLAN_EXITS)
    if validated.exit_code == 0 and planned.exit_code == 1:
        assert any(fact in planned.stderr for fact in REMOTE_FACTS), (
            "validate said Valid, plan refused:\n" + planned.stderr
        )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "config"
    path.mkdir()
    return path


@CI
@given(content=hostile_files)
def test_validate_answers_every_hostile_file(cli: Run, folder: Path, content: bytes) -> None:
    check_validate(cli, folder, content)


@CI_PLAN
@given(content=hostile_files)
def test_plan_answers_every_hostile_file_and_agrees_with_validate(
    repo: Repo, cli: Run, content: bytes
) -> None:
    check_plan(repo, cli, content)


@pytest.mark.slow
@SLOW
@given(content=hostile_files)
def test_validate_answers_every_hostile_file_1000(cli: Run, folder: Path, content: bytes) -> None:
    check_validate(cli, folder, content)


@pytest.mark.slow
@SLOW
@given(content=hostile_files)
def test_plan_answers_every_hostile_file_and_agrees_with_validate_1000(
    repo: Repo, cli: Run, content: bytes
) -> None:
    check_plan(repo, cli, content)
