"""Reading back what a run wrote, recently updated first.

Prospero's docs advise, for recent changes, to "order results by returning recently updated
Events first" instead of reading everything again. After apply's writes, the objects it wrote
are the account's most recently updated ones, so one page ordered by `lastUpdatedAt`
(descending) holds them all, and any twin a late create made, however large the window they
span: the read-back costs one list request where a walk of their window would take a page per
500 events.

The order parameter is [model]: the answer has to show it was honoured, or this read decides
nothing and the caller walks the window as any refresh does. It counts only when:
- the server pages as modelled (an integer `total`), and serves each page at the size asked;
- every object carries a readable `lastUpdatedAt`, none newer than the one before it;
- the pages reach back past the run's first write, or hold the whole list;
- every written key is among what was read.
An object not found here is never taken as missing: only the full walk says so.

Before the first write, the same order tells what moved since the plan read the account
(`changed_since`): what was updated after the plan's first list answer is on the first page,
and every other object the plan saw is as the plan saw it, so the check before the writes costs
one list request too. (An object deleted meanwhile is not listed, and reads as unchanged: the
write to it then fails, 404, and says so.)

How far back is "the run's first write" is the server's own word where it gave it: the oldest
`lastUpdatedAt` its answers to the writes carried (`WriteStamps`). Where an answer was lost, a
create's object may have landed earlier than every stamp seen, so the reach is our clock's first
write less a generous slack for the two clocks' disagreement.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from reconciler.clock import current
from reconciler.model import RemoteObject
from reconciler.providers.listing import Span, TolerantList
from reconciler.providers.paging import pages_for

log = logging.getLogger(__name__)

ORDER = "lastUpdatedAt:desc"
# A server's answer is stamped after it read its data: an edit up to this long before the `Date`
# of the plan's first answer may not be in it.
ANSWER_MARGIN = timedelta(minutes=1)
# Our clock and the server's may disagree: what changed this long before the first write still
# counts as recent, so a server a little ahead or behind is read far enough back.
CLOCK_SLACK = timedelta(minutes=15)


@dataclass(kw_only=True)
class WriteStamps:
    """The `lastUpdatedAt` stamps the server's answers to this run's writes carried."""

    oldest: datetime | None = None
    lost: bool = False  # a write whose answer was lost, or carried no object

    def note(self, body: Any, *, items: str, item: str) -> None:
        """Take the stamps of a write's answer (`{item: {...}}` or `{items: [...]}`)."""
        objects = body.get(items) if isinstance(body, dict) else None
        if not isinstance(objects, list):
            single = body.get(item) if isinstance(body, dict) else None
            objects = [single] if single is not None else []
        stamps = [_stamp(obj) for obj in objects]
        if not stamps or None in stamps:
            self.lost = True
            return
        oldest = min(stamp for stamp in stamps if stamp is not None)
        self.oldest = oldest if self.oldest is None else min(self.oldest, oldest)

    def reach(self, first_write: datetime) -> datetime:
        """How far back a read of this run's writes must go (`first_write`: our clock's)."""
        if self.lost or self.oldest is None:
            return first_write - CLOCK_SLACK
        return self.oldest


def answered_at(response: httpx.Response) -> datetime:
    """When the server answered, less a margin, by its `Date` header (the clock its stamps are
    on); by ours less the clock slack where it sends none."""
    try:
        stamped = parsedate_to_datetime(response.headers["date"])
    except (KeyError, TypeError, ValueError):
        return current().utcnow() - CLOCK_SLACK
    return (stamped if stamped.tzinfo is not None else stamped.replace(tzinfo=UTC)) - ANSWER_MARGIN


def changed_since(
    events: TolerantList,
    filters: Mapping[str, str],
    convert: Callable[[dict[str, Any]], RemoteObject | None],
    span: Span,
    *,
    reach: datetime,
    seen: Sequence[RemoteObject],
) -> list[RemoteObject] | None:
    """The objects over `span` updated since `reach`, and each of `seen` (the plan's view) that
    was not, as it was seen; None when the answer does not show the order honoured."""
    recent = recently_updated(events, filters, convert, span, reach=reach, keys=())
    if recent is None:
        return None
    listed = {remote.remote_id for remote in recent}
    return [*recent, *(remote for remote in seen if remote.remote_id not in listed)]


def recently_updated(
    events: TolerantList,
    filters: Mapping[str, str],
    convert: Callable[[dict[str, Any]], RemoteObject | None],
    span: Span,
    *,
    reach: datetime,
    keys: Collection[str],
) -> list[RemoteObject] | None:
    """The live objects over `span` updated since `reach` (and some older), newest first; None
    when the answer does not show the order honoured or lacks a written key."""
    if events.pages is not True:
        return None
    check = events.check_pages()
    kept: dict[str, RemoteObject] = {}
    last_stamp: datetime | None = None
    offset = 0
    while True:
        check.before_request()
        body = events.get(
            {
                **filters,
                "order": ORDER,
                "limit": str(events.page_size),
                "offset": str(offset),
                **events.window(span),
            }
        )
        events.check(body)
        total, items = body.get("total"), body[events.items]
        if not isinstance(total, int):
            return None
        if offset == 0:
            check.believe(total, pages=pages_for(total, events.page_size))
        for item in items:
            stamp = _stamp(item)
            if stamp is None or (last_stamp is not None and stamp > last_stamp):
                log.info(
                    "%s: GET %s did not answer recently updated first; walking the "
                    "written window instead",
                    events.provider,
                    events.path,
                )
                return None
            last_stamp = stamp
            events.keep(item, convert, kept)
        check.page([str(item["id"]) for item in items], where=f"the page at offset {offset}")
        offset += len(items)
        if offset >= total:
            break
        if len(items) < events.page_size:
            return None  # a server serving smaller pages than asked may not order them either
        if last_stamp is not None and last_stamp < reach:
            break
    found = {remote.key for remote in kept.values()}
    if not set(keys) <= found:
        return None
    return list(kept.values())


def _stamp(item: Any) -> datetime | None:
    text = item.get("lastUpdatedAt") if isinstance(item, dict) else None
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
