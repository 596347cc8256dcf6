"""The GitHub REST calls of the Action: list, create and edit the one pull-request comment.

Only three endpoints are used (issue comments; a pull request is an issue):
`GET /repos/{owner}/{repo}/issues/{n}/comments` (paged with `Link` headers),
`POST` to the same path, and `PATCH /repos/{owner}/{repo}/issues/comments/{id}`.
The token travels in a header only; no message built here ever holds it.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from reconciler.errors import ReconcilerError
from reconciler.http import ResponseLost, RetryPolicy, build_client

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
PER_PAGE = 100
# Enough for 10,000 comments; a pull request with more is not worth following further.
MAX_PAGES = 100


class GitHubApiError(ReconcilerError):
    """A REST call failed (after its retry); the message names the call, never the token."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


@dataclass(frozen=True, kw_only=True)
class PullRequest:
    """The pull request a workflow run is for, read from the event payload."""

    repository: str  # "owner/name"
    number: int
    head_sha: str | None = None


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


def api_client(
    *, token: str, api_url: str = DEFAULT_API_URL, timeout: float = 30.0, retry_delay: float = 1.0
) -> httpx.Client:
    """A client for the REST API at `api_url` (GITHUB_API_URL on GitHub Enterprise).

    Built by `http.build_client`, so GitHub's calls share the providers' transport policy: one
    retry on 429/5xx or a connection failure (after `Retry-After` when given), and a POST whose
    response was lost is reported rather than sent twice (no duplicate comment).
    """
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        return build_client(
            "github",
            api_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            policy=RetryPolicy(
                attempts=2, initial_wait=retry_delay, max_wait=max(retry_delay, 10.0)
            ),
            headers=headers,
        )
    except ReconcilerError as error:  # a GITHUB_API_URL that is not an https URL
        raise GitHubApiError(str(error)) from None


class CommentsApi:
    """Issue comments of one repository's pull requests; retries are the client's (`api_client`)."""

    def __init__(self, *, client: httpx.Client) -> None:
        self._client = client

    def _call(self, method: str, url: str, *, json: Any = None,
              params: dict[str, Any] | None = None) -> httpx.Response:
        what = f"{method} {urlsplit(url).path or url}"
        try:
            response = self._client.request(method, url, json=json, params=params)
        except ResponseLost as lost:
            # `lost` names the call and what happened, never the token.
            raise GitHubApiError(f"{lost}; not sent again, so nothing is posted twice") from None
        except httpx.HTTPError as error:
            raise GitHubApiError(f"{what}: {type(error).__name__}") from None
        if response.is_error:
            raise GitHubApiError(
                f"{what} answered {response.status_code}{_api_message(response)}",
                status=response.status_code,
            )
        return response

    def list(self, pull: PullRequest) -> Iterator[Comment]:
        """Every comment on the pull request, oldest first, following the `Link: rel=next` pages."""
        url: str | None = f"/repos/{pull.repository}/issues/{pull.number}/comments"
        params: dict[str, Any] | None = {"per_page": PER_PAGE}
        origin = urlsplit(str(self._client.base_url))
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self._call("GET", url, params=params)
            page = response.json()
            if not isinstance(page, list):
                raise GitHubApiError(f"GET {url}: expected a list of comments")
            for item in page:
                yield Comment.from_json(item)
            following = response.links.get("next", {}).get("url")
            url, params = None, None
            if following:
                # The token goes only where the API lives.
                parts = urlsplit(following)
                if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
                    raise GitHubApiError(f"GET {pull.repository} comments: next page is elsewhere")
                url = following

    def create(self, pull: PullRequest, body: str) -> Comment:
        response = self._call(
            "POST", f"/repos/{pull.repository}/issues/{pull.number}/comments", json={"body": body}
        )
        return Comment.from_json(response.json())

    def update(self, pull: PullRequest, comment_id: int, body: str) -> Comment:
        response = self._call(
            "PATCH", f"/repos/{pull.repository}/issues/comments/{comment_id}", json={"body": body}
        )
        return Comment.from_json(response.json())

    def find(self, pull: PullRequest, marker: str) -> Comment | None:
        """The oldest comment whose body starts with `marker` (the hidden HTML comment)."""
        for comment in self.list(pull):
            if comment.body.lstrip().startswith(marker):
                return comment
        return None


def upsert_comment(
    api: CommentsApi, pull: PullRequest, *, marker: str, body: str, create: bool
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


def _api_message(response: httpx.Response) -> str:
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        return ""
    return f": {message}" if isinstance(message, str) and message else ""
