"""The Action's own scripts, run as the runner runs them, against the sandbox and a fake GitHub."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import icalendar

from tests.fixtures.action import PR_NUMBER, REPOSITORY, event_yaml, mask_lines
from tests.fixtures.action_runner import ActionResult, Runner
from tests.fixtures.fake_github import FakeGitHub

# The comment of the plan of `.`, whatever its scope.
MARKER = '<!-- reconciler-plan path="." '



def plan(runner: Runner, *, run_id: str, **inputs: str) -> ActionResult:
    runner.env["GITHUB_RUN_ID"] = run_id
    result = runner.run({"command": "plan", "path": ".", "comment": "true", **inputs})
    assert result.skipped == ["actions/setup-python@v6"]
    return result


def test_two_plans_on_one_pull_request_leave_one_comment_edited(
    runner: Runner, fake_github: FakeGitHub
):
    # Someone else's comments fill more than one page of 100: ours must be found on page 2.
    fake_github.seed(REPOSITORY, PR_NUMBER, [f"LGTM {n}" for n in range(120)])

    first = plan(runner, run_id="9100000001")
    assert first.ok, first.stderr
    assert first.outputs["exitcode"] == "2"
    assert first.outputs["has_changes"] == "true"
    assert (first.outputs["creates"], first.outputs["updates"], first.outputs["deletes"]) == (
        "1", "0", "0")
    ours = [c for c in fake_github.on(REPOSITORY, PR_NUMBER) if c["body"].startswith(MARKER)]
    assert len(ours) == 1
    assert "`events.board-dinner`" in ours[0]["body"]
    assert "/acme-legal/schedule/actions/runs/9100000001" in ours[0]["body"]
    assert "9f2c4e1" in ours[0]["body"]  # the PR head commit the plan is for
    assert [call.method for call in fake_github.writes()] == ["POST"]
    listed = [call for call in fake_github.calls if call.method == "GET"]
    assert [call.query.get("per_page") for call in listed] == [["100"], ["100"]]
    assert listed[1].query["page"] == ["2"]

    (runner.workspace / "events.yaml").write_text(event_yaml(capacity=14), encoding="utf-8")
    second = plan(runner, run_id="9100000002")
    assert second.ok, second.stderr
    ours = [c for c in fake_github.on(REPOSITORY, PR_NUMBER) if c["body"].startswith(MARKER)]
    assert len(ours) == 1, "a second run must edit the comment, never add one"
    assert [call.method for call in fake_github.writes()] == ["POST", "PATCH"]
    patch = fake_github.writes()[1]
    assert patch.path == f"/repos/{REPOSITORY}/issues/comments/{ours[0]['id']}"
    assert "/actions/runs/9100000002" in ours[0]["body"]
    assert "14" in ours[0]["body"]
    assert len(fake_github.on(REPOSITORY, PR_NUMBER)) == 121
    assert all(call.authorization == f"Bearer {runner.token}" for call in fake_github.calls)
    assert runner.token not in first.stdout + first.stderr + second.stdout + second.stderr


def test_the_step_summary_outputs_and_plan_file(runner: Runner, fake_github: FakeGitHub):
    result = plan(runner, run_id="9100000003", comment="false")
    assert result.ok, result.stderr
    assert result.summary.startswith(MARKER)
    assert "Plan: 1 to create, 0 to update, 0 to cancel/delete." in result.summary
    plan_file = Path(result.outputs["plan-file"])
    document = json.loads(plan_file.read_text(encoding="utf-8"))
    assert document["summary"] == {"create": 1, "update": 0, "replace": 0, "delete": 0}
    # The scope: the folder's name (outside git, without providers.stack).
    assert result.summary.splitlines()[:2] == [
        '<!-- reconciler-plan path="." scope="workspace" -->',
        "### reconciler plan: `.` · scope `workspace`"]
    assert result.outputs["scope"] == "workspace"
    report = Path(result.outputs["report-file"]).read_text(encoding="utf-8")
    assert report.startswith("<!-- reconciler-plan -->\n### reconciler plan\n")
    assert fake_github.calls == []  # comment: false never calls the API


def test_a_plan_leaves_the_schedule_as_a_calendar_next_to_its_report(
    runner: Runner, fake_github: FakeGitHub
):
    result = plan(runner, run_id="9100000007", comment="false")
    assert result.ok, result.stderr
    calendar = Path(result.outputs["calendar-file"])
    assert calendar.name == "schedule.ics"
    assert calendar.parent == Path(result.outputs["report-file"]).parent
    (event,) = icalendar.Calendar.from_ical(calendar.read_text(encoding="utf-8")).walk("VEVENT")
    assert str(event["UID"]) == "events.board-dinner@workspace.reconciler"
    assert event.start == datetime(2027, 5, 4, 18, tzinfo=UTC)

    (runner.workspace / "events.yaml").write_text("version: 1\nevents: [{key: x}]\n")
    failed = plan(runner, run_id="9100000008", comment="false")
    assert failed.outputs["exitcode"] == "1"
    assert failed.outputs.get("calendar-file", "") == ""  # no plan, no calendar


def test_no_changes_posts_nothing_but_edits_an_earlier_comment(
    runner: Runner, push_runner: Runner, fake_github: FakeGitHub
):
    applied = push_runner.run({"command": "apply", "path": "."})
    assert applied.ok, applied.stderr
    assert applied.outputs["exitcode"] == "0"
    assert "events.board-dinner: created" in applied.summary
    assert fake_github.calls == []

    quiet = plan(runner, run_id="9100000004")
    assert quiet.ok, quiet.stderr
    assert quiet.outputs["exitcode"] == "0"
    assert quiet.outputs["has_changes"] == "false"
    assert fake_github.writes() == []
    assert fake_github.on(REPOSITORY, PR_NUMBER) == []

    (runner.workspace / "events.yaml").write_text(event_yaml(capacity=20), encoding="utf-8")
    assert plan(runner, run_id="9100000005").ok
    (runner.workspace / "events.yaml").write_text(event_yaml(), encoding="utf-8")
    assert plan(runner, run_id="9100000006").ok
    comments = fake_github.on(REPOSITORY, PR_NUMBER)
    assert len(comments) == 1
    assert "No changes" in comments[0]["body"]
    assert [call.method for call in fake_github.writes()] == ["POST", "PATCH"]


def test_configuration_errors_become_annotations_and_fail_the_step(
    runner: Runner, fake_github: FakeGitHub
):
    (runner.workspace / "events.yaml").write_text(
        "version: 1\nevents:\n  - key: gala\n    title: Gala\n    start: tomorrow\n"
        "    end: 2027-01-01T10:00:00Z\n",
        encoding="utf-8",
    )
    result = plan(runner, run_id="9100000007")
    assert not result.ok
    assert result.steps[-1].step_id == "publish"
    assert result.outputs["exitcode"] == "1"
    assert result.outputs["plan-file"] == ""
    errors = result.commands("error")
    assert any(
        line.startswith("::error file=events.yaml,line=5,col=5,title=reconciler plan::")
        and "events[0].start" in line
        for line in errors
    ), errors
    assert "failed" in result.summary
    # A failing plan on a pull request is worth a comment (no earlier one existed).
    comments = fake_github.on(REPOSITORY, PR_NUMBER)
    assert len(comments) == 1 and "events[0].start" in comments[0]["body"]


def test_secrets_are_masked_before_anything_runs(runner: Runner, fake_github: FakeGitHub):
    result = plan(runner, run_id="9100000008", comment="false")
    mask_step = result.steps[1]
    assert mask_step.name == "Mask secrets"
    masks = set(result.commands("add-mask"))
    # Each value and the forms it takes on the wire that are known before the run: Previsto's
    # Basic header carries base64(key:), which masking the key alone would leave readable.
    assert masks == mask_lines()


def test_fail_on_changes_fails_the_step_after_reporting(runner: Runner, fake_github: FakeGitHub):
    result = plan(runner, run_id="9100000009", **{"fail-on-changes": "true"})
    assert not result.ok
    assert result.outputs["exitcode"] == "2"
    assert result.outputs["has_changes"] == "true"
    assert any("fail-on-changes" in line for line in result.commands("error"))
    assert len(fake_github.on(REPOSITORY, PR_NUMBER)) == 1


def test_a_read_only_token_is_a_warning_not_a_failure(runner: Runner, fake_github: FakeGitHub):
    fake_github.forbid_writes = True
    result = plan(runner, run_id="9100000010")
    assert result.ok, result.stderr
    warnings = result.commands("warning")
    assert len(warnings) == 1
    assert "403" in warnings[0] and "pull-requests: write" in warnings[0]
    assert runner.token not in warnings[0]


def test_a_plan_warning_is_an_annotation_on_its_line(runner: Runner, fake_github: FakeGitHub):
    # A finite series whose first occurrence lies far beyond the 180-day horizon plans nothing.
    (runner.workspace / "events.yaml").write_text(event_yaml() + """\
  - key: centenary
    title: Centenary dinner
    start: 2090-05-04T19:00
    time_zone: Europe/London
    location: {name: Harbour Club}
    recurrence: {rrule: "FREQ=YEARLY;COUNT=2"}
