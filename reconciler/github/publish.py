"""The GitHub Action's reporting: step outputs, job summary, PR comment, annotations and masks.

The Action (`action.yml`) runs `reconciler plan|drift|apply` itself and hands the files they
wrote to `publish`, which speaks the runner's protocol: `name=value` lines in `$GITHUB_OUTPUT`,
Markdown appended to `$GITHUB_STEP_SUMMARY`, `::error file=...::` and `::warning file=...::`
workflow commands on stdout (errors from stderr, warnings from the plan), and one pull-request
comment per command and configuration kept up to date through the REST API (`comments`): on the
pull request of a `pull_request` run, and for an apply on the pull request that merged the commit.
Nothing here prints: functions return the workflow-command lines and the CLI echoes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.github.comments import (
    CommentOutcome,
    CommentResult,
    CommentsApi,
    PullRequest,
    upsert_comment,
)
from reconciler.github.report import RunReport, report_markdown
from reconciler.github.rest import DEFAULT_API_URL, GitHubApiError, api_client
from reconciler.github.reviewed import ReviewedApi
from reconciler.github.runner import (
    error_annotations,
    fit,
    redact,
    utf8_bytes,
    utf16_units,
    warning_annotations,
    workflow_command,
    write_outputs,
)
from reconciler.local_files import append_text

# GitHub refuses a step summary over 1 MiB and a comment body over 65,536 characters.
SUMMARY_LIMIT = 1024 * 1024 - 1024
COMMENT_LIMIT = 65_535 - 35


def duplicate_annotations(report: RunReport) -> list[str]:
    """A warning annotation for each key that several live objects carry (plan and drift)."""
    document = report.document or {}
    found = [
        f"{item.get('address')}: {1 + len(item.get('extras') or [])} live objects carry this key "
        f"(kept: {item.get('kept')}; the others are removed by apply)"
        for item in document.get("duplicates") or []
        if isinstance(item, dict)
    ]
    found.extend(
        f"{item.get('address')}: a duplicate of a managed object (id {item.get('remote_id')}); "
        "apply removes it"
        for item in document.get("items") or []
        if isinstance(item, dict) and item.get("status") == "duplicate"
    )
    title = f"reconciler {report.command}: duplicate"
    return [workflow_command("warning", text, title=title) for text in found]


def policy_annotations(
    findings: Iterable[Mapping[str, object]], *, command: str, secrets: Iterable[str] = ()
) -> list[str]:
    """The team's policy findings: an error annotation for a mandatory one (apply refuses the
    plan), a warning for an advisory one."""
    secrets = list(secrets)
    lines = []
    for item in findings:
        level = "mandatory" if item.get("level") == "mandatory" else "advisory"
        where = f"{item.get('address')}: " if item.get("address") else ""
        text = redact(f"{level} policy {item.get('rule')}: {where}{item.get('message')}", secrets)
        name = "error" if level == "mandatory" else "warning"
        lines.append(workflow_command(name, text, title=f"reconciler {command}: policy"))
    return lines


# -- publish -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Published:
    """What `publish` did: the workflow-command lines to print and the step's exit code."""

    lines: list[str] = field(default_factory=list)
    exit_code: int = 0


def run_url(environ: Mapping[str, str]) -> str | None:
    server, repository, run_id = (
        environ.get("GITHUB_SERVER_URL", "https://github.com"),
        environ.get("GITHUB_REPOSITORY"),
        environ.get("GITHUB_RUN_ID"),
    )
    if not repository or not run_id:
        return None
    return f"{server.rstrip('/')}/{repository}/actions/runs/{run_id}"


