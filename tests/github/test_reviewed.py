"""Finding the plan reviewed for a merged pull request (`reconciler.github.reviewed` and
`reconciler github reviewed-plan`) against the fake GitHub API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.github.comments import Marker, PullRequest, config_label
from reconciler.github.rest import api_client
from reconciler.github.reviewed import ReviewedApi, look_up
from tests.fixtures.action import MERGE_SHA, PR_HEAD, PR_NUMBER, REPOSITORY
from tests.fixtures.action_runner import read_output_file
from tests.fixtures.fake_github import FakeGitHub

NAME = "reconciler-plan-schedules-london"


@pytest.fixture
def api(fake_github: FakeGitHub) -> Iterator[ReviewedApi]:
    with api_client(token=fake_github.token, api_url=fake_github.origin,
                    retry_delay=0) as client:
        yield ReviewedApi(client=client)


def test_the_merged_pull_request_is_the_one_whose_merge_made_the_commit(
    fake_github: FakeGitHub, api: ReviewedApi
):
    # The API also associates a pull request that merely contains the commit.
    fake_github.merge(REPOSITORY, 3, head_sha="a" * 40, merge_sha="e" * 40)
    fake_github.pulls[MERGE_SHA] = list(fake_github.pulls.pop("e" * 40))
    fake_github.merge(REPOSITORY, PR_NUMBER, head_sha=PR_HEAD, merge_sha=MERGE_SHA)
    assert api.merged_pull(REPOSITORY, MERGE_SHA) == PullRequest(
        repository=REPOSITORY, number=PR_NUMBER, head_sha=PR_HEAD)
    assert api.merged_pull(REPOSITORY, "d" * 40) is None  # a direct push


def test_the_artifact_is_found_past_the_first_page(fake_github: FakeGitHub, api: ReviewedApi):
    fake_github.upload(REPOSITORY, NAME, run_id=41, head_sha=PR_HEAD)
    fake_github.upload(REPOSITORY, "reconciler-plan-schedules-paris", run_id=43, head_sha=PR_HEAD)
    for run in range(150):  # newer plans of other pull requests
        fake_github.upload(REPOSITORY, NAME, run_id=1000 + run, head_sha=f"{run:040x}")
    found = api.plan_artifact(REPOSITORY, NAME, PR_HEAD)
    assert found is not None and found.run_id == 41
    listed = [call for call in fake_github.calls if call.path.endswith("/actions/artifacts")]
    assert [call.query.get("page") for call in listed] == [None, ["2"]]
    assert all(call.query["name"] == [NAME] for call in listed)


def test_a_merged_pull_request_without_the_artifact_is_a_refusal(
    fake_github: FakeGitHub, api: ReviewedApi
):
    fake_github.merge(REPOSITORY, PR_NUMBER, head_sha=PR_HEAD, merge_sha=MERGE_SHA)
    found = look_up(api, repository=REPOSITORY, sha=MERGE_SHA, artifact=NAME,
                    path="schedules/london")
    assert found.pull is not None and found.artifact is None
    assert found.refusal == (
        f"#{PR_NUMBER} was merged without a reviewed plan of schedules/london: no artifact "
        f"`{NAME}` from a run for its head commit 9f2c4e1 (its plan job did not run for this "
        "path or failed, or the artifact expired); nothing was applied")


def reviewed_plan_step(fake_github: FakeGitHub, tmp_path: Path, token: str
                       ) -> tuple[str, dict[str, str]]:
    output = tmp_path / "output"
    result = CliRunner().invoke(main, ["github", "reviewed-plan", "--artifact", NAME,
                                       "--path", "./schedules/london/"], env={
        "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_SHA": MERGE_SHA, "GITHUB_TOKEN": token,
        "GITHUB_API_URL": fake_github.origin, "GITHUB_OUTPUT": str(output)})
    assert result.exit_code == 0, result.output
    return result.stdout, read_output_file(output)


def test_the_step_writes_what_it_found_as_outputs(fake_github: FakeGitHub, tmp_path: Path):
    fake_github.merge(REPOSITORY, PR_NUMBER, head_sha=PR_HEAD, merge_sha=MERGE_SHA)
    fake_github.upload(REPOSITORY, NAME, run_id=41, head_sha=PR_HEAD)
    stdout, outputs = reviewed_plan_step(fake_github, tmp_path, fake_github.token)
    assert outputs == {"pull": str(PR_NUMBER), "head-sha": PR_HEAD, "run-id": "41",
                       "refusal": ""}
    assert stdout == f"The plan reviewed on #{PR_NUMBER}: artifact {NAME} of run 41 " \
        "(commit 9f2c4e1).\n"


def test_a_failed_look_up_is_a_refusal_that_says_what_to_give(
    fake_github: FakeGitHub, tmp_path: Path
):
    _, outputs = reviewed_plan_step(fake_github, tmp_path, "ghs_not_the_token")
    assert outputs["run-id"] == ""
    assert outputs["refusal"].startswith("could not look for the reviewed plan: GET /repos/")
    assert "answered 401" in outputs["refusal"]
    assert "(check the github-token input); nothing was applied" in outputs["refusal"]
    assert "ghs_not_the_token" not in outputs["refusal"]

    fake_github.failures = [403]  # a token without `actions: read` (a 403 is not retried)
    _, outputs = reviewed_plan_step(fake_github, tmp_path, fake_github.token)
    assert "answered 403" in outputs["refusal"]
    assert "(give the job `permissions: actions: read`); nothing was applied" in (
        outputs["refusal"])


@pytest.mark.parametrize(
    ("given", "label"),
    [(".", "."), ("./", "."), ("", "."), ("schedules/london/", "schedules/london"),
     ("./schedules//london", "schedules/london"), ("/ws/schedules/paris", "schedules/paris"),
     ("/elsewhere/x", "/elsewhere/x")],
)
def test_a_path_is_named_as_a_reader_knows_it(given: str, label: str):
    assert config_label(given, workspace="/ws") == label


def test_a_marker_finds_only_its_own_path_and_cannot_be_closed_early():
    london = Marker(command="plan", path="schedules/london")
    assert london.matches(london.line("london-office") + "\nbody")
    assert london.matches("\n" + london.line() + "\n")
    assert not london.matches(Marker(command="plan", path="schedules/london/east").line())
    assert not london.matches(Marker(command="apply", path="schedules/london").line())
    odd = Marker(command="plan", path='a "b" --> <c>\nd')
    assert odd.line() == '<!-- reconciler-plan path="a%20%22b%22%20--%3E%20%3Cc%3E%0Ad" -->'
