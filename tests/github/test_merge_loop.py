"""Closing the loop on merge: the apply job applies the plan reviewed on the pull request (its
plan job's artifact, found through the API and verified before anything is sent) and posts the
result on the merged pull request (the Action's scripts against the sandbox and a fake GitHub;
the runner plays actions/download-artifact with the plan file the pull request's run saved)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.action import (
    MERGE_SHA,
    PR_HEAD,
    PR_NUMBER,
    REPOSITORY,
    folder_events,
    schedule_folder,
)
from tests.fixtures.action_runner import ActionResult, Runner
from tests.fixtures.fake_github import FakeGitHub

FOLDER = "schedules/london"
STACK = "london-office"
ARTIFACT = "reconciler-plan-schedules-london"
PLAN_RUN = 9300000001
KEY = "plan-signing-key-0123456789abcdef"


@pytest.fixture
def london(runner: Runner, sandbox_url: str) -> Path:
    return schedule_folder(runner.workspace, FOLDER, origin=sandbox_url, stack=STACK,
                           events=folder_events(("board-dinner", 12)))


def reviewed_plan(runner: Runner, apply_runner: Runner, fake_github: FakeGitHub) -> Path:
    """Plan on the pull request (signed), keep its plan file as the artifact, merge."""
    runner.env["GITHUB_RUN_ID"] = str(PLAN_RUN)
    planned = runner.run({"command": "plan", "path": FOLDER, "comment": "true", "plan-key": KEY})
    assert planned.ok, planned.stderr
    plan_file = Path(planned.outputs["plan-file"])
    # Older artifacts of the name, and an expired one of this very commit, are passed over.
    fake_github.upload(REPOSITORY, ARTIFACT, run_id=PLAN_RUN - 5, head_sha="0ld" * 13 + "0")
    fake_github.upload(REPOSITORY, ARTIFACT, run_id=PLAN_RUN, head_sha=PR_HEAD)
    fake_github.upload(REPOSITORY, ARTIFACT, run_id=PLAN_RUN - 1, head_sha=PR_HEAD, expired=True)
    fake_github.merge(REPOSITORY, PR_NUMBER, head_sha=PR_HEAD, merge_sha=MERGE_SHA)
    apply_runner.artifacts[ARTIFACT] = plan_file
    return plan_file


def apply(runner: Runner, **inputs: str) -> ActionResult:
    runner.env["GITHUB_RUN_ID"] = "9300000099"
    return runner.run({"command": "apply", "path": FOLDER, "plan-artifact": ARTIFACT,
                       "comment": "true", "plan-key": KEY, **inputs})


def apply_comments(fake_github: FakeGitHub) -> list[str]:
    return [str(c["body"]) for c in fake_github.on(REPOSITORY, PR_NUMBER)
            if c["body"].startswith(f'<!-- reconciler-apply path="{FOLDER}"')]


def apply_comment(fake_github: FakeGitHub) -> str:
    (body,) = apply_comments(fake_github)
    return body


def test_the_merge_applies_the_reviewed_plan_and_reports_on_the_pull_request(
    runner: Runner, push_runner: Runner, fake_github: FakeGitHub, london: Path, sandbox
):
    reviewed_plan(runner, push_runner, fake_github)
    sandbox.requests.clear()
    fake_github.calls.clear()

    applied = apply(push_runner)
    assert applied.ok, applied.stderr + applied.stdout
    assert (applied.outputs["exitcode"], applied.outputs["creates"]) == ("0", "1")
    assert applied.outputs["scope"] == STACK
    # The artifact of the pull request's head commit, from its plan run, with the job's token.
    (download,) = applied.downloads
    assert download["name"] == ARTIFACT and download["run-id"] == str(PLAN_RUN)
    assert download["github-token"] == push_runner.token
    # Applied as reviewed: the remote was listed (to verify it), then exactly one create.
    writes = [(r.method, r.path) for r in sandbox.requests.snapshot()
              if r.method != "GET" and not r.path.endswith("/auth/login")]
    assert writes == [("POST", "/prospero/events")]

    calls = [(call.method, call.path) for call in fake_github.calls]
    assert calls[:2] == [
        ("GET", f"/repos/{REPOSITORY}/commits/{MERGE_SHA}/pulls"),
        ("GET", f"/repos/{REPOSITORY}/actions/artifacts"),
    ]
    assert calls[2:] == [("POST", f"/repos/{REPOSITORY}/issues/{PR_NUMBER}/comments")]
    body = apply_comment(fake_github)
    lines = body.splitlines()
    assert lines[0] == f'<!-- reconciler-apply path="{FOLDER}" scope="{STACK}" -->'
    assert lines[1] == f"### reconciler apply: `{FOLDER}` · scope `{STACK}`"
    assert "✅ **Applied**: 1 applied, 0 failed, 0 not attempted." in lines
    assert (f"The plan reviewed on #{PR_NUMBER} ([its plan run](https://github.com/{REPOSITORY}"
            f"/actions/runs/{PLAN_RUN}), commit `9f2c4e1`), verified before anything was sent."
            ) in lines
    assert "| ✅ applied | `events.board-dinner` | create | — |" in lines
    assert f"reconciler for commit `{MERGE_SHA[:7]}`" in body
    # The plan comment of the pull request is a different one, and stays.
    assert len(fake_github.on(REPOSITORY, PR_NUMBER)) == 2

    # A re-run of the job finds the reviewed plan done: it no longer holds, and is refused. Its
    # result is a comment of its own, below the first, which keeps saying what was applied.
    again = apply(push_runner)
    assert not again.ok
    first, second = apply_comments(fake_github)
    assert first == body
    assert "❌ **Not applied**" in second
    assert "Error: .reconciler/reviewed-plan.json is stale: the remote state of the objects it " \
        "changes is not what it was when the plan was made" in second


def test_a_stale_reviewed_plan_fails_with_the_way_through(
    runner: Runner, push_runner: Runner, fake_github: FakeGitHub, london: Path, sandbox
):
    reviewed_plan(runner, push_runner, fake_github)
    # Main moved on after the review: another merge changed this configuration.
    (london / "events.yaml").write_text(folder_events(("board-dinner", 16)), encoding="utf-8")
    sandbox.requests.clear()

    refused = apply(push_runner)
    assert not refused.ok
    assert refused.outputs["exitcode"] == "1"
    errors = refused.commands("error")
    assert any("was made for another configuration" in line and "events.yaml changed" in line
               for line in errors), errors
    assert [r for r in sandbox.requests.snapshot() if r.method != "GET"] == []  # nothing sent
    body = apply_comment(fake_github)
    assert "❌ **Not applied**: `reconciler apply` failed (exit 1)." in body
    assert ("The reviewed plan no longer holds, so nothing was applied: run the `apply` workflow "
            "by hand (`workflow_dispatch`)") in body


def test_a_changed_artifact_is_refused_under_the_plan_key(
    runner: Runner, push_runner: Runner, fake_github: FakeGitHub, london: Path, sandbox
):
    plan_file = reviewed_plan(runner, push_runner, fake_github)
    document = json.loads(plan_file.read_text(encoding="utf-8"))
    document["changes"][0]["requests"][0]["body"]["event"]["capacity"] = 400
    plan_file.write_text(json.dumps(document), encoding="utf-8")

    refused = apply(push_runner)
    assert not refused.ok
    assert any("the signature does not match" in line for line in refused.commands("error"))
    # Refused before the configuration was even read: not one request.
    assert sandbox.requests.snapshot()[-1].method == "GET"  # the plan's, before the change
    assert "❌ **Not applied**" in apply_comment(fake_github)


@pytest.mark.parametrize("planted", [".reconciler", ".reconciler/reviewed-plan.json"])
def test_a_link_committed_where_the_reviewed_plan_is_copied_is_refused(
    runner: Runner, push_runner: Runner, fake_github: FakeGitHub, london: Path, sandbox,
    tmp_path: Path, planted: str,
):
    """`cp` would write through it: into any folder, or over any file, the job can write."""
    reviewed_plan(runner, push_runner, fake_github)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "reviewed-plan.json").write_text("the user's own file\n", encoding="utf-8")
    link = push_runner.workspace / planted
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(victim if planted == ".reconciler" else victim / "reviewed-plan.json")
    sandbox.requests.clear()

    refused = apply(push_runner)
    assert not refused.ok
    assert refused.outputs["exitcode"] == "1"
    assert any(f"{planted} is a symbolic link, and the reviewed plan is never copied through "
               "one: remove it from the repository" in line
               for line in refused.commands("error")), refused.stdout
    assert (victim / "reviewed-plan.json").read_text(encoding="utf-8") == "the user's own file\n"
    assert sandbox.requests.snapshot() == []
    assert "❌ **Not applied**" in apply_comment(fake_github)


def test_a_merged_pull_request_without_a_reviewed_plan_applies_nothing(
    runner: Runner, push_runner: Runner, fake_github: FakeGitHub, london: Path, sandbox
):
    fake_github.merge(REPOSITORY, PR_NUMBER, head_sha=PR_HEAD, merge_sha=MERGE_SHA)
    fake_github.upload(REPOSITORY, ARTIFACT, run_id=PLAN_RUN, head_sha="feed" * 10)

    refused = apply(push_runner)
    assert not refused.ok
    assert refused.downloads == []
    assert any(f"#{PR_NUMBER} was merged without a reviewed plan of {FOLDER}" in line
               and "9f2c4e1" in line for line in refused.commands("error"))
    assert sandbox.requests.snapshot() == []  # not even a list: nothing was planned
    body = apply_comment(fake_github)
    assert ("Without the reviewed plan nothing was applied: run the `apply` workflow by hand "
            "(`workflow_dispatch`)") in body


def test_a_direct_push_is_planned_afresh_and_applied(
    push_runner: Runner, fake_github: FakeGitHub, london: Path
):
    applied = apply(push_runner)
    assert applied.ok, applied.stderr
    assert applied.downloads == []
    planned, reported = applied.commands("notice")
    assert f"no pull request merged {MERGE_SHA[:7]}: {FOLDER} is planned afresh" in planned
    assert "the apply result is in the job summary only" in reported
    assert "✅ **Applied**: 1 applied, 0 failed, 0 not attempted." in applied.summary
    assert "<details><summary>The plan</summary>" in applied.summary  # never reviewed: shown
    assert fake_github.writes() == []


def test_a_plan_the_rail_refuses_goes_through_only_by_a_dispatch_with_force(
    runner: Runner, push_runner: Runner, dispatch_runner: Runner, fake_github: FakeGitHub,
    london: Path,
):
    ten = [(f"hearing-{n}", 12) for n in range(10)]
    (london / "events.yaml").write_text(folder_events(*ten), encoding="utf-8")
    first = push_runner.run({"command": "apply", "path": FOLDER})
    assert first.ok, first.stderr
    # The pull request changes 4 of the 10 managed events: more than 30 %.
    (london / "events.yaml").write_text(
        folder_events(*[(key, 20 if n < 4 else capacity) for n, (key, capacity) in
                        enumerate(ten)]), encoding="utf-8")
    reviewed_plan(runner, push_runner, fake_github)

    refused = apply(push_runner)
    assert not refused.ok
    assert any("4 of 10 managed events" in line for line in refused.commands("error"))
    body = apply_comment(fake_github)
    assert ("The safety rail holds this plan back: it goes through only by a person's decision. "
            "Review it, then run the `apply` workflow by hand with its `force` input "
            "(`args: --force`).") in body

    forced = dispatch_runner.run({"command": "apply", "path": FOLDER, "comment": "true",
                                  "args": "--force"})
    assert forced.ok, forced.stderr
    # Posted on the pull request that merged main's head (looked up), below the refusal.
    refusal, done = apply_comments(fake_github)
    assert refusal == body
    assert "✅ **Applied**: 4 applied, 0 failed, 0 not attempted." in done
    assert done.count("| ✅ applied |") == 4
    assert "Planned afresh from this commit (not reviewed on a pull request)" in done
    assert "<details><summary>The plan</summary>" in done


SHARED_FIX = (
    "the plan job and the apply job pass different options: plan had none, apply has --prune; "
    "put shared options in providers.yaml's defaults: block"
)


def test_an_apply_job_given_an_option_the_plan_job_lacked_names_the_fix(
    runner: Runner, push_runner: Runner, fake_github: FakeGitHub, london: Path, sandbox
):
    reviewed_plan(runner, push_runner, fake_github)
    sandbox.requests.clear()

    refused = apply(push_runner, args="--prune")
    assert not refused.ok
    errors = refused.commands("error")
    assert any(SHARED_FIX in line for line in errors), errors
    assert not any("reviewed-plan.json" in line for line in errors), errors
    assert sandbox.requests.snapshot() == []  # refused before the configuration was read


def test_options_in_defaults_reach_the_plan_job_and_the_apply_job_alike(
    runner: Runner, push_runner: Runner, fake_github: FakeGitHub, london: Path, sandbox
):
    providers = london / "providers.yaml"
    providers.write_text(
        providers.read_text(encoding="utf-8") + "defaults:\n  prune: true\n  strict: true\n",
        encoding="utf-8",
    )
    plan_file = reviewed_plan(runner, push_runner, fake_github)
    source = json.loads(plan_file.read_text(encoding="utf-8"))["source"]
    assert (source["prune"], source["strict"]) == (True, True)

    applied = apply(push_runner, args="--prune")  # the same option as the plan's: accepted
    assert applied.ok, applied.stderr + applied.stdout
    writes = [(r.method, r.path) for r in sandbox.requests.snapshot()
              if r.method != "GET" and not r.path.endswith("/auth/login")]
    assert writes[-1:] == [("POST", "/prospero/events")]
