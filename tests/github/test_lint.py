"""action.yml and the example workflows against GitHub's published schemas, actionlint and
shellcheck, plus the policies the schemas cannot express (no `${{ }}` in scripts, least
privilege, applies never overlapping)."""

from __future__ import annotations

import os
import re
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


# A commented alternative: a `with:` key written out in a comment, to uncomment as it is.
COMMENTED_KEY = re.compile(r"^(?P<indent>\s*)# (?P<entry>[a-z][a-z0-9_-]*: \S.*)$", re.MULTILINE)


def test_every_commented_alternative_uncommented_still_passes(tmp_path: Path):
    """Uncommenting what a workflow offers in a comment gives a workflow that actionlint and
    GitHub's workflow schema accept (no duplicate key, no unknown input)."""
    (tmp_path / ".git").mkdir()
    shutil.copy(ACTION, tmp_path / "action.yml")
    target = tmp_path / ".github" / "workflows"
    target.mkdir(parents=True)
    for path in WORKFLOWS:
        text = path.read_text(encoding="utf-8").replace(PUBLISHED, "./")
        (target / path.name).write_text(
            COMMENTED_KEY.sub(r"\g<indent>\g<entry>", text), encoding="utf-8"
        )
    uncommented = [str(target / path.name) for path in WORKFLOWS]
    done = run(tool("actionlint"), "-oneline", *uncommented, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    done = run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
               *uncommented)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_shape_of_a_commented_alternative_is_recognised(tmp_path: Path):
    """The uncommenting above finds a commented `with:` key: the duplicate `args` that the
    apply workflow once suggested fails actionlint."""
    (tmp_path / ".git").mkdir()
    shutil.copy(ACTION, tmp_path / "action.yml")
    target = tmp_path / ".github" / "workflows"
    target.mkdir(parents=True)
    text = (ROOT / "examples/.github/workflows/apply.yml").read_text(encoding="utf-8")
    suggested = text.replace(PUBLISHED, "./").replace(
        "          base-ref:", "          # args: --prune\n          base-ref:", 1)
    (target / "apply.yml").write_text(COMMENTED_KEY.sub(r"\g<indent>\g<entry>", suggested))
    done = run(tool("actionlint"), "-oneline", str(target / "apply.yml"), cwd=tmp_path)
    assert done.returncode != 0
    assert '"args" is duplicated' in done.stdout + done.stderr


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
        "command", "path", "args", "base-ref", "on-drift", "policy", "plan-key", "plan-artifact",
        "comment",
        "fail-on-changes", "github-token", "python-version",
    ]
    assert action["inputs"]["fail-on-changes"]["default"] == "false"
    # Empty: providers.yaml's `defaults:` decide, for the plan job and the apply job alike.
    assert action["inputs"]["on-drift"]["default"] == ""
    assert action["inputs"]["plan-key"]["default"] == ""
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert {"exitcode", "has_changes", "creates", "updates", "deletes", "plan-file",
            "scope"} <= set(action["outputs"])
    uses = [step["uses"] for step in action["runs"]["steps"] if "uses" in step]
    assert uses == ["actions/setup-python@v6", "actions/download-artifact@v7"]
    download = next(s for s in action["runs"]["steps"] if "download-artifact" in s.get("uses", ""))
    assert download["if"] == "steps.reviewed.outputs.run-id != ''"
    assert download["with"]["run-id"] == "${{ steps.reviewed.outputs.run-id }}"
    install = next(step for step in action["runs"]["steps"] if step.get("name") == "Install "
                   "reconciler")
    assert 'pip install --disable-pip-version-check --quiet "$GITHUB_ACTION_PATH"' in install["run"]


@pytest.mark.parametrize(
    ("name", "permissions"),
    [
        ("plan.yml", {"contents": "read", "pull-requests": "write"}),
        ("apply.yml", {"contents": "read", "actions": "read", "pull-requests": "write"}),
        ("drift.yml", {"contents": "read", "issues": "write"}),
    ],
)
def test_each_workflow_has_least_privilege(name: str, permissions: dict[str, str]):
    document = workflow(name)
    assert document["permissions"] == permissions
    jobs = document["jobs"].values()
    assert all("permissions" not in job for job in jobs)  # nothing widened per job
    users = [job for job in jobs if any(step.get("uses") == PUBLISHED for step in job["steps"])]
    assert len(users) == 1
    (action_step,) = [step for step in users[0]["steps"] if step.get("uses") == PUBLISHED]
    for secret in ("PREVAIL_API_KEY", "PROSPERO_PASSWORD", "PREVISTO_API_KEY"):
        assert action_step["env"][secret] == f"${{{{ secrets.{secret} }}}}"


def action_step(document: dict[Any, Any], job: str) -> dict[str, Any]:
    return next(s for s in document["jobs"][job]["steps"] if s.get("uses") == PUBLISHED)


