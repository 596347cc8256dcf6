"""Walking a list endpoint as a tolerant reader: modelled pages where shown, else time windows.

Refresh lists only the span that can matter (`listing_span`): the past is frozen, so a span
starts just before now, or before the earliest declared object, and reaches a century ahead.

Prospero documents one list parameter pair, a time window (`window_start`/`window_end`: every
object overlapping it), and no paging; `total`, `limit`/`offset` and filters are our emulator's
model. `TolerantList` asks the run's first list with the modelled paging and filter, over the
span's window: an answer with an integer `total` shows the server pages, and the walk pages
(still windowed). Otherwise (no `total`, or the parameters refused with a 400) every walk of the
run goes by windows over the span asked, the first answer serving as the span's first window.

A window's answer may be cut off without a word by a limit no page documents. `WindowWalk`
splits an answer that looks cut off in two, between the starts it shows, and lists both halves;
what they find decides: an object the whole answer lacked proves it cut (its size is a confirmed
cap, and halves that reach it are split again); nothing new proves it complete (its size was no
cap), unless the size is a known cap, when halves reaching it are split again all the same. An
answer looks cut off when its size reaches the page size asked for, equals a confirmed cap, or
equals a size worth testing once (the run's first answer's: every object of its window, or a
cap). Objects overlapping a split point come back from both halves and are kept once, by id.

Both walks are checked as `paging.PageCheck` says: a paged walk that repeats a page or ends
before its `total` fails, and either walk fails past the run's page cap.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from reconciler.errors import ResponseError
from reconciler.instants import format_utc, now
from reconciler.providers.failures import expect
from reconciler.providers.paging import PageCheck, WalkLimits, pages_for

log = logging.getLogger(__name__)

T = TypeVar("T")
Item = TypeVar("Item")

# A window's objects by id, each with its start (epoch seconds, None when unreadable) and what
# the walk keeps of it (None: read, but not wanted).
Answer = dict[str, tuple[float | None, Item | None]]
# The epoch seconds a windowed walk covers.
Span = tuple[float, float]

SMALLEST_WINDOW = 1.0  # the APIs' instants have whole seconds: no window can be narrower

# A span starts a day before the earlier of now and the first declared start: the past is
# frozen, and an object under way (or a server clock a little behind ours) falls inside. It
# reaches a century ahead, so that a managed object moved or left far ahead is found (no
# duplicate create, and --prune sees it).
SLACK = timedelta(days=1)
AHEAD = timedelta(days=36_525)


@dataclass(kw_only=True)
class CutOffGuess:
    """What a run has learnt about the answer sizes at which the server stops."""

    limit: int | None = None  # a page size asked for, which the server may honour
    candidates: set[int] = field(default_factory=set)  # sizes worth testing once
    caps: set[int] = field(default_factory=set)  # sizes shown to be cuts

    def looks_cut_off(self, size: int) -> bool:
        """Whether an answer of `size` may be cut off, so is worth splitting.

        An answer larger than the page size asked for shows the server ignores it: from then
        on only caps and candidates count.
        """
        if size == 0:
            return False
        if self.limit is not None and size > self.limit:
            self.limit = None
        return self.proven(size) or size in self.candidates

    def proven(self, size: int) -> bool:
        """True when an answer of `size` is known to be cut (a confirmed cap, the page size)."""
        return size in self.caps or (self.limit is not None and size >= self.limit)

    def confirm(self, size: int) -> None:
        self.caps.add(size)
        self.candidates.discard(size)

    def refute(self, size: int) -> None:
        self.candidates.discard(size)
        if self.limit == size:
            self.limit = None


@dataclass(kw_only=True)
class WindowWalk(Generic[Item]):
    """Lists a span through `fetch(start, end)` (epoch seconds), refining cut answers."""

    fetch: Callable[[float, float], Answer[Item]]
    guess: CutOffGuess
    provider: str
    endpoint: str

    def run(self, start: float, end: float) -> dict[str, Item]:
        answer = self.fetch(start, end)
        if self.guess.looks_cut_off(len(answer)):
            answer = self.refine(start, end, answer)
        return {key: item for key, (_, item) in answer.items() if item is not None}

    def refine(self, start: float, end: float, answer: Answer[Item]) -> Answer[Item]:
        size = len(answer)
        if end - start <= SMALLEST_WINDOW:
            if not self.guess.proven(size):
                self.guess.refute(size)
                return answer
            raise ResponseError(
                self.provider,
                self.endpoint,
                f"{size} objects overlap {window_text(start, end)}, and the server answers no "
                "more than that for one window: the list cannot be completed",
            )
        middle = split_point(start, end, answer)
        log.info("%s: %s answered %d objects for %s, which may be cut off; listing %s and %s",
                 self.provider, self.endpoint, size, window_text(start, end),
                 window_text(start, middle), window_text(middle, end))
        halves = (
            (start, middle, self.fetch(start, middle)),
            (middle, end, self.fetch(middle, end)),
        )
        if any(not part.keys() <= answer.keys() for _, _, part in halves):
            self.guess.confirm(size)
        elif not self.guess.proven(size):
            log.info("%s: the halves hold nothing more: %d objects is no cap",
                     self.provider, size)
            self.guess.refute(size)
            return answer
        # A half answering as much as a known cap may be cut itself, even with nothing new.
        found: Answer[Item] = {}
        for low, high, part in halves:
            cut = self.guess.looks_cut_off(len(part))
            found.update(self.refine(low, high, part) if cut else part)
        return found


@dataclass(kw_only=True)
class TolerantList:
    """One list endpoint and what the run has learnt of it (shared by every walk of the run).

    `get(params)` sends one list request and returns the decoded body; `on_read(n)` hears how
    many objects a walk has read so far (progress). Bodies are `{<items>: [...]}`, with
    `total` where the server pages as modelled.
    """

    provider: str
    path: str  # "/events"
    items: str  # the body's list member: "events"
    page_size: int
    windows: tuple[str, str]  # the documented window parameters
    get: Callable[[Mapping[str, str]], Any]
    on_read: Callable[[int], None]
    # None until the first answer: whether the server pages, whether it takes our parameters.
    pages: bool | None = None
    modelled_parameters: bool = True
    guess: CutOffGuess = field(default_factory=CutOffGuess)
    limits: WalkLimits = field(default_factory=WalkLimits)

    def __post_init__(self) -> None:
        self.guess.limit = self.page_size

    @property
    def endpoint(self) -> str:
        return f"GET {self.path}"

    def walk(
        self, filters: Mapping[str, str], convert: Callable[[dict[str, Any]], T | None], span: Span
    ) -> list[T]:
        """What `convert` keeps of every object listed over `span` (paged, else by windows).

        Each object is converted (None: left out) as its answer arrives, so that a large walk
        holds the converted objects, not every answer as sent. `filters` and the window only
        narrow what the server sends: `convert` must check the filters itself.
        """
        first: Any = None
        if self.pages is not False:
            paged = self.walk_pages(filters, convert, span)
            if isinstance(paged, list):
                return paged
            first = paged
        return self.walk_windows(filters, convert, span, first=first)

    def window(self, span: Span) -> dict[str, str]:
        low, high = self.windows
        return {low: instant_text(span[0]), high: instant_text(span[1])}

    def walk_pages(
        self, filters: Mapping[str, str], convert: Callable[[dict[str, Any]], T | None],
        span: Span,
    ) -> list[T] | Any:
        """The modelled pages over the span's window at the largest limit; walked again if the
        list shifts mid-walk.

        When the run's first answer shows the server does not page, that answer (to the span's
        window) is returned as it came, for the window walk to start from; None when the
        server refused the modelled parameters.
        """
        for _attempt in range(3):
            check = self.check_pages()
            kept: dict[str, T] = {}
            read = 0
            offset, total = 0, None
            shifted = False
            while True:
                params = {**filters, "limit": str(self.page_size), "offset": str(offset),
                          **self.window(span)}
                check.before_request()
                body, paged = self.page(params)
                if not paged:
                    return body
                if total is not None and body["total"] != total:
                    shifted = True
                    break
                if total is None:
                    check.believe(body["total"], pages=pages_for(body["total"], self.page_size))
                total = body["total"]
                items = body[self.items]
                where = f"the page at offset {offset}"
                if not items:
                    if len(check.seen) < total:
                        raise check.ended_early(where=where, total=total)
                    break
                for item in items:
                    self.keep(item, convert, kept)
                check.page([str(item["id"]) for item in items], where=where)
                read += len(items)
                self.on_read(read)
                if len(check.seen) >= total:
                    break
                # By what was served: a server that serves less than the limit asked for pages
                # by its own size, and nothing between its pages is skipped.
                offset += len(items)
                if offset >= total:
                    check.complete(total)  # the pages covered the total, yet objects lack
                    break
            if not shifted:
                return list(kept.values())
            log.info("%s: the list changed during the walk; walking it again", self.provider)
        raise ResponseError(self.provider, self.endpoint, "the list kept changing; try again")

    def check_pages(self) -> PageCheck:
        return PageCheck(provider=self.provider, endpoint=self.endpoint, limits=self.limits)

    def page(self, params: Mapping[str, str]) -> tuple[Any, bool]:
        """One modelled page, and whether it is one: the run's first answer may show no paging
        (it is returned as it came) or refuse the modelled parameters (None)."""
        try:
            body = self.get(params)
        except ResponseError as error:
            if self.pages is not None or error.status != 400:
                raise
            log.info("%s: %s refused the modelled paging and filter (%s); listing by time "
                     "windows with %s only", self.provider, self.endpoint, error,
                     "/".join(self.windows))
            self.pages, self.modelled_parameters, self.guess.limit = False, False, None
            return None, False
        self.check(body)
        if isinstance(body.get("total"), int):
            self.pages = True
            return dict(body), True
        expect(self.pages is None, self.provider, self.endpoint,
               "a page without an integer `total`")
        count = len(body[self.items])
        log.info("%s: %s answered without `total` (%d objects): the server does not page as "
                 "modelled; listing by time windows", self.provider, self.endpoint, count)
        self.pages = False
        # The answer holds every object of the window, or as many as the server answers at most.
        self.guess.candidates.add(count)
        return body, False

    def walk_windows(
        self, filters: Mapping[str, str], convert: Callable[[dict[str, Any]], T | None],
        span: Span, *, first: Any = None,
    ) -> list[T]:
        """The documented list: windows over `span`, split where an answer looks cut off.

        The modelled filter and page size go along unless the server refused them: a server
        that honours a page size cuts at it, which the walk then sees. `first` is an answer to
        the whole span's window already in hand (the run's first answer), used for it.
        """
        params = {**filters, "limit": str(self.page_size)} if self.modelled_parameters else {}
        read = 0
        # Windows overlap at their edges, so no repeat is a fault here: only the count is bounded.
        check = self.check_pages()

        def fetch(start: float, end: float) -> Answer[T]:
            nonlocal read, first
            if first is not None and (start, end) == span:
                body, first = first, None
            else:
                check.before_request()
                body = self.get({**params, **self.window((start, end))})
                self.check(body)
            answer: Answer[T] = {}
            for item in body[self.items]:
                expect(isinstance(item, dict) and "id" in item, self.provider, self.endpoint,
                       "an object without an id")
                answer[str(item["id"])] = (epoch_of(item.get("start")), convert(item))
            check.count(answer.keys())
            read += len(answer)
            self.on_read(read)
            return answer

        walk = WindowWalk(fetch=fetch, guess=self.guess, provider=self.provider,
                          endpoint=self.endpoint)
        return list(walk.run(*span).values())

    def check(self, body: Any) -> None:
        expect(isinstance(body, dict) and isinstance(body.get(self.items), list), self.provider,
               self.endpoint, f"expected an object with an `{self.items}` list")

    def keep(self, item: Any, convert: Callable[[dict[str, Any]], T | None],
             kept: dict[str, T]) -> None:
        expect(isinstance(item, dict) and "id" in item, self.provider, self.endpoint,
               "an object without an id")
        converted = convert(item)
        if converted is not None:
            kept[str(item["id"])] = converted


def as_sent(item: dict[str, Any]) -> dict[str, Any]:
    """A walk's conversion that keeps each item as the API sent it."""
    return item