""", encoding="utf-8")
    result = plan(runner, run_id="9100000012", comment="false")
    assert result.ok, result.stderr
    (warning,) = result.commands("warning")
    assert warning.startswith(
        "::warning file=events.yaml,line=15,col=5,title=reconciler plan::events[1].recurrence: "
        "no occurrence within the horizon (180 days ahead), so nothing is declared yet: the "
        "first, 2090-05-04T19:00:00, is declared from 2089-11-05 on"
    ), warning
    assert "no occurrence within the horizon" in result.summary


def test_a_failed_comment_call_is_retried_once(runner: Runner, fake_github: FakeGitHub):
    fake_github.failures = [502]
    result = plan(runner, run_id="9100000011")
    assert result.ok, result.stderr
    assert result.commands("warning") == []
    assert [call.method for call in fake_github.calls] == ["GET", "GET", "POST"]
    assert len(fake_github.on(REPOSITORY, PR_NUMBER)) == 1


def test_apply_then_nothing_to_apply_then_drift(push_runner: Runner, fake_github: FakeGitHub):
    applied = push_runner.run({"command": "apply", "path": ".", "args": "--max-change-percent 100"})
    assert applied.ok, applied.stderr
    assert applied.outputs["has_changes"] == "true"
    assert "✅ **Applied**: 1 applied, 0 failed, 0 not attempted." in applied.summary

    again = push_runner.run({"command": "apply", "path": "."})
    assert again.ok, again.stderr
    assert (again.outputs["exitcode"], again.outputs["has_changes"]) == ("0", "false")
    assert "Nothing to apply." in again.summary

    in_sync = push_runner.run({"command": "drift", "path": "."})
    assert in_sync.ok, in_sync.stderr
    assert (in_sync.outputs["exitcode"], in_sync.outputs["has_changes"]) == ("0", "false")
    assert in_sync.summary.startswith('<!-- reconciler-drift path="." -->')

    # The remote now differs from what is declared: drift exits 2, and the step still passes.
    (push_runner.workspace / "events.yaml").write_text(event_yaml(capacity=30), encoding="utf-8")
    drifted = push_runner.run({"command": "drift", "path": "."})
    assert drifted.ok, drifted.stderr
    assert (drifted.outputs["exitcode"], drifted.outputs["updates"]) == ("2", "1")
    # The workspace is no git repository: which side moved cannot be told, only that it differs.
    assert "| `events.board-dinner` | differs | `capacity` | `12` | `30` |" in drifted.summary
    assert fake_github.calls == []


def git(workspace: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=CI", "-c", "user.email=ci@example.com", *args],
                   cwd=workspace, check=True, capture_output=True)


def test_base_ref_labels_the_pull_requests_own_changes(runner: Runner, push_runner: Runner,
                                                       fake_github: FakeGitHub):
    git(runner.workspace, "init", "-q", "-b", "main")
    git(runner.workspace, "add", ".")
    git(runner.workspace, "commit", "-q", "-m", "base")
    assert push_runner.run({"command": "apply", "path": "."}).ok
    (runner.workspace / "events.yaml").write_text(event_yaml(capacity=14), encoding="utf-8")

    result = plan(runner, run_id="9100000013", **{"base-ref": "main"})
    assert result.ok, result.stderr
    assert ("| ✏️ update | `events.board-dinner` (Board dinner) | Tue 2027-05-04 18:00 UTC | config "
            "| `capacity` |") in result.summary


def test_bad_args_are_refused_before_any_call(runner: Runner, fake_github: FakeGitHub):
    result = plan(runner, run_id="9100000012", args="--format json", comment="false")
    assert not result.ok
    assert result.outputs["exitcode"] == "1"
    assert any("--format is set by the action" in line for line in result.commands("error"))
