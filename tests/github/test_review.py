"""What the Action puts before a reviewer: the summary line and the timeline, in the job summary
and the pull-request comment alike (the Action's scripts against the sandbox and a fake GitHub)."""

from __future__ import annotations

from tests.fixtures.action import PR_NUMBER, REPOSITORY
from tests.fixtures.action_runner import Runner
from tests.fixtures.fake_github import FakeGitHub

CHART = [
    "```mermaid",
    "gantt",
    "    title Schedule changes, times in UTC",
    "    dateFormat YYYY-MM-DD HH:mm",
    "    axisFormat %b %d %H:%M",
    "    section Created",
    "    ● events.board-dinner (Board dinner) :active, created1, 2027-05-04 18:00, "
    "2027-05-04 21:00",
    "```",
]


def test_the_summary_and_the_comment_open_with_the_summary_line_and_chart(
    runner: Runner, fake_github: FakeGitHub
):
    runner.env["GITHUB_RUN_ID"] = "9100000042"
    result = runner.run({"command": "plan", "path": ".", "comment": "true"})
    assert result.ok, result.stderr
    (comment,) = fake_github.on(REPOSITORY, PR_NUMBER)
    for shown in (result.summary, comment["body"]):
        lines = shown.splitlines()
        assert lines[3] == "**1 event created.**"
        start = lines.index("```mermaid")
        assert lines[start : start + len(CHART)] == CHART
