"""`reconciler.github.publish` and `reconciler github ...`: runner protocol, limits, REST calls."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.config import secret_variables
from reconciler.github.comments import (
    CommentOutcome,
    CommentsApi,
    Marker,
    PullRequest,
    upsert_comment,
)
from reconciler.github.publish import (
    COMMENT_LIMIT,
    SUMMARY_LIMIT,
    comment_body,
    publish,
    pull_request,
)
from reconciler.github.report import RunReport, report_markdown
from reconciler.github.rest import GitHubApiError, api_client
from reconciler.github.runner import (
    Counts,
    error_annotations,
    fit,
    mask_commands,
    redact,
    utf8_bytes,
    utf16_units,
    workflow_command,
    write_outputs,
)
from tests.fixtures.action import PR_NUMBER, PULL_REQUEST_EVENT, REPOSITORY
from tests.fixtures.action_runner import read_output_file
from tests.fixtures.fake_github import FakeGitHub

PULL = PullRequest(repository=REPOSITORY, number=PR_NUMBER, head_sha="9f2c4e1b7a3d")


# -- workflow commands and annotations -----------------------------------------------------------


def test_workflow_commands_are_escaped_as_the_runner_expects():
    line = workflow_command("error", "50% done\nnext", file="a,b:c.yaml", line=3)
    assert line == "::error file=a%2Cb%3Ac.yaml,line=3::50%25 done%0Anext"


def test_configuration_errors_become_file_annotations(tmp_path: Path):
    stderr = "\n".join([
        f"{tmp_path}/events/gala.yaml:7:5: events[1].start: \"tomorrow\" is not an ISO 8601 date",
        "providers.yaml:4:5: providers.prevail.api_key: environment variable X is not set",
        "/venv/lib/jwt/api_jwt.py:149: InsecureKeyLengthWarning: short key",
        "Error: the configuration has 2 problems",
    ])
    lines = error_annotations(stderr, command="plan", workspace=str(tmp_path))
    assert lines == [
        "::error file=events/gala.yaml,line=7,col=5,title=reconciler plan::events[1].start: "
        "\"tomorrow\" is not an ISO 8601 date",
        "::error file=providers.yaml,line=4,col=5,title=reconciler plan::"
        "providers.prevail.api_key: environment variable X is not set",
        "::error title=reconciler plan::the configuration has 2 problems",
    ]


def test_the_plans_warnings_become_warning_annotations_on_their_file(tmp_path: Path):
    series = (f"{tmp_path}/events.yaml:9:5: events[0].recurrence: no occurrence within the "
              "horizon (180 days ahead), so nothing is declared yet")
    document = {"has_changes": False, "summary": {}, "warnings": [
        series, "events.gala: adopted as it is; capacity differs from the configuration"]}
    report = RunReport(command="plan", exitcode=0, document=document)
    published = publish(report, environ={"GITHUB_WORKSPACE": str(tmp_path)})
    assert published.lines == [
        "::warning file=events.yaml,line=9,col=5,title=reconciler plan::events[0].recurrence: "
        "no occurrence within the horizon (180 days ahead), so nothing is declared yet",
        "::warning title=reconciler plan::events.gala: adopted as it is; capacity differs from "
        "the configuration",
    ]
    assert published.exit_code == 0


# -- secrets --------------------------------------------------------------------------------------


def test_only_secret_fields_of_the_providers_block_are_masked(tmp_path: Path):
    (tmp_path / "providers.yaml").write_text(
        "version: 1\nproviders:\n"
        "  prevail: {company_id: '${COMPANY}', api_key: '${PREVAIL_KEY}'}\n"
        "  prospero: {email: '${EMAIL}', refresh_token: '${REFRESH}'}\n",
        encoding="utf-8",
    )
    (tmp_path / "more.yml").write_text(
        "providers:\n  previsto: {api_key: '${PREVISTO_KEY}'}\n", encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("providers: [unclosed\n", encoding="utf-8")
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "ci.yaml").write_text(
        "providers:\n  x: {password: '${NOT_OURS}'}\n", encoding="utf-8")
    assert secret_variables(tmp_path) == ["PREVISTO_KEY", "PREVAIL_KEY", "REFRESH"]


def test_mask_commands_cover_each_line_of_a_multi_line_secret_and_its_wire_forms():
    # Each escaped for the runner (`%` as %25, a newline as %0A).
    assert mask_commands(["s3cr%t", "line one\nline two"]) == [
        "::add-mask::s3cr%25t",
        "::add-mask::s3cr%2525t",  # percent-encoded: s3cr%25t
        "::add-mask::czNjciV0Og==",  # base64("s3cr%t:"), a Basic header's payload
        "::add-mask::czNjciV0Og%253D%253D",  # that, percent-encoded
        "::add-mask::line one%0Aline two",
        "::add-mask::line%2520one%250Aline%2520two",
        "::add-mask::line one\\nline two",  # JSON-escaped
        "::add-mask::bGluZSBvbmUKbGluZSB0d286",
        "::add-mask::line one",
        "::add-mask::line two",
    ]
    assert redact("key=s3cr%t!", ["s3cr%t"]) == "key=***!"


def test_the_mask_command_prints_nothing_outside_github_actions(tmp_path: Path):
    config = tmp_path / "providers.yaml"
    config.write_text("providers:\n  previsto: {api_key: '${KEY}'}\n", encoding="utf-8")
    outside = CliRunner().invoke(main, ["github", "mask", str(config)],
                                 env={"GITHUB_ACTIONS": None, "KEY": "k-123"})
    assert outside.exit_code == 0
    assert outside.stdout == ""
    inside = CliRunner().invoke(main, ["github", "mask", str(config)],
                                env={"GITHUB_ACTIONS": "true", "KEY": "k-123"})
    assert inside.stdout.splitlines()[0] == "::add-mask::k-123"


# -- the args input -------------------------------------------------------------------------------


def args(*argv: str) -> tuple[int, list[str], str]:
    result = CliRunner().invoke(main, ["github", "args", *argv])
    return result.exit_code, result.stdout.split("\0")[:-1], result.stderr


def test_args_are_split_like_shell_words_and_checked():
    assert args("--command", "plan", "--", "--prune --sandbox-db 'my dir/s.db'") == (
        0, ["--prune", "--sandbox-db", "my dir/s.db"], "")
    assert args("--command", "plan", "--", "") == (0, [], "")


def test_the_plan_before_an_apply_gets_only_the_options_plan_takes():
    code, words, _ = args("--command", "apply", "--for", "plan", "--",
                          "--force --prune --parallelism 4 --max-change-percent=50")
    assert (code, words) == (0, ["--prune", "--max-change-percent=50"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("--force", "--force is not an option of `plan`"),
        ("-o other.json", "-o is set by the action"),
        ("--calendar other.ics", "--calendar is set by the action"),
        ("schedule/", "only options go in `args`"),
        ("--max-change-percent", "--max-change-percent needs a value"),
        ("--base-ref 'unclosed", "cannot split"),
    ],
)
def test_bad_args_are_refused_with_a_reason(text: str, message: str):
    code, _, stderr = args("--command", "plan", "--", text)
    assert code == 1
    assert message in stderr


# -- outputs and limits ---------------------------------------------------------------------------


def test_a_replace_counts_as_a_create_and_a_delete():
    counts = Counts.from_document(
        {"has_changes": True, "summary": {"create": 1, "update": 2, "replace": 3, "delete": 4}})
    assert counts == Counts(has_changes=True, creates=4, updates=2, deletes=7)


def test_outputs_are_written_in_the_runners_format(tmp_path: Path):
    output = tmp_path / "output"
    write_outputs(output, {"exitcode": "2", "note": "two\nlines"})
    assert read_output_file(output) == {"exitcode": "2", "note": "two\nlines"}


def test_exit_2_without_a_document_is_an_error_not_changes():
    assert RunReport(command="plan", exitcode=2, document=None).failed
    assert not RunReport(command="plan", exitcode=2, document={"has_changes": True}).failed
    assert RunReport(command="apply", exitcode=2, document={"has_changes": True}).failed


def big_plan(rows: int) -> str:
    lines = ["<!-- reconciler-plan -->", "### reconciler plan", "", "**Plan: lots.**", "",
             "<details><summary>Field changes</summary>", "", "```diff"]
    lines += [f"+ title: \"Événement {n} 🎉\"" for n in range(rows)]
    return "\n".join([*lines, "```", "</details>", ""])


def test_fit_keeps_whole_lines_and_closes_what_it_cut():
    text = big_plan(5000)
    cut = fit(text, limit=20_000, measure=utf16_units, note="NOTE\n")
    assert utf16_units(cut) <= 20_000
    assert cut.endswith("```\n</details>\n\nNOTE\n")
    assert cut.count("```") % 2 == 0
    assert fit("short\n", limit=100, measure=utf8_bytes, note="NOTE") == "short\n"
    one_line = fit("x" * 500, limit=100, measure=utf8_bytes, note="N")
    assert utf8_bytes(one_line) <= 100 and one_line.startswith("xxx")


def test_a_huge_plan_is_cut_below_a_mib_in_the_summary_and_65535_in_the_comment(tmp_path: Path):
    report = RunReport(command="plan", exitcode=2, markdown=big_plan(40_000),
                       document={"has_changes": True, "summary": {"create": 40_000}},
                       plan_file=tmp_path / "plan.json")
    assert utf8_bytes(report.markdown) > 1024 * 1024
    summary = tmp_path / "summary.md"
    published = publish(report, environ={"GITHUB_STEP_SUMMARY": str(summary)})
    assert published.exit_code == 0
    written = summary.read_text(encoding="utf-8")
    assert utf8_bytes(written) <= SUMMARY_LIMIT < 1024 * 1024
    assert "Cut to fit GitHub's 1 MiB job summary" in written
    assert str(tmp_path / "plan.json") in written

    environ = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": REPOSITORY,
               "GITHUB_RUN_ID": "77"}
    body = comment_body(report.markdown, environ=environ, pull=PULL)
    assert utf16_units(body) <= COMMENT_LIMIT < 65_535
    assert body.startswith("<!-- reconciler-plan -->")
    assert f"[the job summary](https://github.com/{REPOSITORY}/actions/runs/77)" in body
    assert "Cut to fit a comment" in body


def test_the_pull_request_comes_from_the_event_payload(tmp_path: Path):
    environ = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(PULL_REQUEST_EVENT),
               "GITHUB_REPOSITORY": REPOSITORY}
    assert pull_request(environ) == PullRequest(
        repository=REPOSITORY, number=PR_NUMBER,
        head_sha="9f2c4e1b7a3d5c8e0f6a1b2c3d4e5f60718293a4",
        author="paralegal-pat",  # the policies' context names who opened it
    )
    assert pull_request({**environ, "GITHUB_EVENT_NAME": "push"}) is None
    published = publish(RunReport(command="plan", exitcode=0, markdown="x"),
                        environ={**environ, "GITHUB_EVENT_NAME": "push"}, comment=True)
    assert published.lines == [
        "::notice::comment: true is only used on pull_request runs (and by apply, on the merged "
        "pull request); no comment was written"]


# -- the REST calls -------------------------------------------------------------------------------


@pytest.fixture
def api(fake_github: FakeGitHub) -> Iterator[CommentsApi]:
    with api_client(
        token=fake_github.token, api_url=fake_github.origin, retry_delay=0
    ) as client:
        yield CommentsApi(client=client)


def test_listing_follows_every_page(fake_github: FakeGitHub, api: CommentsApi):
    fake_github.seed(REPOSITORY, PR_NUMBER, [f"c{n}" for n in range(250)])
    assert [c.body for c in api.list(PULL)] == [f"c{n}" for n in range(250)]
    assert [call.query.get("page") for call in fake_github.calls] == [None, ["2"], ["3"]]


def test_a_call_is_retried_once_then_reported(fake_github: FakeGitHub, api: CommentsApi):
    fake_github.failures = [503, 503]
    with pytest.raises(GitHubApiError, match="answered 503") as error:
        list(api.list(PULL))
    assert error.value.status == 503
    assert len(fake_github.calls) == 2
    fake_github.calls.clear()
    with pytest.raises(GitHubApiError, match="404: Not Found"):
        api.update(PULL, 1, "x")
    assert len(fake_github.calls) == 1  # a 404 is not retried


def test_an_identical_body_is_not_patched_again(fake_github: FakeGitHub, api: CommentsApi):
    marker = Marker(command="plan", path="schedules/london")
    body = f"{marker.line('london')}\nsame"
    fake_github.seed(REPOSITORY, PR_NUMBER, [body], login="github-actions[bot]")
    result = upsert_comment(api, PULL, marker=marker, body=body, create=True)
    assert result.outcome is CommentOutcome.UNCHANGED
    assert fake_github.writes() == []


def test_a_wrong_token_is_reported_without_the_token(fake_github: FakeGitHub):
    with (
        api_client(token="ghs_wrong", api_url=fake_github.origin, retry_delay=0) as client,
        pytest.raises(GitHubApiError) as error,
    ):
        CommentsApi(client=client).create(PULL, "hello")
    assert "401" in str(error.value) and "ghs_wrong" not in str(error.value)


def test_the_publish_command_writes_outputs(tmp_path: Path):
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(
        {"has_changes": True, "summary": {"create": 0, "update": 1, "replace": 0, "delete": 0}}))
    (tmp_path / "report.md").write_text("<!-- reconciler-plan -->\n### reconciler plan\n")
    output = tmp_path / "output"
    result = CliRunner().invoke(main, [
        "github", "publish", "--command", "plan", "--exitcode", "2",
        "--plan-file", str(plan_file), "--markdown", str(tmp_path / "report.md"),
        "--stderr", str(tmp_path / "missing.txt"), "--comment", "false",
    ], env={"GITHUB_OUTPUT": str(output)})
    assert result.exit_code == 0, result.output
    assert read_output_file(output) == {
        "exitcode": "2", "has_changes": "true", "creates": "0", "updates": "1", "deletes": "0",
        "plan-file": str(plan_file), "scope": "",
    }


def test_a_failed_apply_says_what_was_done_and_why():
    log = ("  ✗ events.gala: create failed: 422\n\n"
           "Apply complete: 0 applied, 1 failed, 0 not attempted.\n")
    report = RunReport(command="apply", exitcode=1, apply_log=log,
                       markdown="<!-- reconciler-plan -->\n### reconciler plan\n",
                       stderr="Error: the sandbox refused it\n")
    text = report_markdown(report)
    assert text.startswith('<!-- reconciler-apply path="." -->\n### reconciler apply: `.`\n')
    assert "❌ **Apply failed** (exit 1): 0 applied, 1 failed, 0 not attempted." in text
    assert "```text\nError: the sandbox refused it\n```" in text
    assert "<!-- reconciler-plan -->" not in text  # one marker: this is not the plan comment
    plan_failed = report_markdown(RunReport(command="apply", exitcode=1,
                                            stderr="Error: authentication failed for prevail\n"))
    assert "❌ **Not applied**: `reconciler apply` failed (exit 1)." in plan_failed


def test_a_comment_whose_answer_was_lost_is_not_posted_twice(
    fake_github: FakeGitHub, api: CommentsApi
):
    # A 502 may follow a commit: the shared transport reports it rather than sending the POST
    # again, so a flaky proxy never leaves two plan comments on the pull request.
    fake_github.failures = [502]
    with pytest.raises(GitHubApiError, match="502"):
        api.create(PULL, "hello")
    assert [call.method for call in fake_github.calls] == ["POST"]


def test_an_apply_lists_every_change_failures_first_and_says_how_to_finish():
    changes = [{"address": f"events.e{n}", "action": "update"} for n in range(3)]
    journal = (
        {"event": "start", "address": "events.e0", "action": "update"},
        {"event": "applied", "address": "events.e0", "action": "update", "message": None},
        {"event": "failed", "address": "events.e1", "action": "update",
         "message": "422: capacity | must be <= 500"},
    )
    report = RunReport(command="apply", exitcode=1, path="schedules/london",
                       document={"has_changes": True, "changes": changes,
                                 "scope": {"name": "london-office"}},
                       journal=journal,
                       apply_log="Apply complete: 1 applied, 1 failed, 1 not attempted.\n")
    lines = report_markdown(report, workflow="apply").splitlines()
    assert lines[:4] == [
        '<!-- reconciler-apply path="schedules/london" scope="london-office" -->',
        "### reconciler apply: `schedules/london` · scope `london-office`", "",
        "❌ **Apply failed** (exit 1): 1 applied, 1 failed, 1 not attempted."]
    assert ("Once the cause is fixed, run the `apply` workflow by hand (`workflow_dispatch`): it "
            "plans afresh and finishes what is left.") in lines
    start = lines.index("| result | object | action | message |")
    assert lines[start + 2 : start + 5] == [
        "| ❌ failed | `events.e1` | update | 422: capacity \\| must be &lt;= 500 |",
        "| ⏸️ not attempted | `events.e2` | update | — |",
        "| ✅ applied | `events.e0` | update | — |",
    ]


def test_a_big_apply_folds_its_results_and_counts_them_for_people():
    changes = [{"address": f"sessions.s{n:04d}", "action": "cancel"} for n in range(1200)]
    journal = tuple({"event": "applied", "address": c["address"]} for c in changes)
    report = RunReport(command="apply", exitcode=0, document={"changes": changes},
                       journal=journal,
                       apply_log="Apply complete: 1200 applied, 0 failed, 0 not attempted.\n")
    text = report_markdown(report)
    assert "✅ **Applied**: 1,200 applied, 0 failed, 0 not attempted." in text
    assert "<details><summary>All 1,200 results</summary>" in text
    assert text.count("| ✅ applied |") == 1200
