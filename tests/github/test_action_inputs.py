"""The Action's `plan-key` (signed plans) and `on-drift` inputs, run as the runner runs them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.fixtures.action import event_yaml
from tests.fixtures.action_runner import Runner

KEY = "a-long-random-plan-signing-key"


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root, capture_output=True, text=True, check=True,
    )
    return done.stdout.strip()


def test_plan_key_signs_the_plan_and_apply_verifies_it(push_runner: Runner):
    planned = push_runner.run({"command": "plan", "plan-key": KEY})
    assert planned.outputs["exitcode"] == "2", planned.stderr
    document = json.loads(Path(planned.outputs["plan-file"]).read_text(encoding="utf-8"))
    assert document["signature"].startswith("hmac-sha256:")
    assert KEY not in planned.stdout + planned.stderr

    applied = push_runner.run({"command": "apply", "plan-key": KEY})
    assert applied.outputs["exitcode"] == "0", applied.stdout
    assert "events.board-dinner: created" in applied.summary


def test_an_empty_plan_key_keeps_the_key_the_job_sets(push_runner: Runner):
    push_runner.env["RECONCILER_PLAN_KEY"] = KEY
    planned = push_runner.run({"command": "plan"})
    document = json.loads(Path(planned.outputs["plan-file"]).read_text(encoding="utf-8"))
    assert document["signature"].startswith("hmac-sha256:")


def test_on_drift_fail_refuses_an_apply_that_would_revert_a_remote_edit(push_runner: Runner):
    workspace = push_runner.workspace
    git(workspace, "init", "-q", "-b", "main")
    git(workspace, "add", ".")
    git(workspace, "commit", "-q", "-m", "base")
    assert push_runner.run({"command": "apply"}).outputs["exitcode"] == "0"
    base = git(workspace, "rev-parse", "HEAD")

    # The event is retitled remotely (here by an apply from a branch that is then dropped);
    # the push raises its capacity and declares the title as the base commit did.
    (workspace / "events.yaml").write_text(event_yaml(title="Board dinner (moved)"))
    assert push_runner.run({"command": "apply"}).outputs["exitcode"] == "0"
    (workspace / "events.yaml").write_text(event_yaml(capacity=14))
    git(workspace, "commit", "-q", "-am", "more seats")

    inputs = {"command": "apply", "base-ref": base, "on-drift": "fail"}
    refused = push_runner.run(inputs)
    assert refused.outputs["exitcode"] == "1"
    assert "the plan would revert remote edits (--on-drift fail): events.board-dinner (title)" in (
        refused.stdout
    )
    plan = json.loads(Path(refused.outputs["plan-file"]).read_text(encoding="utf-8"))
    assert plan["source"]["on_drift"] == "fail"

    kept = push_runner.run({**inputs, "on-drift": "keep"})
    assert kept.outputs["exitcode"] == "0", kept.stdout
    (change,) = json.loads(Path(kept.outputs["plan-file"]).read_text(encoding="utf-8"))["changes"]
    assert change["requests"][0]["body"] == {"capacity": 14}


def test_the_policy_input_annotates_findings_and_refuses_the_apply(push_runner: Runner):
    """A mandatory finding is an error annotation on the plan, and the apply writes nothing."""
    folder = push_runner.workspace / "policies"
    folder.mkdir()
    (folder / "rooms.policy.yaml").write_text(
        """rules:
  - name: big-rooms-only
    level: mandatory
    kinds: [events]
    deny: change.after.capacity < 20
    message: book a room for 20 or more
""",
        encoding="utf-8",
    )
    planned = push_runner.run({"command": "plan", "policy": "policies"})
    assert planned.outputs["exitcode"] == "2", planned.stderr
    assert (
        "::error title=reconciler plan%3A policy::mandatory policy big-rooms-only: "
        "events.board-dinner: book a room for 20 or more"
    ) in planned.stdout
    applied = push_runner.run({"command": "apply", "policy": "policies"})
    assert applied.outputs["exitcode"] == "1"
    assert "refusing to apply: mandatory policy big-rooms-only" in applied.stdout
