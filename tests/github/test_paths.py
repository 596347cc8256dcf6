"""Several configurations in one repository: each path keeps its own pull-request comment, named
for its path and scope, edited in place by its own later runs (the Action's scripts against the
sandbox and a fake GitHub)."""

from __future__ import annotations

from tests.fixtures.action import PR_NUMBER, REPOSITORY, folder_events, schedule_folder
from tests.fixtures.action_runner import ActionResult, Runner
from tests.fixtures.fake_github import FakeGitHub

FOLDERS = {"schedules/london": "london-office", "schedules/paris": "paris-office"}


def plan(runner: Runner, folder: str, *, run_id: str) -> ActionResult:
    runner.env["GITHUB_RUN_ID"] = run_id
    # A trailing slash and `./` name the same configuration, so the same comment.
    result = runner.run({"command": "plan", "path": f"./{folder}/", "comment": "true"})
    assert result.ok, result.stderr
    return result


def test_two_paths_keep_two_comments_each_edited_in_place(
    runner: Runner, fake_github: FakeGitHub, sandbox_url: str
):
    for folder, stack in FOLDERS.items():
        schedule_folder(runner.workspace, folder, origin=sandbox_url, stack=stack,
                        events=folder_events((f"{stack}-dinner", 12)))
    for number, folder in enumerate(FOLDERS):
        plan(runner, folder, run_id=f"92000000{number}")

    comments = fake_github.on(REPOSITORY, PR_NUMBER)
    assert len(comments) == 2
    first_ids = [comment["id"] for comment in comments]
    for comment, (folder, stack) in zip(comments, FOLDERS.items(), strict=True):
        lines = comment["body"].splitlines()
        assert lines[0] == f'<!-- reconciler-plan path="{folder}" scope="{stack}" -->'
        assert lines[1] == f"### reconciler plan: `{folder}` · scope `{stack}`"
        assert f"`events.{stack}-dinner`" in comment["body"]
        other = next(s for s in FOLDERS.values() if s != stack)
        assert f"events.{other}-dinner" not in comment["body"]

    for folder, stack in FOLDERS.items():
        (runner.workspace / folder / "events.yaml").write_text(
            folder_events((f"{stack}-dinner", 14)), encoding="utf-8")
    fake_github.calls.clear()
    # The second round runs in the other order: each run still finds its own comment.
    for number, folder in enumerate(reversed(FOLDERS)):
        plan(runner, folder, run_id=f"92000001{number}")

    comments = fake_github.on(REPOSITORY, PR_NUMBER)
    assert [comment["id"] for comment in comments] == first_ids
    patches = fake_github.writes()
    assert [call.method for call in patches] == ["PATCH", "PATCH"]
    assert [call.path for call in patches] == [
        f"/repos/{REPOSITORY}/issues/comments/{first_ids[1]}",
        f"/repos/{REPOSITORY}/issues/comments/{first_ids[0]}",
    ]
    for comment, (folder, stack) in zip(comments, FOLDERS.items(), strict=True):
        assert comment["body"].startswith(f'<!-- reconciler-plan path="{folder}" ')
        assert "+ capacity: 14" in comment["body"]
        assert f"# events.{stack}-dinner (create)" in comment["body"]


def test_a_path_that_fails_to_load_keeps_its_own_comment_by_path(
    runner: Runner, fake_github: FakeGitHub, sandbox_url: str
):
    london = schedule_folder(runner.workspace, "schedules/london", origin=sandbox_url,
                             stack="london-office", events=folder_events(("dinner", 12)))
    plan(runner, "schedules/london", run_id="920000020")
    (london / "events.yaml").write_text("version: 1\nevents: [{key: broken}]\n", encoding="utf-8")
    runner.env["GITHUB_RUN_ID"] = "920000021"
    failed = runner.run({"command": "plan", "path": "schedules/london", "comment": "true"})
    assert not failed.ok

    # No scope is known without a configuration, yet the path finds the comment to edit.
    (comment,) = fake_github.on(REPOSITORY, PR_NUMBER)
    assert comment["body"].startswith(
        '<!-- reconciler-plan path="schedules/london" -->\n### reconciler plan: '
        "`schedules/london`\n")
    assert "failed" in comment["body"] and "events[0]" in comment["body"]
    assert [call.method for call in fake_github.writes()] == ["POST", "PATCH"]