def listing_span(starts: Iterable[float | None], ends: Iterable[float | None]) -> Span:
    """The epoch seconds a refresh lists: from now on, and every declared object.

    A declared object already past must still be found (else it would be created again); one
    moved or no longer declared may sit anywhere ahead. `starts` and `ends` are the declared
    objects' (None where unknown).
    """
    current = now().timestamp()
    low = min([current, *(start for start in starts if start is not None)])
    high = max([current + AHEAD.total_seconds(), *(end for end in ends if end is not None)])
    return float(int(low - SLACK.total_seconds())), float(int(high + SLACK.total_seconds()))


def written_span(starts: Iterable[float | None], ends: Iterable[float | None]) -> Span:
    """The epoch seconds a read-back lists: only the objects just written (with the same slack
    as a refresh), so it costs one list where their window holds one page; the whole refresh
    span where a time is unknown."""
    known_starts = [start for start in starts if start is not None]
    known_ends = [end for end in ends if end is not None]
    if not known_starts or not known_ends:
        return listing_span(known_starts, known_ends)
    low, high = min(known_starts), max([*known_ends, *known_starts])
    return float(int(low - SLACK.total_seconds())), float(int(high + SLACK.total_seconds()))


def split_point(start: float, end: float, answer: Answer[Any]) -> float:
    """A split between the earliest and the latest start the answer shows, in whole seconds.

    A cut answer is some of the window's objects: the first ones by start, the last ones, or
    any. Splitting between the starts it shows leaves some of them in each half, so each half
    has room for what the answer lacked, and a half that finds nothing new proves it complete;
    it also gets under a cap in far fewer splits than halving a window a century long.
    """
    inside = [moment for moment, _ in answer.values()
              if moment is not None and start < moment < end]
    if not inside:
        middle = start + (end - start) / 2
    elif max(inside) - min(inside) >= 2 * SMALLEST_WINDOW:
        middle = min(inside) + (max(inside) - min(inside)) / 2
    else:
        middle = max(inside) + SMALLEST_WINDOW
    return min(max(float(int(middle)), start + SMALLEST_WINDOW), end - SMALLEST_WINDOW)


def epoch_of(text: object) -> float | None:
    """Epoch seconds of an API instant (`YYYY-MM-DDThh:mm:ssZ`, or a date at midnight UTC)."""
    if not isinstance(text, str):
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), UTC).timestamp()
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def instant_text(epoch: float) -> str:
    return format_utc(datetime.fromtimestamp(epoch, UTC))


def window_text(start: float, end: float) -> str:
    return f"{instant_text(start)}..{instant_text(end)}"
