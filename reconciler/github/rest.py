"""The one GitHub REST client of the Action: its transport, its errors and its paging.

Built by `http.build_client`, so GitHub's calls share the providers' transport policy: one retry
on 429/5xx or a connection failure (after `Retry-After` when given), and a POST whose response
was lost is reported rather than sent twice (no duplicate comment). The token travels in a header
only; no message built here ever holds it, and a `next` page elsewhere than the API is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx

from reconciler.errors import ReconcilerError
from reconciler.http import ResponseLost, RetryPolicy, build_client

DEFAULT_API_URL = "https://api.github.com"
PER_PAGE = 100
# Enough for 10,000 items; a listing longer than that is not worth following further.
MAX_PAGES = 100


class GitHubApiError(ReconcilerError):
    """A REST call failed (after its retry); the message names the call, never the token."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


def api_client(
    *, token: str, api_url: str = DEFAULT_API_URL, timeout: float = 30.0, retry_delay: float = 1.0
) -> httpx.Client:
    """A client for the REST API at `api_url` (GITHUB_API_URL on GitHub Enterprise)."""
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


class RestApi:
    """Calls on one client: errors mapped to `GitHubApiError`, lists followed page by page."""

    def __init__(self, *, client: httpx.Client) -> None:
        self._client = client

    def close(self) -> None:
        self._client.close()

    def call(self, method: str, url: str, *, json: Any = None,
             params: dict[str, Any] | None = None) -> Any:
        """The call's JSON answer."""
        return _json(self._send(method, url, json=json, params=params))

    def pages(
        self, url: str, *, params: dict[str, Any] | None = None,
        items: Callable[[Any], list[Any] | None] = lambda page: page,
        max_pages: int = MAX_PAGES,
    ) -> Iterator[Any]:
        """Every item of a listing, following the `Link: rel=next` pages; `items` picks the list
        out of a page (None: the page is not what was expected)."""
        following: str | None = url
        query: dict[str, Any] | None = {"per_page": PER_PAGE, **(params or {})}
        origin = urlsplit(str(self._client.base_url))
        for _ in range(max_pages):
            if following is None:
                return
            response = self._send("GET", following, params=query)
            listed = items(_json(response))
            if not isinstance(listed, list):
                raise GitHubApiError(f"GET {urlsplit(url).path}: the answer is not a listing")
            yield from listed
            after = response.links.get("next", {}).get("url")
            following, query = None, None
            if after:
                # The token goes only where the API lives.
                parts = urlsplit(after)
                if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
                    raise GitHubApiError(f"GET {urlsplit(url).path}: next page is elsewhere")
                following = after

    def _send(self, method: str, url: str, *, json: Any = None,
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


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise GitHubApiError(
            f"{response.request.method} {response.request.url.path} answered something that is "
            "not JSON"
        ) from None


def _api_message(response: httpx.Response) -> str:
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        return ""
    return f": {message}" if isinstance(message, str) and message else ""
