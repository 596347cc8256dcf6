"""The drift issue of each watched configuration, kept on GitHub as the example `drift.yml`
workflow keeps it: ONE open issue per configuration, labelled `reconciler-drift`, whose body is
the Markdown drift report, edited in place while the drift lasts and closed with a comment once
the configuration is back in sync.

An issue is found again by its label and either its hidden first line, the marker
`<!-- reconciler-drift-issue path="schedules/london" -->`, or its title (an issue an older
workflow opened carries no marker), so that a repository running both the workflow and `watch`
ends with one issue per configuration, not two. The path is the configuration's folder inside its
git repository, as the workflow's matrix names it.

Four endpoints: `GET /repos/{owner}/{repo}/issues?labels=...&state=open` (paged; pull requests
are listed there too), `POST /repos/{owner}/{repo}/issues`, `PATCH .../issues/{n}` and
`POST .../issues/{n}/comments`. At most one change is sent per change of a scope's drift, none
when GitHub already shows it; a failure is told on the stream and tried again at the next call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.github.comments import Marker, config_label
from reconciler.github.rest import GitHubApiError, RestApi
from reconciler.redaction import redact, redact_secrets
from reconciler.render.drift import render_drift_markdown
from reconciler.reports import DriftReport
from reconciler.watch.events import Emit, record

LABEL = "reconciler-drift"
# GitHub refuses a body over 65,536 characters; the workflow cuts its report at the same place.
MAX_REPORT = 60_000
CLOSED = "closed"  # what GitHub shows of a scope in sync: no open issue


def issue_title(folder: str) -> str:
    """The title `drift.yml` gives the issue of the configuration in `folder`."""
    return f"Schedule drift in {folder}: the remote differs from the repository"


def issue_marker(folder: str) -> Marker:
    return Marker(command="drift-issue", path=folder)


def issue_body(folder: str, report: DriftReport) -> str:
    """The marker, the drift report as `reconciler drift --format markdown` renders it, and
    what to do about it (no run link or time: the body changes only when the drift does)."""
    rendered = redact_secrets(render_drift_markdown(report))[:MAX_REPORT]
    return (
        f"{issue_marker(folder).line()}\n{rendered}\n"
        "Found by `reconciler watch`. Adopt the remote values into the YAML with "
        f"`reconciler drift {folder} --write` in a pull request, or revert them with the next "
        "apply.\n"
    )


def config_folder(path: Path) -> str:
    """The configuration's folder as the workflow's matrix names it: relative to the top of its
    git repository (`.` for the top itself); outside git, as given."""
    resolved = path.resolve()
    here = resolved if resolved.is_dir() else resolved.parent
    top = next((folder for folder in (here, *here.parents) if (folder / ".git").exists()), None)
    if top is None:
        return config_label(str(path))
    return config_label(str(resolved), workspace=str(top))


@dataclass(frozen=True, kw_only=True)
class Issue:
    number: int
    title: str
    body: str

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Issue:
        return cls(
            number=int(item["number"]),
            title=str(item.get("title") or ""),
            body=str(item.get("body") or ""),
        )


class IssuesApi:
    """The issues of one repository, through the Action's REST client (retries are its)."""

    def __init__(self, *, rest: RestApi, repository: str) -> None:
        self.rest = rest
        self.repository = repository

    def close(self) -> None:
        self.rest.close()

    def find(self, folder: str) -> Issue | None:
        """The oldest open drift issue of `folder`: by its marker, else by its title."""
        marker, title = issue_marker(folder), issue_title(folder)
        for item in self.rest.pages(
            f"/repos/{self.repository}/issues",
            params={"labels": LABEL, "state": "open", "direction": "asc"},
        ):
            if not isinstance(item, dict) or "pull_request" in item:
                continue  # a pull request carrying the label is not the issue
            issue = Issue.from_json(item)
            if marker.matches(issue.body) or issue.title == title:
                return issue
        return None

    def create(self, folder: str, body: str) -> Issue:
        return Issue.from_json(
            self.rest.call(
                "POST",
                f"/repos/{self.repository}/issues",
                json={"title": issue_title(folder), "body": body, "labels": [LABEL]},
            )
        )

    def edit(self, number: int, body: str) -> Issue:
        return Issue.from_json(
            self.rest.call(
                "PATCH", f"/repos/{self.repository}/issues/{number}", json={"body": body}
            )
        )

    def close_issue(self, number: int, comment: str) -> None:
        """Say why, then close as completed (the comment first: a closed issue that says
        nothing would be the worse half to be left with)."""
        self.rest.call(
            "POST", f"/repos/{self.repository}/issues/{number}/comments", json={"body": comment}
        )
        self.rest.call(
            "PATCH",
            f"/repos/{self.repository}/issues/{number}",
            json={"state": "closed", "state_reason": "completed"},
        )


@dataclass(kw_only=True)
class _Shown:
    """What GitHub shows of one scope, as far as this process knows: the open issue's number
    and body, or CLOSED; None until found out."""

    shown: str | None = None
    number: int | None = None


@dataclass(kw_only=True)
class DriftIssues:
    """Keeps each scope's drift issue in step with its drift report."""

    api: IssuesApi
    emit: Emit
    scopes: dict[str, _Shown] = field(default_factory=dict)

    def update(self, scope: str, path: Path, report: DriftReport) -> None:
        """Bring the issue of `scope` (the configuration at `path`) in step with `report`."""
        known = self.scopes.setdefault(scope, _Shown())
        folder = config_folder(path)
        wanted = CLOSED if report.in_sync else issue_body(folder, report)
        if wanted == known.shown:
            return
        try:
            self._bring(scope, known, folder, wanted)
        except GitHubApiError as error:
            # Found out again at the next call: this one's writes may or may not have landed.
            known.shown, known.number = None, None
            self.emit(
                record(
                    "github.failed",
                    scope=scope,
                    repository=self.api.repository,
                    message=redact(str(error)),
                )
            )

    def _bring(self, scope: str, known: _Shown, folder: str, wanted: str) -> None:
        if known.shown is None or (known.shown == CLOSED and wanted != CLOSED):
            # Not known yet, or drift again after a close: the workflow may hold one open.
            found = self.api.find(folder)
            known.number = None if found is None else found.number
            known.shown = CLOSED if found is None else found.body
            if wanted == known.shown:
                return
        if wanted == CLOSED:
            if known.number is not None:
                self.api.close_issue(
                    known.number, "In sync again: `reconciler watch` finds no drift any more."
                )
                self.emit(record("issue.closed", scope=scope, number=known.number))
        elif known.number is None:
            known.number = self.api.create(folder, wanted).number
            self.emit(record("issue.opened", scope=scope, number=known.number))
        else:
            self.api.edit(known.number, wanted)
            self.emit(record("issue.updated", scope=scope, number=known.number))
        known.shown = wanted
        if wanted == CLOSED:
            known.number = None
