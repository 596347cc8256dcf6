"""The pull-request comments of the Action: one per command and configuration, edited in place.

A comment is found again by its hidden first line, the marker, which names the command and the
configuration's path (and, for people and tools reading it, the scope):
`<!-- reconciler-plan path="schedules/london" scope="london-office" -->`. Two runs on different
paths of one pull request each keep their own comment.

Three endpoints (a pull request is an issue): `GET /repos/{owner}/{repo}/issues/{n}/comments`
(paged), `POST` to the same path, and `PATCH /repos/{owner}/{repo}/issues/comments/{id}`.
"""

from __future__ import annotations

import contextlib
import enum
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from reconciler.github.rest import RestApi


@dataclass(frozen=True, kw_only=True)
class PullRequest:
    """The pull request a run reports on: the event's, or the one that merged the commit."""

    repository: str  # "owner/name"
    number: int
    head_sha: str | None = None
    author: str | None = None  # the login that opened it (policies' context)


@dataclass(frozen=True, kw_only=True)
class Marker:
    """Which comment is this run's: the command and the configuration's path (normalised)."""

    command: str
    path: str = "."

    @classmethod
    def of(cls, command: str, path: str, *, workspace: str | None = None) -> Marker:
        return cls(command=command, path=config_label(path, workspace=workspace))

    @property
    def identity(self) -> str:
        return f'<!-- reconciler-{self.command} path="{_attribute(self.path)}"'

    def line(self, scope: str | None = None) -> str:
        named = f' scope="{_attribute(scope)}"' if scope else ""
        return f"{self.identity}{named} -->"

    def matches(self, body: str) -> bool:
        first = body.lstrip().split("\n", 1)[0]
        return first.startswith(self.identity + " ")


def config_label(path: str, *, workspace: str | None = None) -> str:
    """The configuration's path as a reader knows it: relative to the workspace, `/`-separated,
    without `./` or a trailing slash (`.` for the workspace itself)."""
    text = path.replace("\\", "/") or "."
    if workspace and PurePath(text).is_absolute():
        with contextlib.suppress(ValueError):  # outside the workspace: kept as given
            text = PurePath(text).relative_to(PurePath(workspace)).as_posix() or "."
    return posixpath.normpath(text)


def _attribute(text: str) -> str:
    # Percent-encoded: no quote, no `>` (so no `-->`), no newline can end the marker early.
    return quote(text, safe="/@:+,")


@dataclass(frozen=True, kw_only=True)
class Comment:
    id: int
    body: str
    html_url: str | None = None

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Comment:
        return cls(
            id=int(item["id"]),
            body=str(item.get("body") or ""),
            html_url=item.get("html_url"),
        )


class CommentOutcome(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"


@dataclass(frozen=True, kw_only=True)
class CommentResult:
    outcome: CommentOutcome
    comment: Comment | None = None


class CommentsApi(RestApi):
    """Issue comments of one repository's pull requests; retries are the client's."""

    def list(self, pull: PullRequest) -> Iterator[Comment]:
        """Every comment on the pull request, oldest first."""
        for item in self.pages(f"/repos/{pull.repository}/issues/{pull.number}/comments"):
            yield Comment.from_json(item)

    def create(self, pull: PullRequest, body: str) -> Comment:
        return Comment.from_json(self.call(
            "POST", f"/repos/{pull.repository}/issues/{pull.number}/comments", json={"body": body}
        ))

    def update(self, pull: PullRequest, comment_id: int, body: str) -> Comment:
        return Comment.from_json(self.call(
            "PATCH", f"/repos/{pull.repository}/issues/comments/{comment_id}", json={"body": body}
        ))

    def find(self, pull: PullRequest, marker: Marker) -> Comment | None:
        """The oldest comment that starts with `marker`."""
        for comment in self.list(pull):
            if marker.matches(comment.body):
                return comment
        return None


def upsert_comment(
    api: CommentsApi, pull: PullRequest, *, marker: Marker, body: str, create: bool
) -> CommentResult:
    """Keep ONE comment per marker: edit the earlier one in place, else create it if `create`.

    A run with nothing to say (no changes) posts nothing new, but still edits an earlier comment
    so that it never shows a plan that no longer holds.
    """
    existing = api.find(pull, marker)
    if existing is None:
        if not create:
            return CommentResult(outcome=CommentOutcome.SKIPPED)
        return CommentResult(outcome=CommentOutcome.CREATED, comment=api.create(pull, body))
    if existing.body == body:
        return CommentResult(outcome=CommentOutcome.UNCHANGED, comment=existing)
    return CommentResult(
        outcome=CommentOutcome.UPDATED, comment=api.update(pull, existing.id, body)
    )
