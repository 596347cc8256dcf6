"""The GitHub Action's reporting: step outputs, job summary, PR comment, annotations and masks.

The Action (`action.yml`) runs `reconciler plan|drift|apply` itself and hands the files they
wrote to `publish`, which speaks the runner's protocol: `name=value` lines in `$GITHUB_OUTPUT`,
Markdown appended to `$GITHUB_STEP_SUMMARY`, `::error file=...::` and `::warning file=...::`
workflow commands on stdout (errors from stderr, warnings from the plan), and one pull-request
comment kept up to date through the REST API (`comments`).
Nothing here prints: functions return the workflow-command lines and the CLI echoes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.github.comments import (
    DEFAULT_API_URL,
    CommentOutcome,
    CommentsApi,
    GitHubApiError,
    PullRequest,
    api_client,
    upsert_comment,
)
from reconciler.github.runner import (
    CONFIG_ISSUE,
    Counts,
    error_annotations,
    fit,
    redact,
    utf8_bytes,
    utf16_units,
    warning_annotations,
    workflow_command,
    write_outputs,
)
from reconciler.render.drift import MARKER as DRIFT_MARKER
from reconciler.render.markdown import MARKER as PLAN_MARKER

COMMANDS = ("plan", "apply", "drift")
MARKERS = {"plan": PLAN_MARKER, "drift": DRIFT_MARKER, "apply": "<!-- reconciler-apply -->"}

# GitHub refuses a step summary over 1 MiB and a comment body over 65,536 characters.
SUMMARY_LIMIT = 1024 * 1024 - 1024
COMMENT_LIMIT = 65_535 - 35

@dataclass(frozen=True, kw_only=True)
class RunReport:
    """What one `reconciler plan|drift|apply` run left behind for the Action to publish."""

    command: str
    exitcode: int
    markdown: str = ""
    document: dict[str, Any] | None = None
    plan_file: Path | None = None
    apply_log: str | None = None
    stderr: str = ""

    @property
    def warnings(self) -> list[str]:
        """The warnings in the plan the command wrote (none when it wrote no plan)."""
        listed = (self.document or {}).get("warnings")
        if not isinstance(listed, list):
            return []
        return [text for text in listed if isinstance(text, str)]

    @property
    def counts(self) -> Counts:
        return Counts.from_document(self.document)

    @property
    def failed(self) -> bool:
        if self.exitcode == 0:
            return False
        # Exit 2 means "changes" only from plan/drift, and only when they wrote their document
        # (an older reconciler exited 2 on a usage error too).
        return not (self.exitcode == 2 and self.command != "apply" and self.document is not None)

    def outputs(self) -> dict[str, str]:
        counts = self.counts
        return {
            "exitcode": str(self.exitcode),
            "has_changes": "true" if counts.has_changes else "false",
            "creates": str(counts.creates),
            "updates": str(counts.updates),
            "deletes": str(counts.deletes),
            "plan-file": str(self.plan_file) if self.plan_file and self.document else "",
        }


def read_report(
    *,
    command: str,
    exitcode: int,
    plan_file: Path | None,
    markdown: Path | None,
    apply_log: Path | None = None,
    stderr: Path | None = None,
) -> RunReport:
    """Gather a run's files; any of them may be missing (an error stops a run early)."""
    document: dict[str, Any] | None = None
    if plan_file is not None:
        try:
            loaded = json.loads(plan_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            loaded = None
        document = loaded if isinstance(loaded, dict) else None
    return RunReport(
        command=command,
        exitcode=exitcode,
        markdown=_read(markdown) or "",
        document=document,
        plan_file=plan_file,
        apply_log=_read(apply_log),
        stderr=_read(stderr) or "",
    )


def _read(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


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


def report_markdown(report: RunReport) -> str:
    """The Markdown for the job summary and the comment; it starts with the command's marker."""
    marker = MARKERS[report.command]
    if report.command == "apply":
        return _apply_markdown(report, marker)
    if report.failed:
        return _failure_markdown(report, marker, heading=f"reconciler {report.command}")
    markdown = report.markdown
    return markdown if markdown.lstrip().startswith(marker) else f"{marker}\n{markdown}"


def _error_lines(stderr: str) -> str:
    return "\n".join(
        line for line in stderr.splitlines()
        if CONFIG_ISSUE.match(line) or line.startswith("Error: ")
    )


def _failure_markdown(report: RunReport, marker: str, *, heading: str) -> str:
    lines = [marker, f"### {heading}", "",
             f"❌ **`reconciler {report.command}` failed** (exit {report.exitcode}).", ""]
    errors = _error_lines(report.stderr)
    if errors:
        lines += ["```text", errors, "```", ""]
    return "\n".join(lines) + "\n"


def _apply_markdown(report: RunReport, marker: str) -> str:
    """The verdict, the plan that was applied, then the apply log (folded)."""
    plan_part = report.markdown.replace(PLAN_MARKER + "\n", "", 1)
    if report.apply_log is None:
        if report.failed:  # the plan itself failed
            return _failure_markdown(report, marker, heading="reconciler apply") + plan_part
        return f"{marker}\n### reconciler apply\n\nNothing to apply.\n\n{plan_part}"
    done = "Apply complete: "
    tally = next(
        (line[len(done) :] for line in report.apply_log.splitlines() if line.startswith(done)),
        "",
    )
    verdict = (
        f"❌ **Apply failed** (exit {report.exitcode})" if report.failed else "✅ **Applied**"
    ) + (f": {tally}" if tally else ".")
    lines = [marker, "### reconciler apply", "", verdict, ""]
    errors = _error_lines(report.stderr) if report.failed else ""
    if errors:
        lines += ["```text", errors, "```", ""]
    log = ["<details><summary>Apply log</summary>", "", "```text",
           report.apply_log.rstrip("\n"), "```", "</details>", ""]
    return "\n".join(lines) + "\n" + plan_part + "\n" + "\n".join(log)


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
    return PullRequest(repository=repository, number=pull["number"], head_sha=head.get("sha"))


def comment_body(markdown: str, *, environ: Mapping[str, str], pull: PullRequest) -> str:
    """The comment: the report cut to GitHub's limit, then which commit and where the rest is."""
    url = run_url(environ)
    where = f"[the job summary]({url})" if url else "the job summary"
    commit = f"for commit `{pull.head_sha[:7]}` · " if pull.head_sha else ""
    footer = f"\n---\n<sub>reconciler {commit}full report in {where}</sub>\n"
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
    retry_delay: float = 1.0,
) -> Published:
    """Write the outputs and the job summary, annotate errors and warnings, and keep the PR
    comment."""
    secrets = list(secrets)
    workspace = environ.get("GITHUB_WORKSPACE")
    lines = error_annotations(report.stderr, command=report.command, workspace=workspace)
    lines += warning_annotations(
        (redact(warning, secrets) for warning in report.warnings),
        command=report.command,
        workspace=workspace,
    )
    lines += duplicate_annotations(report)
    if report.failed and not lines:
        lines.append(workflow_command(
            "error", f"reconciler {report.command} failed (exit {report.exitcode}); see the log",
            title=f"reconciler {report.command}"))

    if environ.get("GITHUB_OUTPUT"):
        write_outputs(Path(environ["GITHUB_OUTPUT"]), report.outputs())

    markdown = redact(report_markdown(report), secrets)
    if environ.get("GITHUB_STEP_SUMMARY"):
        where = f"`{report.plan_file}` (the `plan-file` output)" if report.document else "the log"
        note = (f"> ✂️ Cut to fit GitHub's 1 MiB job summary: {utf8_bytes(markdown):,} bytes in "
                f"all; the whole report is in {where}.\n")
        summary = fit(markdown, limit=SUMMARY_LIMIT, measure=utf8_bytes, note=note)
        with Path(environ["GITHUB_STEP_SUMMARY"]).open("a", encoding="utf-8") as file:
            file.write(summary if summary.endswith("\n") else summary + "\n")

    if comment:
        lines.extend(_comment(report, markdown, environ=environ, retry_delay=retry_delay))

    exit_code = 1 if report.failed else 0
    if fail_on_changes and report.command != "apply" and report.counts.has_changes:
        what = "drift was found" if report.command == "drift" else "the plan has changes"
        lines.append(workflow_command(
            "error", f"{what} and fail-on-changes is true", title=f"reconciler {report.command}"))
        exit_code = 1
    return Published(lines=lines, exit_code=exit_code)


def _comment(
    report: RunReport, markdown: str, *, environ: Mapping[str, str], retry_delay: float
) -> list[str]:
    pull = pull_request(environ)
    if pull is None:
        return [workflow_command("notice", "comment: true is only used on pull_request runs; "
                                 "no comment was written")]
    token = environ.get("GITHUB_TOKEN", "")
    if not token:
        return [workflow_command("warning", "no github-token: the plan comment was not written")]
    body = comment_body(markdown, environ=environ, pull=pull)
    api_url = environ.get("GITHUB_API_URL") or DEFAULT_API_URL
    try:
        with api_client(token=token, api_url=api_url, retry_delay=retry_delay) as client:
            result = upsert_comment(
                CommentsApi(client=client),
                pull,
                marker=MARKERS[report.command],
                body=body,
                create=report.counts.has_changes or report.failed,
            )
    except GitHubApiError as error:
        hint = " (give the job `permissions: pull-requests: write`)" if error.status == 403 else ""
        return [workflow_command(
            "warning", f"could not write the comment on #{pull.number}: {error}{hint}",
            title="reconciler comment")]
    if result.outcome is CommentOutcome.SKIPPED:
        return [f"No changes: no comment on #{pull.number}."]
    where = f": {result.comment.html_url}" if result.comment and result.comment.html_url else ""
    return [f"Comment {result.outcome.value} on #{pull.number}{where}"]
