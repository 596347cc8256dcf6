"""`watch` keeps each configuration's drift issue on GitHub as the drift workflow keeps it: one
open issue, labelled, whose body is the drift report; edited while the drift changes, closed with
a comment once in sync; a GitHub failure told on the stream, never the end of the watch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from reconciler.github.rest import RestApi, api_client
from reconciler.reports import DriftReport
from reconciler.watch import IssuesApi
from reconciler.watch.issues import issue_body, issue_marker
from tests.fixtures.clock import FakeClock
from tests.fixtures.fake_github import Call, FakeGitHub, serving
from tests.fixtures.repo import Repo, Run
from tests.watch.conftest import SWEEP, TOKEN, Watched
from tests.watch.test_command import terminate_on_first_wait

REPOSITORY = "octo-org/schedules"
GITHUB_TOKEN = "ghs_watchIssuesToken0123456789abcdef"
LABEL = "reconciler-drift"
# The configuration is the top of its repository: the workflow's matrix names it ".".
TITLE = "Schedule drift in .: the remote differs from the repository"
MARKER = '<!-- reconciler-drift-issue path="." -->'
DRIFT_WORKFLOW = Path(__file__).parents[2] / "examples" / ".github" / "workflows" / "drift.yml"


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    with serving(FakeGitHub(token=GITHUB_TOKEN)) as fake:
        yield fake


@pytest.fixture
def issues_api(fake_github: FakeGitHub, events_repo: Repo) -> Iterator[IssuesApi]:
    events_repo.commit_all("the schedule")  # the configuration lives in a git repository
    with api_client(token=GITHUB_TOKEN, api_url=fake_github.origin, retry_delay=0) as client:
        yield IssuesApi(rest=RestApi(client=client), repository=REPOSITORY)


def issue_calls(fake: FakeGitHub) -> list[Call]:
    return [call for call in fake.calls if call.path.startswith(f"/repos/{REPOSITORY}/issues")]


def sweep(watching: Watched) -> None:
    watching.clock.advance(SWEEP)
    watching.step()


def test_drift_opens_one_labelled_issue_with_the_report_and_the_same_drift_writes_nothing(
    watching: Watched, fake_github: FakeGitHub
):
    watching.step()  # in sync: GitHub is asked whether an issue is open, and nothing is written
    assert fake_github.writes() == []

    watching.colleague_edits("gala", capacity=90)
    sweep(watching)

    (issue,) = fake_github.issues[REPOSITORY]
    assert issue["title"] == TITLE
    assert [label["name"] for label in issue["labels"]] == [LABEL]
    assert issue["state"] == "open"
    body = issue["body"]
    assert body.startswith(MARKER + "\n<!-- reconciler-drift -->\n### reconciler drift")
    assert "| `events.gala` | changed remotely | `capacity` | `90` | `200` |" in body
    assert "`reconciler drift . --write`" in body
    (created,) = fake_github.writes()
    assert (created.method, created.path) == ("POST", f"/repos/{REPOSITORY}/issues")
    assert [(e["scope"], e["number"]) for e in watching.of("issue.opened")] == [
        ("schedule", issue["number"])
    ]

    calls = len(fake_github.calls)
    sweep(watching)
    watching.colleague_edits("gala", title="Winter Gala")  # a no-op edit: the drift is the same
    sweep(watching)
    assert len(fake_github.calls) == calls, "no call at all while the drift stays the same"


def test_changed_drift_edits_the_body_in_place_and_sync_closes_it_with_a_comment(
    watching: Watched, fake_github: FakeGitHub
):
    watching.step()
    watching.colleague_edits("gala", capacity=90)
    sweep(watching)
    (issue,) = fake_github.issues[REPOSITORY]
    number = issue["number"]
    before = len(fake_github.calls)

    watching.colleague_edits("gala", capacity=120)
    sweep(watching)

    (edit,) = fake_github.calls[before:]
    assert (edit.method, edit.path) == ("PATCH", f"/repos/{REPOSITORY}/issues/{number}")
    assert list(edit.body) == ["body"]  # only the field that changed
    assert "`120`" in issue["body"] and "`90`" not in issue["body"]
    assert len(fake_github.issues[REPOSITORY]) == 1

    before = len(fake_github.calls)
    watching.colleague_edits("gala", capacity=200)  # put back as declared
    sweep(watching)

    comment, close = fake_github.calls[before:]
    assert (comment.method, comment.path) == (
        "POST",
        f"/repos/{REPOSITORY}/issues/{number}/comments",
    )
    assert "In sync again" in fake_github.on(REPOSITORY, number)[0]["body"]
    assert (close.method, close.path) == ("PATCH", f"/repos/{REPOSITORY}/issues/{number}")
    assert close.body == {"state": "closed", "state_reason": "completed"}
    assert (issue["state"], issue["state_reason"]) == ("closed", "completed")
    assert [event["number"] for event in watching.of("issue.closed")] == [number]

    calls = len(fake_github.calls)
    sweep(watching)
    assert len(fake_github.calls) == calls  # closed once, not again

    watching.colleague_edits("gala", capacity=60)  # drift again: a new issue, the old stays shut
    sweep(watching)
    assert [i["state"] for i in fake_github.issues[REPOSITORY]] == ["closed", "open"]


def test_the_issue_the_workflow_opened_is_the_one_edited(
    watching: Watched, fake_github: FakeGitHub
):
    # Other folders' drift issues, opened earlier: more than a page.
    for number in range(120):
        fake_github.open_issue(
            REPOSITORY,
            title=f"Schedule drift in town-{number}: the remote differs from the repository",
            body="",
            labels=[LABEL],
        )
    # A labelled pull request with the same title is listed among the issues too: not ours.
    fake_github.open_issue(
        REPOSITORY, title=TITLE, body="a pull request", labels=[LABEL], pull_request=True
    )
    # The workflow's issue (its body has no marker: an older workflow wrote it), on page two.
    workflow = fake_github.open_issue(
        REPOSITORY, title=TITLE, body="<!-- reconciler-drift -->\nold report", labels=[LABEL]
    )
    watching.colleague_edits("gala", capacity=90)

    watching.step()

    assert [(call.method, call.path) for call in fake_github.writes()] == [
        ("PATCH", f"/repos/{REPOSITORY}/issues/{workflow['number']}")
    ]
    assert workflow["body"].startswith(MARKER)
    assert len([i for i in fake_github.issues[REPOSITORY] if i["title"] == TITLE]) == 2
    first, second, _ = issue_calls(fake_github)
    assert first.query["labels"] == [LABEL] and first.query["state"] == ["open"]
    assert second.query["page"] == ["2"]  # the Link header followed


def test_an_issue_already_showing_the_drift_is_not_written_again(
    watching: Watched, fake_github: FakeGitHub, issues_api: IssuesApi
):
    """A restarted watch finds its issue as it left it: nothing to write."""
    watching.step()
    watching.colleague_edits("gala", capacity=90)
    sweep(watching)
    (issue,) = fake_github.issues[REPOSITORY]
    watching.watcher.issues.scopes.clear()  # type: ignore[union-attr]  # what a restart forgets
    writes = len(fake_github.writes())

    sweep(watching)

    assert len(fake_github.writes()) == writes
    assert [call.method for call in issue_calls(fake_github)][-1] == "GET"  # found, not written
    assert issue["state"] == "open"


@pytest.mark.parametrize("on_drift", ["revert"])
def test_under_revert_drift_put_back_opens_no_issue(watching: Watched, fake_github: FakeGitHub):
    watching.step()
    watching.colleague_edits("gala", capacity=90)

    sweep(watching)

    assert watching.of("drift.reverted"), watching.events
    assert watching.event("gala")["capacity"] == 200
    assert fake_github.writes() == []
    assert fake_github.issues.get(REPOSITORY, []) == []


@pytest.mark.parametrize(
    ("status", "shown"), [(500, "answered 500: Server Error"), (401, "answered 401")]
)
def test_a_github_failure_is_told_and_tried_again_and_the_watch_goes_on(
    watching: Watched, fake_github: FakeGitHub, status: int, shown: str
):
    watching.step()
    watching.colleague_edits("gala", capacity=90)
    if status == 401:
        fake_github.token = "ghs_rotatedElsewhere0123456789"  # the token no longer accepted
    else:
        fake_github.failures = [500, 500]  # the call and its one retry

    sweep(watching)

    (failed,) = watching.of("github.failed")
    assert failed["scope"] == "schedule" and failed["repository"] == REPOSITORY
    assert shown in failed["message"]
    assert GITHUB_TOKEN not in json.dumps(watching.events)
    assert fake_github.issues.get(REPOSITORY, []) == []
    assert [event["address"] for event in watching.of("drift.found")] == ["events.gala"]

    fake_github.token = GITHUB_TOKEN
    sweep(watching)  # the same drift: tried again all the same, since GitHub does not show it

    (issue,) = fake_github.issues[REPOSITORY]
    assert "`90`" in issue["body"]
    assert len(watching.of("sweep.done")) == 3


def test_watch_command_keeps_the_issue_and_never_prints_the_token(
    events_repo: Repo,
    cli: Run,
    clock: FakeClock,
    fake_github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    http: httpx.Client,
):
    events_repo.commit_all("the schedule")
    monkeypatch.setenv("RECONCILER_WEBHOOK_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", fake_github.origin)
    Watched(
        watcher=None,
        events=[],
        origin="",
        repo=events_repo,
        clock=clock,  # type: ignore[arg-type]
        journal=events_repo.root,
        http=http,
    ).colleague_edits("gala", capacity=90)
    terminate_on_first_wait(clock)

    result = cli(
        "watch",
        events_repo.root,
        "--port",
        "0",
        "--log-format",
        "json",
        "--github-issues",
        REPOSITORY,
    )

    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert "issue.opened" in [record["event"] for record in records]
    (issue,) = fake_github.issues[REPOSITORY]
    assert issue["title"] == TITLE
    assert all(call.authorization == f"Bearer {GITHUB_TOKEN}" for call in fake_github.calls)
    assert GITHUB_TOKEN not in result.output


def test_watch_command_refuses_github_issues_without_a_token_or_with_a_bad_repository(
    events_repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
):
    shown = cli("watch", "--help").output
    assert "--github-issues OWNER/REPO" in shown and "GITHUB_TOKEN" in shown
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    no_token = cli(
        "watch", events_repo.root, "--port", "0", "--github-issues", REPOSITORY, expect=1
    )
    assert "--github-issues needs a token in GITHUB_TOKEN" in no_token.output
    assert "Traceback" not in no_token.output

    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)
    bad = cli("watch", events_repo.root, "--port", "0", "--github-issues", "schedules", expect=1)
    assert "--github-issues takes the repository as OWNER/REPO" in bad.output


def find_step_script() -> str:
    document = yaml.safe_load(DRIFT_WORKFLOW.read_text(encoding="utf-8"))
    (step,) = [
        step
        for job in document["jobs"].values()
        for step in job["steps"]
        if step.get("id") == "issue"
    ]
    return str(step["run"])


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq (on GitHub's runners) is not installed")
@pytest.mark.parametrize("folder", [".", "schedules/new york", "schedules/zürich+bern"])
def test_the_drift_workflow_finds_the_issue_watch_keeps_by_its_hidden_line(
    tmp_path: Path, folder: str
):
    """The workflow's look-up and watch agree: an issue watch opened (its title since renamed)
    is the one the workflow edits or closes, and the line the workflow writes is watch's."""
    listing = [
        {
            "number": 7,
            "title": "someone renamed it",
            "body": issue_body(folder, DriftReport(items=())),
        },
        {"number": 3, "title": "Schedule drift in elsewhere: the remote differs", "body": ""},
    ]
    (tmp_path / "issues.json").write_text(json.dumps(listing), encoding="utf-8")
    gh = tmp_path / "bin" / "gh"
    gh.parent.mkdir()
    gh.write_text('#!/bin/sh\ncat "$ISSUES_JSON"\n', encoding="utf-8")
    gh.chmod(0o755)
    output = tmp_path / "output"
    output.write_text("", encoding="utf-8")

    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", find_step_script()],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": f"{gh.parent}:{os.environ['PATH']}",
            "GITHUB_OUTPUT": str(output),
            "GITHUB_REPOSITORY": REPOSITORY,
            "ISSUES_JSON": str(tmp_path / "issues.json"),
            "LABEL": LABEL,
            "FOLDER": folder,
            "TITLE": f"Schedule drift in {folder}: the remote differs from the repository",
        },
    )

    assert done.returncode == 0, done.stderr
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert outputs == {"marker": issue_marker(folder).line(), "number": "7"}
