"""Previsto's list walk: zero-based pages of a bare JSON array, read as the docs promise.

A walk reads `page`/`size` pages of `GET /assignments`, narrowed by equality filters when
given ([doc]: any property as a query parameter), with the `X-Total-Count` header when the
server sends it (without it, pages are read until a short one); never the `Link` header.
Previsto's API reference allows pages of 100, its newer developer pages 1000: the walk asks
for 1000 (at 120 requests a minute, ten times fewer pages) and, on a 400 naming `size`, reads
pages of 100 for the rest of the run. A server that silently serves fewer than asked is paged
by what it serves. A walk whose total moves between pages is walked again (at most twice).
Pages are checked as `paging.PageCheck` says (a repeated page, an empty page or a walk ending
before `X-Total-Count`, a total or a walk too long to believe all fail), and at most
`READ_AHEAD` of them are ever asked for ahead of the one being read.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx

from reconciler.errors import ResponseError
from reconciler.providers.base import Provider
from reconciler.providers.failures import expect
from reconciler.providers.paging import PageCheck, pages_for

log = logging.getLogger(__name__)

PAGE_LARGE = 1000  # the newer developer pages' maximum
PAGE_DOCUMENTED = 100  # the API reference's maximum, which every Previsto serves
READ_AHEAD = 4  # requests in flight, once the first page has told the total
ENDPOINT = "GET /assignments"
# A list request's refusals this module reads itself (a 400 may name `size`).
REFUSALS = frozenset({400})

Assignment = dict[str, Any]
# One page as read: its assignments and the X-Total-Count it came with (None: not sent).
Page = tuple[list[Assignment], int | None]


class AssignmentList:
    """`GET /assignments` for one provider, and the page size the run has settled on."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        # The page size this run asks for; falls back once, for the run, if refused.
        self.page_size = PAGE_LARGE

    def walk(self, filters: Mapping[str, str] | None = None, *,
             first: Page | None = None) -> list[Assignment]:
        """Every assignment the filters select, by id; `first` is page 0, already read."""
        for _attempt in range(3):
            assignments = self._walk(dict(filters or {}), first)
            if assignments is not None:
                return assignments
            first = None
            log.info("previsto: /assignments changed during the walk; walking it again")
        raise ResponseError(
            self.provider.name, ENDPOINT, "the list kept changing during the walk; try again"
        )

    def first_page(self, filters: Mapping[str, str] | None = None) -> Page:
        """Page 0 of a filtered list: its assignments and the total it tells."""
        page = self._read(self._fetch(0, dict(filters or {})))
        self.provider.list_requests += 1
        return page

    def pages_left(self, page: Page) -> int | None:
        """How many more requests a walk that read `page` (page 0) needs; None if unknown."""
        body, total = page
        if total is None:
            return None
        size = self._served_size(len(body), total)
        return max(0, -(-total // size) - 1)

    def _walk(self, filters: dict[str, str], first: Page | None) -> list[Assignment] | None:
        """Read every page, or None when the total moved between pages (walk again).

        Once the first page has told the total, the rest are read a few at a time (within the
        same pacing) and taken in order.
        """
        check = PageCheck(provider=self.provider.name, endpoint=ENDPOINT,
                          limits=self.provider.walk_limits)
        assignments: dict[str, Assignment] = {}
        check.before_request()  # page 0, whether read here or by the caller
        body, total = first if first is not None else self.first_page(filters)
        self._take(body, assignments, check, 0)
        size = self._served_size(len(body), total)
        if total is None:  # no X-Total-Count: page on until a short (or empty) page
            page = 1
            while body and len(body) >= size:
                check.before_request()
                body, _ = self._read(self._fetch(page, filters))
                self.provider.list_requests += 1
                self._take(body, assignments, check, page)
                page += 1
            return list(assignments.values())
        check.believe(total, pages=pages_for(total, size))
        # The pool only waits on the network; pages are decoded here, on one thread, which also
        # keeps their memory in one allocator arena.
        with ThreadPoolExecutor(READ_AHEAD, thread_name_prefix="previsto-page") as pool:
            for page, response in self._ahead(pool, range(1, pages_for(total, size)), filters,
                                              check):
                body, now_total = self._read(response)
                self.provider.list_requests += 1
                if now_total is not None and now_total != total:
                    return None
                if not body and len(check.seen) < total:
                    raise check.ended_early(where=f"page {page}", total=total)
                self._take(body, assignments, check, page)
        check.complete(total)
        return list(assignments.values())

    def _ahead(
        self, pool: ThreadPoolExecutor, pages: range, filters: Mapping[str, str],
        check: PageCheck,
    ) -> Iterator[tuple[int, httpx.Response]]:
        """Each page's response in order, with at most `READ_AHEAD` requests in flight: a
        walk stopped early leaves no queue of pages behind it."""
        numbers = iter(pages)
        flight: deque[tuple[int, Future[httpx.Response]]] = deque()

        def ask() -> None:
            page = next(numbers, None)
            if page is not None:
                check.before_request()
                flight.append((page, pool.submit(self._fetch, page, filters)))

        for _ in range(READ_AHEAD):
            ask()
        while flight:
            page, future = flight.popleft()
            response = future.result()
            ask()
            yield page, response

    def _served_size(self, first: int, total: int | None) -> int:
        """How many assignments a page holds: what was asked, unless the first page shows less.

        A first page shorter than both the size asked and the total means the server caps pages
        below what it was asked without saying so; its pages are then that long.
        """
        asked = self.page_size
        capped = first < asked and (total is None or first < total)
        if not capped or first == 0:
            return asked
        if total is not None:
            log.info("previsto: asked for pages of %d, the server serves %d; paging by that",
                     asked, first)
        return first

    def _fetch(self, page: int, filters: Mapping[str, str]) -> httpx.Response:
        params = {**filters, "page": str(page), "size": str(self.page_size)}
        provider = self.provider
        response = provider.request("GET", "assignments", params=params, allow=REFUSALS)
        refused_size = response.status_code == 400 and _refused_param(response) == "size"
        if refused_size and self.page_size > PAGE_DOCUMENTED:
            log.info("previsto: the server refused pages of %d (400 naming size); reading pages "
                     "of %d for the rest of this run", self.page_size, PAGE_DOCUMENTED)
            provider.list_requests += 1
            self.page_size = PAGE_DOCUMENTED
            return self._fetch(page, filters)
        if response.status_code in REFUSALS:
            raise ResponseError(
                provider.name, ENDPOINT,
                f"{response.status_code} {provider.answer_message(response)}",
                status=response.status_code,
            )
        return response

    def _read(self, response: httpx.Response) -> Page:
        """One page of assignments and the X-Total-Count it was read with."""
        body = self.provider.decode(response, ENDPOINT)
        expect(isinstance(body, list), self.provider.name, ENDPOINT, "expected a JSON array")
        for assignment in body:
            expect(
                isinstance(assignment, dict) and isinstance(assignment.get("id"), str),
                self.provider.name, ENDPOINT, "an assignment without an id",
            )
        header = response.headers.get("X-Total-Count", "").strip()
        return body, int(header) if header.isdigit() else None

    def _take(self, body: list[Assignment], assignments: dict[str, Assignment],
              check: PageCheck, page: int) -> None:
        """Keep one page's assignments (by id), once the page is checked."""
        check.page([assignment["id"] for assignment in body], where=f"page {page}")
        for assignment in body:
            assignments[assignment["id"]] = assignment
        self.provider.page_read(len(assignments))


def _refused_param(response: httpx.Response) -> str | None:
    """The `param` a Previsto error body names, if it is one."""
    try:
        body = response.json()
    except ValueError:
        return None
    param = body.get("param") if isinstance(body, dict) else None
    return param if isinstance(param, str) else None
