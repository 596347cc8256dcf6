"""Prevail's list walk: `pagy` pages of 1,000 over the documented `start_time`/`end_time` window.

Refresh asks only for what starts in the span that can matter (`listing.listing_span`: the past
is frozen). Prevail's docs: `?start_time=<epoch>` keeps the sessions that start after it and
`?end_time=<epoch>` those that *end* before it (start plus `estimated_duration`), without saying
whether either bound is inclusive: every span has a day's slack at both ends, and reaches a
century ahead (or, for a read-back of a session whose duration is not declared, as far), so
neither edge nor a long session decides what is listed. The client checks what comes back: a
session starting well before the window shows the server reads it otherwise, or not at all,
and the rest of the run lists without it (a walk begun with it starts again, so nothing the
window may have hidden is missed). A window refused with a 400 is dropped the same way.

A list without `pagy` is read until a page adds nothing; a walk whose `count` changes between
pages is walked again (at most twice). Pages are checked as `paging.PageCheck` says: with
`pagy`, a page that repeats an earlier one or a walk that ends before its `count` fails; without
it, a repeated page ends the walk unless it holds exactly the `per_page` asked for (a server
that ignores `page` answers everything), while one that does fails (a server that ignores
`page` but honours `per_page` would never show the rest).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.errors import ResponseError
from reconciler.instants import iana_zone
from reconciler.providers.base import Provider, T
from reconciler.providers.failures import expect
from reconciler.providers.listing import SLACK, Span, instant_text, window_text
from reconciler.providers.paging import PageCheck
from reconciler.providers.prevail_mapping import Fallbacks, listed_wall_clock, read_page

log = logging.getLogger(__name__)

PAGE_MAX = 1000
# A session starting this much before the window still fits a server that reads the window as
# overlapping (a session under way at its start); one starting earlier shows it is not read
# by the start at all.
UNDER_WAY = SLACK.total_seconds()


class SessionList:
    """Walks `/sessions` and `/session_requests` for one provider, and learns, once a run,
    whether the server limits a list to the window asked."""

    def __init__(self, provider: Provider, fallbacks: Fallbacks) -> None:
        self.provider = provider
        self.fallbacks = fallbacks
        # None until a windowed answer came; False once the server showed it ignores it.
        self.window_honoured: bool | None = None

    def walk(
        self, collection: str, convert: Callable[[dict[str, Any]], T | None],
        span: Span | None = None,
    ) -> list[T]:
        """What `convert` keeps (None: left out) of every item starting in `span` (None: of
        every item), converted as its page arrives."""
        shifts = 0
        while True:
            window = span if self.window_honoured is not False else None
            items = self._walk(collection, convert, window)
            if items is not None:
                return items
            if window is not None and self.window_honoured is False:
                continue  # the window was dropped for the run: walk again without it
            shifts += 1
            if shifts == 3:
                raise ResponseError(
                    self.provider.name, f"GET /{collection}",
                    "the list kept changing during the walk; try again",
                )
            log.info("prevail: /%s changed during the walk; walking it again", collection)

    def _walk(
        self, collection: str, convert: Callable[[dict[str, Any]], T | None],
        window: Span | None,
    ) -> list[T] | None:
        """Every page, or None when the count moved between pages or the window was dropped."""
        endpoint = f"GET /{collection}"
        check = PageCheck(provider=self.provider.name, endpoint=endpoint,
                          limits=self.provider.walk_limits)
        items: dict[str, T] = {}
        read = 0
        page, pages, count = 1, 1, None
        while page <= pages:
            check.before_request()
            body = self._page(collection, page, window)
            if body is None:
                return None
            expect(isinstance(body, dict), self.provider.name, endpoint, "expected a JSON object")
            listed = read_page(body, collection, self.fallbacks)
            if listed is None:
                raise ResponseError(
                    self.provider.name, endpoint,
                    f"unexpected response: missing the `{collection}` list",
                )
            if listed.count is not None and count is not None and listed.count != count:
                return None
            if window is not None and not self._inside(listed.items, window, collection):
                return None
            paged = listed.pages is not None and listed.count is not None
            if paged and count is None:
                check.believe(listed.count or 0, pages=listed.pages or 0)
            # Each item by id; an id-less item (a pending request) by its content.
            signature = [_identity(item) or _content(item) for item in listed.items]
            where = f"page {page}"
            if not paged and check.repeats(signature) is not None and len(signature) != PAGE_MAX:
                break  # no paging block and `page` ignored: the one page was the whole list
            if paged and not listed.items and len(check.seen) < (listed.count or 0):
                raise check.ended_early(where=where, total=listed.count or 0)
            keys: list[str] = []
            added = 0
            for item in listed.items:
                ident = _identity(item)
                # Without pagy, an id-less item (a pending request) is told apart by its content.
                key = ident if ident else (f"#{read}" if listed.pages else _content(item))
                keys.append(key)
                if key not in items:
                    added += 1
                converted = convert(item)
                if converted is not None:
                    items[key] = converted
                read += 1
            check.page(signature, where=where, keys=keys)
            self.provider.page_read(read)
            if listed.pages is not None and listed.count is not None:
                count, pages = listed.count, listed.pages
            elif listed.items and added:
                pages = page + 1  # no paging block: read on until a page adds nothing
            page += 1
        if count is not None:
            check.complete(count)
        return list(items.values())

    def _page(self, collection: str, page: int, window: Span | None) -> Any:
        """One page's decoded body; None when the server refused the window (dropped)."""
        params = {"page": str(page), "per_page": str(PAGE_MAX)}
        if window is not None:
            params.update(start_time=str(int(window[0])), end_time=str(int(window[1])))
        self.provider.list_requests += 1
        try:
            response = self.provider.request("GET", collection, params=params)
        except ResponseError as error:
            if window is None or error.status != 400:
                raise
            log.info("prevail: GET /%s refused the start_time/end_time window (%s); listing "
                     "without it for the rest of this run", collection, error)
            self.window_honoured = False
            return None
        return self.provider.decode(response, f"GET /{collection}")

    def _inside(self, items: list[dict[str, Any]], window: Span, collection: str) -> bool:
        """False (and the window dropped for the run) when an item starts well outside it."""
        low, high = window
        for item in items:
            start = start_epoch(item)
            if start is None or low - UNDER_WAY <= start <= high:
                continue
            log.info("prevail: GET /%s answered %s starting at %s, outside the window %s: the "
                     "server does not limit the list by start; listing without the window for "
                     "the rest of this run", collection,
                     item.get("remote_session_id") or "an item",
                     instant_text(start), window_text(low, high))
            self.window_honoured = False
            return False
        self.window_honoured = True
        return True


def start_epoch(item: Mapping[str, Any]) -> float | None:
    """When a listed session starts (epoch seconds); None when its start cannot be read."""
    zone = item.get("time_zone")
    if not isinstance(zone, str):
        return None
    try:
        wall = listed_wall_clock(item.get("start_date"), item.get("start_time"))
        return wall.replace(tzinfo=iana_zone(zone)).timestamp()
    except (KeyError, ValueError):
        return None


def _identity(item: Mapping[str, Any]) -> str | None:
    ident = item.get("remote_session_id") or item.get("request_id")
    return str(ident) if ident else None


def _content(item: Mapping[str, Any]) -> str:
    return json.dumps(item, sort_keys=True, default=str)
