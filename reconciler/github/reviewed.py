"""The plan reviewed for a merged pull request: which pull request merged a commit, and the
plan artifact its plan job uploaded for the pull request's head commit.

    GET /repos/{owner}/{repo}/commits/{sha}/pulls          the pull request that merged `sha`
    GET /repos/{owner}/{repo}/actions/artifacts?name=NAME  newest first: the first unexpired one
                                                           whose run was for the head commit

The artifact is found, not trusted: `reconciler apply` verifies the plan it holds (the
configuration's fingerprint, the requests derived again, the signature under a plan key) before
anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.github.comments import PullRequest
from reconciler.github.rest import GitHubApiError, RestApi

# Artifacts of one name are listed newest first; the merged pull request's is among the latest.
ARTIFACT_PAGES = 10


@dataclass(frozen=True, kw_only=True)
class Artifact:
    id: int
    name: str
    run_id: int
    head_sha: str


@dataclass(frozen=True, kw_only=True)
class Reviewed:
    """What the look-up found: the merged pull request (None: no pull request merged the
    commit), its plan artifact, and, when the pull request has none, why nothing is applied."""

    pull: PullRequest | None = None
    artifact: Artifact | None = None
    refusal: str | None = None


class ReviewedApi(RestApi):
    def merged_pull(self, repository: str, sha: str) -> PullRequest | None:
        """The merged pull request whose merge commit is `sha` (else the first merged one the
        API associates with it: a rebase or squash merge); None for a direct push."""
        listed = self.call("GET", f"/repos/{repository}/commits/{sha}/pulls",
                           params={"per_page": 100})
        if not isinstance(listed, list):
            raise GitHubApiError(f"GET /repos/{repository}/commits/{sha}/pulls: not a listing")
        merged = [pull for pull in listed if isinstance(pull, dict) and pull.get("merged_at")]
        chosen = next((pull for pull in merged if pull.get("merge_commit_sha") == sha),
                      merged[0] if merged else None)
        if chosen is None or not isinstance(chosen.get("number"), int):
            return None
        head = chosen.get("head") or {}
        return PullRequest(repository=repository, number=chosen["number"],
                           head_sha=head.get("sha") if isinstance(head, dict) else None)

    def plan_artifact(self, repository: str, name: str, head_sha: str) -> Artifact | None:
        """The newest unexpired artifact `name` made by a run for `head_sha`."""
        listing = self.pages(f"/repos/{repository}/actions/artifacts", params={"name": name},
                             items=_artifacts, max_pages=ARTIFACT_PAGES)
        for item in listing:
            run = item.get("workflow_run") or {}
            if (item.get("name") == name and not item.get("expired")
                    and run.get("head_sha") == head_sha and isinstance(run.get("id"), int)):
                return Artifact(id=int(item["id"]), name=name, run_id=run["id"],
                                head_sha=head_sha)
        return None


def _artifacts(page: Any) -> list[Any] | None:
    listed = page.get("artifacts") if isinstance(page, Mapping) else None
    return [item for item in listed if isinstance(item, dict)] if isinstance(
        listed, list) else None


def look_up(api: ReviewedApi, *, repository: str, sha: str, artifact: str, path: str
            ) -> Reviewed:
    """The reviewed plan of the pull request that merged `sha`, for the configuration `path`."""
    pull = api.merged_pull(repository, sha)
    if pull is None:
        return Reviewed()
    found = api.plan_artifact(repository, artifact, pull.head_sha) if pull.head_sha else None
    if found is None:
        head = f"its head commit {pull.head_sha[:7]}" if pull.head_sha else "its head commit"
        return Reviewed(pull=pull, refusal=(
            f"#{pull.number} was merged without a reviewed plan of {path}: no artifact "
            f"`{artifact}` from a run for {head} (its plan job did not run for this path or "
            "failed, or the artifact expired); nothing was applied"
        ))
    return Reviewed(pull=pull, artifact=found)