def pull_request(environ: Mapping[str, str]) -> PullRequest | None:
    """The pull request of a `pull_request`/`pull_request_target` run, from its event payload."""
    if environ.get("GITHUB_EVENT_NAME") not in ("pull_request", "pull_request_target"):
        return None
    try:
        event = json.loads(Path(environ["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
    except (KeyError, OSError, ValueError):
        return None
    pull = event.get("pull_request") if isinstance(event, dict) else None
    if not isinstance(pull, dict) or not isinstance(pull.get("number"), int):
        return None
    repository = environ.get("GITHUB_REPOSITORY") or (
        (event.get("repository") or {}).get("full_name")
    )
    if not repository:
        return None
    head = pull.get("head") or {}
    author = (pull.get("user") or {}).get("login")
    return PullRequest(
        repository=repository,
        number=pull["number"],
        head_sha=head.get("sha"),
        author=author if isinstance(author, str) else None,
    )


def comment_body(markdown: str, *, environ: Mapping[str, str], pull: PullRequest,
                 commit: str | None = None) -> str:
    """The comment: the report cut to GitHub's limit, then which commit (by default the pull
    request's head) and where the rest is."""
    url = run_url(environ)
    where = f"[the job summary]({url})" if url else "the job summary"
    commit = commit or pull.head_sha
    at = f"for commit `{commit[:7]}` · " if commit else ""
    footer = f"\n---\n<sub>reconciler {at}full report in {where}</sub>\n"
    note = f"> ✂️ Cut to fit a comment: the whole report is in {where}.\n"
    return fit(markdown, limit=COMMENT_LIMIT - utf16_units(footer), measure=utf16_units,
               note=note) + footer


def publish(
    report: RunReport,
    *,
    environ: Mapping[str, str],
    comment: bool = False,
    fail_on_changes: bool = False,
    secrets: Iterable[str] = (),
    merged_pull: int | None = None,
    retry_delay: float = 1.0,
) -> Published:
    """Write the outputs and the job summary, annotate errors and warnings, and keep the PR
    comment; an apply's goes to `merged_pull`, else to the pull request that merged the commit
    (looked up)."""
    secrets = list(secrets)
    workspace = environ.get("GITHUB_WORKSPACE")
    lines = error_annotations(report.stderr, command=report.command, workspace=workspace)
    lines += warning_annotations(
        (redact(warning, secrets) for warning in report.warnings),
        command=report.command,
        workspace=workspace,
    )
    lines += duplicate_annotations(report)
    lines += policy_annotations(report.findings, command=report.command, secrets=secrets)
    if report.failed and not lines:
        lines.append(workflow_command(
            "error", f"reconciler {report.command} failed (exit {report.exitcode}); see the log",
            title=f"reconciler {report.command}"))

    if environ.get("GITHUB_OUTPUT"):
        write_outputs(Path(environ["GITHUB_OUTPUT"]), report.outputs())

    markdown = redact(report_markdown(report, workflow=environ.get("GITHUB_WORKFLOW")), secrets)
    if environ.get("GITHUB_STEP_SUMMARY"):
        where = f"`{report.plan_file}` (the `plan-file` output)" if report.document else "the log"
        note = (f"> ✂️ Cut to fit GitHub's 1 MiB job summary: {utf8_bytes(markdown):,} bytes in "
                f"all; the whole report is in {where}.\n")
        summary = fit(markdown, limit=SUMMARY_LIMIT, measure=utf8_bytes, note=note)
        append_text(Path(environ["GITHUB_STEP_SUMMARY"]),
                    summary if summary.endswith("\n") else summary + "\n",
                    what="the job summary",
                    fix="point GITHUB_STEP_SUMMARY at a file that can be written")

    if comment:
        lines.extend(_comment(report, markdown, environ=environ, merged_pull=merged_pull,
                              retry_delay=retry_delay))

    exit_code = 1 if report.failed else 0
    if fail_on_changes and report.command != "apply" and report.counts.has_changes:
        what = "drift was found" if report.command == "drift" else "the plan has changes"
        lines.append(workflow_command(
            "error", f"{what} and fail-on-changes is true", title=f"reconciler {report.command}"))
        exit_code = 1
    return Published(lines=lines, exit_code=exit_code)


def _comment(
    report: RunReport, markdown: str, *, environ: Mapping[str, str], merged_pull: int | None,
    retry_delay: float,
) -> list[str]:
    token = environ.get("GITHUB_TOKEN", "")
    pull = pull_request(environ)
    if pull is None and report.command != "apply":
        return [workflow_command("notice", "comment: true is only used on pull_request runs "
                                 "(and by apply, on the merged pull request); no comment was "
                                 "written")]
    if not token:
        return [workflow_command(
            "warning", f"no github-token: the {report.command} comment was not written")]
    api_url = environ.get("GITHUB_API_URL") or DEFAULT_API_URL
    commit = None if pull else environ.get("GITHUB_SHA")
    what = f"#{pull.number}" if pull else "the merged pull request"
    try:
        with api_client(token=token, api_url=api_url, retry_delay=retry_delay) as client:
            if pull is None:
                pull = _merged(ReviewedApi(client=client), environ, merged_pull)
                if pull is None:
                    return [workflow_command(
                        "notice", f"no pull request merged {str(commit)[:7]}: the apply result "
                        "is in the job summary only")]
                what = f"#{pull.number}"
            api = CommentsApi(client=client)
            body = comment_body(markdown, environ=environ, pull=pull, commit=commit)
            if report.command == "apply":
                # Each apply is an event on the merged pull request (a re-run, a dispatch with
                # force): its own comment, so that none hides what an earlier one did.
                result = CommentResult(outcome=CommentOutcome.CREATED,
                                       comment=api.create(pull, body))
            else:
                result = upsert_comment(api, pull, marker=report.marker, body=body,
                                        create=report.counts.has_changes or report.failed)
    except GitHubApiError as error:
        hint = " (give the job `permissions: pull-requests: write`)" if error.status == 403 else ""
        return [workflow_command(
            "warning", f"could not write the comment on {what}: {error}{hint}",
            title="reconciler comment")]
    if result.outcome is CommentOutcome.SKIPPED:
        return [f"No changes: no comment on #{pull.number}."]
    where = f": {result.comment.html_url}" if result.comment and result.comment.html_url else ""
    return [f"Comment {result.outcome.value} on #{pull.number}{where}"]


def _merged(api: ReviewedApi, environ: Mapping[str, str], number: int | None
            ) -> PullRequest | None:
    """The pull request an apply reports to: the one given, else the one that merged the
    commit (None outside a repository's run, or for a direct push)."""
    repository, sha = environ.get("GITHUB_REPOSITORY"), environ.get("GITHUB_SHA")
    if not repository:
        return None
    if number is not None:
        return PullRequest(repository=repository, number=number)
    return api.merged_pull(repository, sha) if sha else None
