"""Prospero's list queries: parsing `GET /events` parameters and running them over the store.

Stored events carry a private `_index` member next to the wire fields (never sent): the list
`rank` (default order), the span in epoch seconds (windows, `order=start`) and each custom field's
filter text (`custom_field_text`), so that filters and orders stay single SQL equalities and
`ORDER BY`s.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.sandbox.prospero.errors import bad_request
from reconciler.sandbox.prospero.validation import CUSTOM_FIELD_NAME, STATUSES, parse_instant
from reconciler.sandbox.store import Document, Store

INDEX = "_index"
MAX_LIMIT = 500
MAX_OFFSET = 1_000_000_000
PAGING = ("limit", "offset")
_DIGITS = re.compile(r"[0-9]{1,12}", re.ASCII)

# order=<name>:<asc|desc> → the stored path it sorts by.
ORDERS = {
    "createdAt": "createdAt",
    "lastUpdatedAt": "lastUpdatedAt",
    "start": f"{INDEX}.start",
    "end": f"{INDEX}.end",
    "title": "title",
}
_STRING_FILTERS = ("id", "orgId", "title", "details", "location.name", "location.address")
_BOOLEAN_FILTERS = ("allDay", "isDraft", "flagged")
_CUSTOM_PREFIX = "customFields."


@dataclass(frozen=True, kw_only=True)
class ListQuery:
    """One parsed list request: equality filters, order, window and page."""

    where: dict[str, object] = field(default_factory=dict)
    order_by: list[tuple[str, bool]] = field(default_factory=list)
    window: tuple[float | None, float | None] | None = None
    limit: int | None = None  # None: every match, as the documented list answers
    offset: int = 0


def single_values(items: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Query parameters as a dict; a parameter given twice is ambiguous, so refused."""
    values: dict[str, str] = {}
    for name, value in items:
        if name in values:
            raise bad_request(f"{name}: query parameter given more than once")
        values[name] = value
    return values


def parse_paging(params: dict[str, str]) -> tuple[int | None, int]:
    """`limit` and `offset` ([model]); without `limit` every match is answered, as the docs'
    list does ("by default, returns a list of all unarchived Events")."""
    limit: int | None = None
    offset = 0
    if "limit" in params:
        limit = _integer(params["limit"], "limit", 1, MAX_LIMIT)
    if "offset" in params:
        offset = _integer(params["offset"], "offset", 0, MAX_OFFSET)
    return limit, offset


def parse_event_query(params: dict[str, str]) -> ListQuery:
    """`GET /events` parameters; anything that is not paging, order, window or a filter → 400."""
    limit, offset = parse_paging(params)
    where: dict[str, object] = {}
    order_by: list[tuple[str, bool]] = []
    window_start = window_end = None
    for name, value in params.items():
        if name in PAGING:
            continue
        if name == "order":
            order_by = _order(value)
        elif name == "window_start":
            window_start = parse_instant(value, field=name).epoch
        elif name == "window_end":
            window_end = parse_instant(value, field=name).epoch
        else:
            path, expected = _filter(name, value)
            where[path] = expected
    if window_start is not None and window_end is not None and window_end < window_start:
        raise bad_request("window_end: must not be before window_start")
    window = None if window_start is None and window_end is None else (window_start, window_end)
    return ListQuery(
        where=where,
        order_by=order_by,
        window=window,
        limit=limit,
        offset=offset,
    )


def custom_field_text(value: object) -> str:
    """The text a `customFields.<name>=` filter compares with: a string itself, else its JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def run_event_query(
    store: Store, collection: str, query: ListQuery, *, ranked: bool
) -> tuple[int, list[Document]]:
    """Total matching and the requested page (documents still carry `_index`).

    Ties, and the default order, follow the creation `rank`; until a churned event took a rank
    ahead of the rest (`ranked`), rank order is insertion order, which the store sorts faster.
    """
    order_by = [*query.order_by, (f"{INDEX}.rank", True)] if ranked else query.order_by
    if query.window is None:
        page = store.query(
            collection,
            where=query.where,
            order_by=order_by,
            limit=query.limit,
            offset=query.offset,
        )
        return page.total, page.documents
    # Overlap is a range test the store cannot express: filter the ordered matches here.
    window_start, window_end = query.window
    ordered = store.query(collection, where=query.where, order_by=order_by)
    matches = [
        document
        for document in ordered.documents
        if _overlaps(document[INDEX], window_start, window_end)
    ]
    end = None if query.limit is None else query.offset + query.limit
    return len(matches), matches[query.offset : end]


def _overlaps(index: dict[str, Any], window_start: float | None, window_end: float | None) -> bool:
    # An event overlaps when it starts before the window ends and ends after it starts; a
    # zero-length event counts when it sits inside the window.
    start, end = float(index["start"]), float(index["end"])
    if window_end is not None and not start < window_end:
        return False
    return window_start is None or end > window_start or start >= window_start


def _integer(text: str, name: str, low: int, high: int) -> int:
    if _DIGITS.fullmatch(text) is None or not low <= int(text) <= high:
        raise bad_request(f"{name}: must be an integer from {low} to {high}")
    return int(text)


def _order(text: str) -> list[tuple[str, bool]]:
    name, _, direction = text.partition(":")
    if name not in ORDERS or direction not in ("", "asc", "desc"):
        choices = ", ".join(ORDERS)
        raise bad_request(f"order: must be <field>[:asc|desc] with field one of {choices}")
    return [(ORDERS[name], direction != "desc")]


def _filter(name: str, text: str) -> tuple[str, object]:
    """The stored path and value an equality filter compares; unknown names → 400."""
    if name.startswith(_CUSTOM_PREFIX):
        custom = name[len(_CUSTOM_PREFIX) :]
        if CUSTOM_FIELD_NAME.fullmatch(custom) is None:
            raise bad_request(f"{name}: not a valid custom field name")
        return f"{INDEX}.custom.{custom}", text
    if name in _STRING_FILTERS:
        return name, text
    if name in _BOOLEAN_FILTERS:
        if text not in ("true", "false"):
            raise bad_request(f"{name}: must be true or false")
        return name, text == "true"
    if name == "status":
        if text not in {str(status) for status in STATUSES}:
            raise bad_request("status: must be 0 (CONFIRMED), 1 (TENTATIVE) or 2 (CANCELLED)")
        return name, int(text)
    if name == "capacity":
        return name, _integer(text, name, 0, 2_147_483_647)
    if name in ("start", "end"):
        return name, parse_instant(text, field=name, allow_date=True).text
    if name in ("createdAt", "lastUpdatedAt"):
        return name, parse_instant(text, field=name).text
    raise bad_request(f"{name}: unknown query parameter")
