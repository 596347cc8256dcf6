"""action.yml and the example workflows against GitHub's published schemas, actionlint and
shellcheck, plus the policies the schemas cannot express (no `${{ }}` in scripts, least
privilege, applies never overlapping)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures.action_runner import ACTION, BIN, ROOT, load_action

WORKFLOWS = sorted((ROOT / "examples" / ".github" / "workflows").glob("*.yml"))
PUBLISHED = "reconciler/reconciler@v1"


def tool(name: str) -> str:
    path = BIN / name
    assert path.exists(), f"{name} is missing: install the test extra (pip install -e '.[test]')"
    return str(path)


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def workflow(name: str) -> dict[Any, Any]:
    # PyYAML reads the bare key `on` as True (YAML 1.1); GitHub reads it as "on".
    document: dict[Any, Any] = yaml.safe_load(
        (ROOT / "examples/.github/workflows" / name).read_text(encoding="utf-8")
    )
    document["on"] = document.pop(True)
    return document


def test_the_examples_are_the_three_workflows():
    assert [path.name for path in WORKFLOWS] == ["apply.yml", "drift.yml", "plan.yml"]


def test_action_yml_matches_githubs_action_schema():
    done = run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(ACTION))
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_match_githubs_workflow_schema():
    done = run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
               *map(str, WORKFLOWS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_passes_the_workflows_as_published():
    done = run(tool("actionlint"), "-oneline", *map(str, WORKFLOWS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_checks_the_workflows_against_this_action(tmp_path: Path):
    """With `uses: ./`, actionlint reads action.yml: every `with:` input and every output the
    workflows read must exist."""
    (tmp_path / ".git").mkdir()  # what actionlint takes for a repository root
    shutil.copy(ACTION, tmp_path / "action.yml")
    target = tmp_path / ".github" / "workflows"
    target.mkdir(parents=True)
    for path in WORKFLOWS:
        text = path.read_text(encoding="utf-8")
        assert PUBLISHED in text
        (target / path.name).write_text(text.replace(PUBLISHED, "./"), encoding="utf-8")
    done = run(tool("actionlint"), "-oneline", *(str(target / p.name) for p in WORKFLOWS),
               cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr

    (target / "plan.yml").write_text(
        (target / "plan.yml").read_text().replace("comment: true", "comment: true\n          x: 1"))
    done = run(tool("actionlint"), "-oneline", str(target / "plan.yml"), cwd=tmp_path)
    assert 'input "x" is not defined in action "reconciler"' in done.stdout


@pytest.mark.parametrize(
    "step", [s for s in load_action()["runs"]["steps"] if "run" in s], ids=lambda s: s["name"]
)
def test_the_actions_scripts_pass_shellcheck(step: dict[str, Any], tmp_path: Path):
    script = tmp_path / "step.sh"
    script.write_text(step["run"], encoding="utf-8")
    done = run(tool("shellcheck"), "--shell=bash", str(script))
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_expression_is_interpolated_into_a_script():
    steps = [*load_action()["runs"]["steps"]]
    for path in WORKFLOWS:
        for job in workflow(path.name)["jobs"].values():
            steps.extend(job["steps"])
    scripts = [step["run"] for step in steps if "run" in step]
    assert scripts
    assert all("${{" not in script for script in scripts)


def test_the_action_is_composite_with_the_documented_interface():
    action = load_action()
    assert action["runs"]["using"] == "composite"
    assert list(action["inputs"]) == [
        "command", "path", "args", "base-ref", "on-drift", "plan-key", "comment",
        "fail-on-changes", "github-token", "python-version",
    ]
    assert action["inputs"]["fail-on-changes"]["default"] == "false"
    assert action["inputs"]["on-drift"]["default"] == "revert"
    assert action["inputs"]["plan-key"]["default"] == ""
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert {"exitcode", "has_changes", "creates", "updates", "deletes", "plan-file"} <= set(
        action["outputs"]
    )
    uses = [step["uses"] for step in action["runs"]["steps"] if "uses" in step]
    assert uses == ["actions/setup-python@v6"]
    install = next(step for step in action["runs"]["steps"] if step.get("name") == "Install "
                   "reconciler")
    assert 'pip install --disable-pip-version-check --quiet "$GITHUB_ACTION_PATH"' in install["run"]


@pytest.mark.parametrize(
    ("name", "permissions"),
    [
        ("plan.yml", {"contents": "read", "pull-requests": "write"}),
        ("apply.yml", {"contents": "read"}),
        ("drift.yml", {"contents": "read", "issues": "write"}),
    ],
)
def test_each_workflow_has_least_privilege(name: str, permissions: dict[str, str]):
    document = workflow(name)
    assert document["permissions"] == permissions
    for job in document["jobs"].values():
        assert "permissions" not in job  # nothing widened per job
        action_steps = [step for step in job["steps"] if step.get("uses") == PUBLISHED]
        assert len(action_steps) == 1
        env = action_steps[0]["env"]
        for secret in ("PREVAIL_API_KEY", "PROSPERO_PASSWORD", "PREVISTO_API_KEY"):
            assert env[secret] == f"${{{{ secrets.{secret} }}}}"


def test_the_triggers_and_concurrency():
    plan, apply, drift = workflow("plan.yml"), workflow("apply.yml"), workflow("drift.yml")
    assert "pull_request" in plan["on"]
    assert apply["on"]["push"]["branches"] == ["main"]
    assert apply["concurrency"]["cancel-in-progress"] is False
    assert apply["concurrency"]["group"]
    assert set(drift["on"]) == {"schedule", "workflow_dispatch"}
    plan_step = next(s for s in plan["jobs"]["plan"]["steps"] if s.get("uses") == PUBLISHED)
    assert plan_step["with"]["comment"] is True
    drift_step = next(s for s in drift["jobs"]["drift"]["steps"] if s.get("uses") == PUBLISHED)
    assert drift_step["with"]["command"] == "drift"
    issue_step = next(s for s in drift["jobs"]["drift"]["steps"]
                      if s.get("name") == "Open or update the drift issue")
    assert issue_step["if"] == "steps.drift.outputs.exitcode == '2'"
