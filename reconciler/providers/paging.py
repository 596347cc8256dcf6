"""What a list walk may cost, and what its pages must show before a plan is made from them.

Refresh plans a create for every declared object a walk did not find, so a walk that stops
short is worse than one that fails. Every provider's walk keeps a `PageCheck`, which turns each
of these into a failure of the refresh (a `ResponseError` naming the endpoint), never a short
list:

- a page holding exactly the objects of an earlier page: the server ignores the paging
  (`offset`, `page`), and what lies beyond the first page would never be seen;
- an empty page, or a walk that ends with fewer objects, while the list's own total (Prospero's
  `total`, Prevail's `pagy.count`, Previsto's `X-Total-Count`) says there are more;
- a walk past `WalkLimits.max_pages` requests, or past `max_total` objects: a list that never
  ends;
- a total above `WalkLimits.max_total`, or one that would take more pages than `max_pages`: it
  is not believed, and no page is queued from it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass

from reconciler.errors import ResponseError

# Why a walk that cannot be completed fails rather than plans: said once, in every message.
REFUSAL = "refusing to plan from part of it"


@dataclass(frozen=True, kw_only=True)
class WalkLimits:
    """What one walk may cost before it is given up.

    Half a million objects is five times the largest account the benchmarks measure (100,000
    past objects per kind, which a Previsto walk of every assignment reads) and still fits in
    memory; at the smallest page an API documents (100) it is 5,000 pages, 43 minutes at
    Previsto's rate limit, so the run's deadline (30 minutes by default) comes first there.
    """

    max_pages: int = 5_000
    max_total: int = 500_000


class PageCheck:
    """One walk's pages, checked as they arrive (one per walk attempt; not thread-safe)."""

    def __init__(self, *, provider: str, endpoint: str, limits: WalkLimits) -> None:
        self.provider = provider
        self.endpoint = endpoint
        self.limits = limits
        self.requests = 0
        self.seen: set[str] = set()  # every object read so far, by id
        # Each page read so far, by a digest of its ids: where it was read.
        self._pages: dict[bytes, str] = {}

    def fail(self, message: str) -> ResponseError:
        return ResponseError(self.provider, self.endpoint, message)

    def before_request(self) -> None:
        """Count one request of the walk; refuse the one past `max_pages`."""
        if self.requests >= self.limits.max_pages:
            raise self.fail(
                f"the list did not end within {self.limits.max_pages} pages, so it is not read "
                f"further (a list that never ends); {REFUSAL}"
            )
        self.requests += 1

    def believe(self, total: int, *, pages: int) -> None:
        """Refuse a total no walk can be trusted to read: more objects than `max_total`, or
        more pages (`pages`: how many the list takes) than `max_pages`."""
        if total > self.limits.max_total or pages > self.limits.max_pages:
            raise self.fail(
                f"the list says it holds {total} objects in {pages} pages, more than a walk "
                f"believes ({self.limits.max_total} objects, {self.limits.max_pages} pages), so "
                f"no page is queued from it; {REFUSAL}"
            )

    def repeats(self, ids: Collection[str]) -> str | None:
        """Where an earlier page held exactly these objects (None: none did, or it is empty)."""
        return self._pages.get(_digest(ids)) if ids else None

    def page(
        self, ids: Collection[str], *, where: str, keys: Collection[str] | None = None
    ) -> None:
        """Take one page's objects, refusing a page that repeats an earlier one.

        `ids` tell the page's objects apart from every other page's; `keys` count them towards
        the total where `ids` cannot (two identical objects without an id), else the `ids` do.
        """
        earlier = self.repeats(ids)
        if earlier is not None:
            raise self.fail(
                f"{where} holds the same {len(ids)} objects as {earlier}: the server ignores "
                f"the paging, so the list cannot be read whole; {REFUSAL}"
            )
        if ids:
            self._pages[_digest(ids)] = where
        self.count(ids if keys is None else keys)

    def count(self, keys: Collection[str]) -> None:
        """Take objects read (by key) without a repeat check (overlapping windows), refusing a
        walk past `max_total` of them."""
        self.seen.update(keys)
        if len(self.seen) > self.limits.max_total:
            raise self.fail(
                f"the list did not end within {self.limits.max_total} objects, so it is not read "
                f"further (a list that never ends); {REFUSAL}"
            )

    def ended_early(self, *, where: str, total: int) -> ResponseError:
        """The failure for an empty page before the list's total was read."""
        return self.fail(
            f"{where} is empty after {len(self.seen)} of the {total} objects the list says it "
            f"holds: the list ended early; {REFUSAL}"
        )

    def complete(self, total: int) -> None:
        """Refuse a walk that ends with fewer objects than the list's total."""
        if len(self.seen) < total:
            raise self.fail(
                f"the walk ended with {len(self.seen)} of the {total} objects the list says it "
                f"holds: part of it was not served; {REFUSAL}"
            )


def pages_for(total: int, per_page: int) -> int:
    """How many pages of `per_page` objects hold `total` objects."""
    return -(-total // max(per_page, 1))


def _digest(ids: Collection[str]) -> bytes:
    # Sixteen bytes a page instead of its ids: the walk keeps every id once already.
    return hashlib.blake2b("\0".join(sorted(ids)).encode(), digest_size=16).digest()
