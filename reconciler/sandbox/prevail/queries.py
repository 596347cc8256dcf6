"""Prevail's lists and cancel: their query parameters, validated (bad ones answer 400), and paging.

Lists take `page` (1-based), `per_page` (default 100; above 1000 clamped to 1000), `state`, and
a `start_time` / `end_time` window in Unix seconds; cancel takes `cancel_without_email`. A list
page is read from the store with its `pagy` block. As Prevail's docs say, `start_time` keeps the
sessions that start at or after it (the start instant in the session's own time zone) and
`end_time` those that end at or before it (the start plus `estimated_duration` hours; a session
without a duration ends as it starts); the docs do not say whether the bounds are inclusive.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Final
from zoneinfo import ZoneInfo

from reconciler.sandbox.prevail.errors import Findings, PrevailError
from reconciler.sandbox.prevail.validation import STATES
from reconciler.sandbox.prevail.zones import iana_zone
from reconciler.sandbox.store import Document, Store

MAX_PER_PAGE: Final = 1000
DEFAULT_PER_PAGE: Final = 100
# SQLite OFFSET is a signed 64-bit integer; any page past this is past the last one anyway.
_MAX_OFFSET: Final = 2**62

_INTEGER = re.compile(r"-?[0-9]{1,100}")
_ZONE_REACH: Final = 2 * 86_400.0
# The instants a date can be written for (years 1 to 9999).
_FIRST_INSTANT: Final = -62_135_596_800.0
_LAST_INSTANT: Final = 253_402_300_799.0
_EPOCH = re.compile(r"-?[0-9]{1,20}(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?")


@dataclass(frozen=True, kw_only=True)
class Listing:
    """A validated list query: 1-based page, clamped per_page, optional state and time window."""

    page: int
    per_page: int
    state: str | None
    window_start: float | None
    window_end: float | None


def parse_listing(params: Mapping[str, str], *, with_window: bool = True) -> Listing:
    """`page`, `per_page`, `state`, `start_time`, `end_time` of a list request."""
    findings = Findings()
    page = _integer(findings, params, "page", default=1)
    per_page = _integer(findings, params, "per_page", default=DEFAULT_PER_PAGE)
    state = params.get("state")
    if state is not None and state not in STATES:
        findings.bad_shape("state", f"is not included in the list ({', '.join(STATES)})")
    start = _epoch(findings, params, "start_time") if with_window else None
    end = _epoch(findings, params, "end_time") if with_window else None
    findings.raise_if_any()
    return Listing(
        page=page,
        per_page=min(per_page, MAX_PER_PAGE),
        state=state,
        window_start=start,
        window_end=end,
    )


def _integer(findings: Findings, params: Mapping[str, str], name: str, *, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not _INTEGER.fullmatch(raw):
        findings.bad_shape(name, "must be an integer")
        return default
    value = int(raw)
    if value < 1:
        findings.bad_shape(name, "must be greater than or equal to 1")
        return default
    return value


def _epoch(findings: Findings, params: Mapping[str, str], name: str) -> float | None:
    raw = params.get(name)
    if raw is None:
        return None
    value = float(raw) if _EPOCH.fullmatch(raw) else math.nan
    if not math.isfinite(value):
        findings.bad_shape(name, "must be a Unix time in seconds")
        return None
    return value


def parse_cancel_flag(params: Mapping[str, str]) -> bool:
    """`cancel_without_email=true|false` (default false)."""
    raw = params.get("cancel_without_email")
    if raw is None or raw == "false":
        return False
    if raw == "true":
        return True
    raise PrevailError(
        400,
        "Bad request: cancel_without_email must be true or false",
        {"cancel_without_email": ["must be true or false"]},
    )


@dataclass(frozen=True, kw_only=True)
class Pagy:
    """Prevail's pagination block: `pages` = ⌈count / items⌉, 0 for an empty list."""

    page: int
    items: int
    count: int

    @property
    def pages(self) -> int:
        return math.ceil(self.count / self.items)

    def to_json(self) -> dict[str, int]:
        return {"page": self.page, "items": self.items, "count": self.count, "pages": self.pages}


def run_listing(
    store: Store, collection: str, listing: Listing, *, order_by: Sequence[tuple[str, bool]]
) -> tuple[Pagy, list[Document]]:
    """The page a listing asks for (stored documents) and its pagy block."""
    where = {"state": listing.state} if listing.state else None
    offset = min((listing.page - 1) * listing.per_page, _MAX_OFFSET)
    if listing.window_start is None and listing.window_end is None:
        page = store.query(
            collection, where=where, order_by=order_by, limit=listing.per_page, offset=offset
        )
        total, documents = page.total, page.documents
    else:
        # The start instant depends on the zone, which SQLite cannot evaluate: SQLite keeps the
        # sessions whose start_date is within a zone's reach of the window, and this filters,
        # once per window until the data changes (a walk asks for every page of it).
        days = _start_dates(listing.window_start, listing.window_end)

        def in_window() -> list[Document]:
            return [
                document
                for document in store.query(
                    collection, where=where, order_by=order_by, between={"start_date": days}
                ).documents
                if _in_window(document, listing.window_start, listing.window_end)
            ]

        key = (collection, repr(where), repr(order_by), listing.window_start, listing.window_end)
        matching = store.remember(key, in_window)
        total = len(matching)
        # Copies: the caller shapes each document for the wire.
        documents = [dict(document) for document in matching[offset : offset + listing.per_page]]
    pagy = Pagy(page=listing.page, items=listing.per_page, count=total)
    return pagy, documents


def _start_dates(start: float | None, end: float | None) -> tuple[str, str]:
    """The `start_date`s (YYYY-MM-DD, ordered as text) a session in the window can have: no
    zone is more than a day from UTC, so two days either side hold them all."""
    low = "0000-00-00" if start is None else _day(start - _ZONE_REACH)
    high = "9999-99-99" if end is None else _day(end + _ZONE_REACH)
    return low, high


def _day(epoch: float) -> str:
    clamped = min(max(epoch, _FIRST_INSTANT), _LAST_INSTANT)
    return datetime.fromtimestamp(clamped, UTC).date().isoformat()


def start_instant(document: Document) -> float | None:
    """The epoch second a session starts (start_date + start_time in time_zone); None if unclear."""
    try:
        day = document["start_date"]
        clock, meridiem = str(document["start_time"]).split(" ")
        hour, minute = (int(part) for part in clock.split(":"))
        hour = hour % 12 + (12 if meridiem == "PM" else 0)
        zone = _zone(str(document["time_zone"]))
        moment = datetime.fromisoformat(f"{day}T{hour:02d}:{minute:02d}:00").replace(tzinfo=zone)
    except (KeyError, TypeError, ValueError):
        return None
    return moment.timestamp()


@cache
def _zone(name: str) -> ZoneInfo:
    iana = iana_zone(name)
    if iana is None:
        raise ValueError(f"unknown time zone {name!r}")
    return ZoneInfo(iana)


def _in_window(document: Document, start: float | None, end: float | None) -> bool:
    """Starts at or after `start` and ends at or before `end` (None: no such bound)."""
    instant = start_instant(document)
    if instant is None:
        return False
    hours = document.get("estimated_duration")
    duration = float(hours) * 3600 if isinstance(hours, int | float) else 0.0
    return (start is None or instant >= start) and (end is None or instant + duration <= end)
