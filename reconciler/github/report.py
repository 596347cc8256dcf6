"""What one run of the Action left behind, and the Markdown it reads as.

The Markdown opens with the comment's marker and a heading that names the configuration's path
and scope, so that a pull request planning several folders shows one comment per folder that
says which one it is. An apply reads: the verdict, where its plan came from (reviewed on the pull
request, or planned afresh), one row per change (applied, failed, not attempted), then the log.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.github.comments import Marker
from reconciler.github.runner import Counts, error_lines
from reconciler.render.safe import markdown_code, markdown_text, visible_lines

COMMANDS = ("plan", "apply", "drift")

# More results than this fold the table, so that the verdict and the failures stay on screen.
FOLD_RESULTS = 10
APPLIED, FAILED, NOT_ATTEMPTED = "applied", "failed", "not attempted"
RESULT_ICON = {APPLIED: "✅", FAILED: "❌", NOT_ATTEMPTED: "⏸️"}


@dataclass(frozen=True, kw_only=True)
class ReviewedPlan:
    """Where an applied plan came from: the pull request it was reviewed on and its plan run."""

    pull: int
    run_url: str | None = None
    head_sha: str | None = None


@dataclass(frozen=True, kw_only=True)
class RunReport:
    """What one `reconciler plan|drift|apply` run left behind for the Action to publish."""

    command: str
    exitcode: int
    path: str = "."
    markdown: str = ""
    document: dict[str, Any] | None = None
    plan_file: Path | None = None
    apply_log: str | None = None
    journal: tuple[dict[str, Any], ...] = ()
    stderr: str = ""
    reviewed: ReviewedPlan | None = None

    @property
    def marker(self) -> Marker:
        return Marker(command=self.command, path=self.path)

    @property
    def scope(self) -> str | None:
        scope = (self.document or {}).get("scope")
        name = scope.get("name") if isinstance(scope, dict) else None
        return name if isinstance(name, str) and name else None

    @property
    def warnings(self) -> list[str]:
        """The warnings in the plan the command wrote (none when it wrote no plan)."""
        listed = (self.document or {}).get("warnings")
        if not isinstance(listed, list):
            return []
        return [text for text in listed if isinstance(text, str)]

    @property
    def findings(self) -> list[dict[str, Any]]:
        """The policy findings in the plan the command wrote (`policy.findings`)."""
        policy = (self.document or {}).get("policy")
        listed = policy.get("findings") if isinstance(policy, dict) else None
        if not isinstance(listed, list):
            return []
        return [item for item in listed if isinstance(item, dict)]

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
            "scope": self.scope or "",
        }


def read_report(
    *,
    command: str,
    exitcode: int,
    plan_file: Path | None,
    markdown: Path | None,
    apply_log: Path | None = None,
    journal: Path | None = None,
    stderr: Path | None = None,
    path: str = ".",
    reviewed: ReviewedPlan | None = None,
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
        path=path,
        markdown=_read(markdown) or "",
        document=document,
        plan_file=plan_file,
        apply_log=_read(apply_log),
        journal=tuple(_journal_entries(_read(journal) or "")),
        stderr=_read(stderr) or "",
        reviewed=reviewed,
    )


def _read(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _journal_entries(text: str) -> list[dict[str, Any]]:
    entries = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut short by a killed apply
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


# -- Markdown ------------------------------------------------------------------------------------


def report_markdown(report: RunReport, *, workflow: str | None = None) -> str:
    """The Markdown for the job summary and the comment: marker, named heading, then the body.
    `workflow` (the running workflow's name) words the way through a refused apply."""
    if report.command == "apply":
        body = _apply_body(report, workflow=workflow)
    elif report.failed:
        body = _failure_lines(report)
    else:
        body = _without_heading(report.markdown)
    return f"{report.marker.line(report.scope)}\n{heading(report)}\n\n{body}"


def heading(report: RunReport) -> str:
    scope = f" · scope {markdown_code(report.scope)}" if report.scope else ""
    return f"### reconciler {report.command}: {markdown_code(report.path)}{scope}"


def _without_heading(markdown: str) -> str:
    """The command's own Markdown without its marker and `###` heading (replaced by named ones)."""
    lines = markdown.lstrip("\n").split("\n")
    if lines and lines[0].startswith("<!-- reconciler-"):
        lines = lines[1:]
    if lines and lines[0].startswith("### "):
        lines = lines[1:]
    while lines and not lines[0].strip():
        lines = lines[1:]
    return "\n".join(lines)


def _failure_lines(report: RunReport) -> str:
    lines = [f"❌ **`reconciler {report.command}` failed** (exit {report.exitcode}).", ""]
    errors = error_lines(report.stderr)
    if errors:
        lines += ["```text", *errors, "```", ""]
    return "\n".join(lines) + "\n"


def _apply_body(report: RunReport, *, workflow: str | None) -> str:
    """The verdict, where the plan came from, the results, the way through, then the logs."""
    plan_part = _without_heading(report.markdown)
    results = apply_results(report.document, report.journal)
    tally = _tally(results, report.apply_log)
    if tally is None and report.failed:
        lines = [f"❌ **Not applied**: `reconciler apply` failed (exit {report.exitcode}).", ""]
    elif tally is None:
        lines = ["Nothing to apply.", ""]
    elif report.failed:
        lines = [f"❌ **Apply failed** (exit {report.exitcode}): {tally}", ""]
    else:
        lines = [f"✅ **Applied**: {tally}", ""]
    lines += _source_lines(report, applied=tally is not None)
    errors = error_lines(report.stderr) if report.failed else []
    if errors:
        lines += ["```text", *errors, "```", ""]
    lines += _way_through(report, "\n".join(errors), workflow=workflow, ran=tally is not None)
    if tally is not None:
        lines += _result_table(results)
    if report.apply_log:
        lines += ["<details><summary>Apply log</summary>", "", "```text",
                  *report.apply_log.rstrip("\n").split("\n"), "```", "</details>", ""]
    text = visible_lines(lines) + "\n"
    if plan_part.strip() and report.reviewed is None:
        # A fresh plan was never reviewed on a pull request: show it, folded.
        text += f"<details><summary>The plan</summary>\n\n{plan_part.rstrip()}\n\n</details>\n"
    return text


def _source_lines(report: RunReport, *, applied: bool) -> list[str]:
    reviewed = report.reviewed
    if reviewed is None:
        # Only a plan that was applied is worth placing; a refused fresh plan says why below.
        return ["Planned afresh from this commit (not reviewed on a pull request), then exactly "
                "that plan was applied; it is below.", ""] if applied else []
    run = f"[its plan run]({reviewed.run_url})" if reviewed.run_url else "its plan run"
    commit = f", commit `{reviewed.head_sha[:7]}`" if reviewed.head_sha else ""
    source = f"The plan reviewed on #{reviewed.pull} ({run}{commit})"
    if applied:
        return [f"{source}, verified before anything was sent.", ""]
    return [f"{source} was checked against the main branch and the remote, and refused:", ""]


def _way_through(report: RunReport, errors: str, *, workflow: str | None, ran: bool
                 ) -> list[str]:
    """What a person does next when an apply was refused, or some of its changes failed."""
    if not report.failed:
        return []
    by_hand = f"run the `{markdown_text(workflow)}` workflow by hand" if workflow else (
        "run the apply workflow by hand")
    if ran:
        return [f"Once the cause is fixed, {by_hand} (`workflow_dispatch`): it plans afresh and "
                "finishes what is left.", ""]
    if "--force" in errors:
        return [f"The safety rail holds this plan back: it goes through only by a person's "
                f"decision. Review it, then {by_hand} with its `force` input (`args: --force`).",
                ""]
    afresh = (f"{by_hand} (`workflow_dispatch`); it plans the main branch afresh, shows that "
              "plan in its summary, and applies it.")
    if report.reviewed is not None:
        return [f"The reviewed plan no longer holds, so nothing was applied: {afresh}", ""]
    if "reviewed plan" in errors:
        return [f"Without the reviewed plan nothing was applied: {afresh}", ""]
    return []


@dataclass(frozen=True, kw_only=True)
class Result:
    address: str
    action: str
    status: str
    message: str = ""


def apply_results(document: Mapping[str, Any] | None,
                  journal: tuple[dict[str, Any], ...]) -> list[Result]:
    """One result per planned change, from the apply's journal: its last outcome, or none."""
    outcomes: dict[str, dict[str, Any]] = {}
    for entry in journal:
        if entry.get("event") in (APPLIED, FAILED) and isinstance(entry.get("address"), str):
            outcomes[entry["address"]] = entry
    results = []
    for change in (document or {}).get("changes") or []:
        if not isinstance(change, dict) or not isinstance(change.get("address"), str):
            continue
        outcome = outcomes.get(change["address"])
        status = str(outcome["event"]) if outcome else NOT_ATTEMPTED
        message = outcome.get("message") if outcome and status == FAILED else None
        results.append(Result(address=change["address"], action=str(change.get("action", "")),
                              status=status, message=str(message or "")))
    return results


def _tally(results: list[Result], log: str | None) -> str | None:
    """`3 applied, 0 failed, 0 not attempted.` once an apply ran through (None: it never
    started, or was refused); counted from the journal, else read from the log."""
    done = "Apply complete: "
    said = next((line[len(done):] for line in (log or "").splitlines()
                 if line.startswith(done)), None)
    if said is None or not results:
        return said
    count = {status: sum(1 for r in results if r.status == status)
             for status in (APPLIED, FAILED, NOT_ATTEMPTED)}
    return (f"{count[APPLIED]:,} applied, {count[FAILED]:,} failed, "
            f"{count[NOT_ATTEMPTED]:,} not attempted.")


def _result_table(results: list[Result]) -> list[str]:
    if not results:
        return []
    # Failures first: they are what a person has to act on.
    order = {FAILED: 0, NOT_ATTEMPTED: 1, APPLIED: 2}
    rows = [
        f"| {RESULT_ICON[r.status]} {r.status} | {markdown_code(r.address)} | {r.action} | "
        f"{markdown_text(r.message) if r.message else '—'} |"
        for r in sorted(results, key=lambda r: order[r.status])
    ]
    table = ["| result | object | action | message |", "|---|---|---|---|", *rows, ""]
    if len(results) <= FOLD_RESULTS:
        return table
    return [f"<details><summary>All {len(results):,} results</summary>", "", *table,
            "</details>", ""]