def test_each_configuration_has_its_own_job_and_the_key_one_concurrency_group():
    plan, apply, drift = workflow("plan.yml"), workflow("apply.yml"), workflow("drift.yml")
    for document, job, listing in ((plan, "plan", "touched"), (apply, "apply", "touched"),
                                   (drift, "drift", "all")):
        assert "concurrency" not in document  # a workflow-wide group would queue every folder
        matrix_job = document["jobs"][job]
        assert matrix_job["needs"] == "folders"
        assert matrix_job["strategy"]["matrix"]["include"] == (
            f"${{{{ fromJSON(needs.folders.outputs.{listing}) }}}}")
        assert action_step(document, job)["with"]["path"] == "${{ matrix.folder }}"
    # A plan is superseded by the pull request's next push.
    assert plan["jobs"]["plan"]["concurrency"]["cancel-in-progress"] is True
    assert "${{ matrix.name }}" in plan["jobs"]["plan"]["concurrency"]["group"]
    assert "github.event.pull_request.number" in plan["jobs"]["plan"]["concurrency"]["group"]
    # Applies and drift checks of folders that share the API key (one set of secrets) take
    # turns in one group, on whatever runners they land: a running one is never cancelled, and
    # those pending wait in order instead of replacing each other.
    key_group = {"group": "reconciler-key-default", "cancel-in-progress": False, "queue": "max"}
    assert apply["jobs"]["apply"]["concurrency"] == key_group
    assert drift["jobs"]["drift"]["concurrency"] == key_group


def test_the_triggers_and_the_loop_from_review_to_apply():
    plan, apply, drift = workflow("plan.yml"), workflow("apply.yml"), workflow("drift.yml")
    assert plan["on"]["pull_request"]["paths"] == ["**.yaml", "**.yml", "!.github/**"]
    assert apply["on"]["push"]["branches"] == ["main"]
    assert set(drift["on"]) == {"schedule", "workflow_dispatch"}
    planned = action_step(plan, "plan")
    assert planned["with"]["comment"] is True
    assert planned["with"]["plan-key"] == "${{ secrets.RECONCILER_PLAN_KEY }}"
    upload = next(s for s in plan["jobs"]["plan"]["steps"]
                  if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["name"] == "reconciler-plan-${{ matrix.name }}"
    assert upload["with"]["path"] == "${{ steps.plan.outputs.plan-file }}"
    # The merge applies what was uploaded under that name; the other runs plan afresh.
    applied = action_step(apply, "apply")
    assert applied["with"]["plan-artifact"] == (
        "${{ github.event_name == 'push' && format('reconciler-plan-{0}', matrix.name) || '' }}")
    assert applied["with"]["plan-key"] == planned["with"]["plan-key"]
    # The options a plan is made with come from providers.yaml's `defaults:`, which both jobs
    # read: neither job passes its own.
    assert "on-drift" not in applied["with"] and "on-drift" not in planned["with"]
    assert "args" not in planned["with"]
    # `force` exists only as a person's explicit choice on a manual run.
    force = apply["on"]["workflow_dispatch"]["inputs"]["force"]
    assert (force["type"], force["default"]) == ("boolean", False)
    assert applied["with"]["args"] == "${{ inputs.force && '--force' || '' }}"
    assert drift_step_command(drift) == "drift"
    issue_step = next(s for s in drift["jobs"]["drift"]["steps"]
                      if s.get("name") == "Open or update the drift issue")
    assert issue_step["if"] == "steps.drift.outputs.exitcode == '2'"


def drift_step_command(drift: dict[Any, Any]) -> str:
    return str(action_step(drift, "drift")["with"]["command"])


def listing_script(name: str) -> str:
    (step,) = [step for job in workflow(name)["jobs"].values() for step in job["steps"]
               if step.get("id") in ("touched", "all")]
    return str(step["run"])


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=CI", "-c", "user.email=ci@example.com", *args],
                          cwd=root, check=True, capture_output=True, text=True).stdout.strip()


def folders_listed(root: Path, name: str, **env: str) -> list[dict[str, str]]:
    output = root / "output"
    output.write_text("", encoding="utf-8")
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", listing_script(name)],
        cwd=root, capture_output=True, text=True, timeout=60,
        env={"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(output), **env})
    assert done.returncode == 0, done.stderr
    key, _, value = output.read_text(encoding="utf-8").strip().partition("=")
    assert key == "folders"
    listed: list[dict[str, str]] = __import__("json").loads(value)
    return listed


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq (on GitHub's runners) is not installed")
def test_the_folder_listings_find_the_configurations_a_change_touches(tmp_path: Path):
    for folder in ("schedules/london", "schedules/paris", "schedules/new york"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "providers.yaml").write_text("version: 1\n", encoding="utf-8")
        (tmp_path / folder / "events.yaml").write_text("version: 1\n", encoding="utf-8")
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "providers.yaml").write_text("not a configuration\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    base = git(tmp_path, "rev-parse", "HEAD")
    git(tmp_path, "update-ref", "refs/remotes/origin/main", base)
    (tmp_path / "schedules/new york/events.yaml").write_text("version: 1\nevents: []\n")
    git(tmp_path, "commit", "-q", "-am", "change new york")

    new_york = [{"folder": "schedules/new york", "name": "schedules-new-york"}]
    everything = [{"folder": f"schedules/{town}", "name": f"schedules-{town.replace(' ', '-')}"}
                  for town in ("london", "new york", "paris")]
    assert folders_listed(tmp_path, "plan.yml", BASE="origin/main") == new_york
    assert folders_listed(tmp_path, "apply.yml", SINCE=base) == new_york
    # The morning run, a manual run (no SINCE), a push whose `before` is unknown: all of them.
    assert folders_listed(tmp_path, "apply.yml", SINCE="") == everything
    assert folders_listed(tmp_path, "apply.yml", SINCE="0" * 40) == everything
    assert folders_listed(tmp_path, "drift.yml") == everything
    assert folders_listed(tmp_path, "plan.yml", BASE="HEAD") == []
