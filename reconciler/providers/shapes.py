"""What `reconciler doctor` reads of each API's lists: the shapes and names the client relies on.

Each function makes a few GETs (one page, a small window), never a write, and says per check what
it saw. A check is `required` when the client cannot work without it (the list's wrapper, the
fields it reads) and informative when the client has a documented fallback (no `total`: lists
by time windows; pages of 1000 refused: pages of 100).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from reconciler.instants import format_utc, iana_zone
from reconciler.providers.base import Provider
from reconciler.providers.prevail_listing import PAGE_MAX
from reconciler.providers.previsto_listing import PAGE_DOCUMENTED, PAGE_LARGE
from reconciler.reports import Check, counted

UTC_INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z$")
LOCAL_MINUTE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d$")


def check(provider: Provider, name: str, ok: bool, seen: str, *, required: bool = True) -> Check:
    return Check(provider=provider.name, name=name, ok=ok, seen=seen, required=required)


def missing_fields(items: list[Any], names: tuple[str, ...]) -> list[str]:
    """The names some listed object lacks (an empty list: every object has them all)."""
    return sorted({n for item in items if isinstance(item, dict) for n in names if n not in item})


def fields_check(provider: Provider, items: list[Any], names: tuple[str, ...]) -> Check:
    if not items:
        return check(provider, "fields", True, "no object listed to look at", required=False)
    absent = missing_fields(items, names)
    if absent:
        return check(provider, "fields", False, f"listed objects lack {', '.join(absent)}")
    carried = f"{counted(len(items), 'objects')} carry {', '.join(names)}"
    return check(provider, "fields", True, carried)


# -- Prevail ---------------------------------------------------------------------------------------


def prevail(provider: Provider) -> list[Check]:
    checks: list[Check] = []
    sessions: list[Any] = []
    for collection in ("sessions", "session_requests"):
        params = {"page": "1", "per_page": str(PAGE_MAX)}
        endpoint = f"GET /{collection}"
        body = provider.decode(provider.request("GET", collection, params=params), endpoint)
        items = body.get(collection) if isinstance(body, dict) else None
        if not isinstance(items, list):
            checks.append(check(provider, f"{collection} list", False,
                                f"{endpoint} did not answer {{{collection}: [...]}}"))
            continue
        pagy = body.get("pagy")
        paged = isinstance(pagy, dict) and all(
            isinstance(pagy.get(n), int) for n in ("page", "items", "count", "pages")
        )
        checks.append(
            check(provider, f"{collection} list", True,
                  f"pagy pages of {pagy['items']} (asked {PAGE_MAX}), {pagy['count']} listed"
                  if paged and isinstance(pagy, dict)
                  else f"{len(items)} listed, no pagy block: the client reads pages until one "
                  "adds nothing")
        )
        if collection == "sessions":
            sessions = items
        else:
            checks.append(request_state(provider, items))
    if sessions:
        checks.append(fields_check(provider, sessions, ("remote_session_id", "start_date",
                                                        "start_time", "time_zone", "state")))
        checks.append(
            check(provider, "marker field", not missing_fields(sessions, ("session_details",)),
                  "sessions carry session_details (where the key is kept)"
                  if not missing_fields(sessions, ("session_details",))
                  else "sessions are listed without session_details: the client cannot find "
                  "its key on them")
        )
        checks.append(zone_names(provider, sessions))
    return checks


def request_state(provider: Provider, items: list[Any]) -> Check:
    names = {n for item in items if isinstance(item, dict)
             for n in ("session_state", "state") if n in item}
    if not items:
        return check(provider, "request state", True, "no request listed to look at",
                     required=False)
    if not names:
        return check(provider, "request state", False,
                     "requests carry neither session_state nor state")
    return check(provider, "request state", True,
                 f"requests carry their state as {' and '.join(sorted(names))}")


def zone_names(provider: Provider, sessions: list[Any]) -> Check:
    """Every zone spelling seen must be one the client reads (Rails' names, display form, IANA)."""
    seen = {s.get("time_zone") for s in sessions if isinstance(s, dict)}
    unknown = []
    for name in sorted(str(z) for z in seen if z is not None):
        try:
            iana_zone(name)
        except (KeyError, ValueError):
            unknown.append(name)
    if unknown:
        return check(provider, "zone names", False,
                     f"zone names the client cannot read: {', '.join(unknown[:5])}")
    read = f"{counted(len(seen), 'zone spellings')} seen, all read"
    return check(provider, "zone names", True, read)


# -- Prospero --------------------------------------------------------------------------------------


def prospero(provider: Provider) -> list[Check]:
    """The documented list first (the window alone), then whether the [model] paging is
    honoured, asked over the same window; a server that refuses the modelled parameters (400)
    is listed by windows, as documented, which is no fault."""
    now = datetime.now(UTC)
    window = {
        "window_start": format_utc(now - timedelta(days=7)),
        "window_end": format_utc(now + timedelta(days=90)),
    }
    body = provider.decode(provider.request("GET", "events", params=window), "GET /events")
    events = body.get("events") if isinstance(body, dict) else None
    if not isinstance(events, list):
        return [check(provider, "events list", False, "GET /events did not answer {events: [...]}")]
    ahead = f"{counted(len(events), 'events')} in the next 90 days"
    checks = [check(provider, "events list", True, ahead)]
    modelled = {**window, "limit": "1", "offset": "0"}
    answer = provider.request("GET", "events", params=modelled, allow=frozenset({400}))
    paging = None if answer.status_code == 400 else provider.decode(answer, "GET /events")
    total = paging.get("total") if isinstance(paging, dict) else None
    checks.append(
        check(provider, "paging", True,
              "total shown: the client pages with limit/offset" if isinstance(total, int)
              else "limit/offset refused (400), as only the window is documented: the client "
              "lists by time windows" if answer.status_code == 400
              else "no total (as documented): the client lists by time windows",
              required=False)
    )
    checks.append(fields_check(provider, events, ("id", "title", "start", "end")))
    stamps = [e.get(n) for e in events if isinstance(e, dict) for n in ("start", "end")]
    odd = [s for s in stamps if isinstance(s, str) and not UTC_INSTANT.match(s)]
    if stamps:
        checks.append(
            check(provider, "instants", not odd,
                  f"not UTC with Z: {odd[0]}" if odd else "start/end in UTC with Z")
        )
    return checks


# -- Previsto --------------------------------------------------------------------------------------


def previsto(provider: Provider) -> list[Check]:
    checks: list[Check] = []
    params = {"page": "0", "size": str(PAGE_LARGE)}
    response = provider.request("GET", "assignments", params=params, allow=frozenset({400}))
    if response.status_code == 400:
        checks.append(
            check(provider, "page size", True,
                  f"pages of {PAGE_LARGE} refused (400): the client reads pages of "
                  f"{PAGE_DOCUMENTED}", required=False)
        )
        params = {"page": "0", "size": str(PAGE_DOCUMENTED)}
        response = provider.request("GET", "assignments", params=params)
    else:
        checks.append(check(provider, "page size", True, f"pages of {PAGE_LARGE} served",
                            required=False))
    body = provider.decode(response, "GET /assignments")
    if not isinstance(body, list):
        checks.append(check(provider, "assignments list", False,
                            "GET /assignments did not answer a JSON array"))
        return checks
    total = response.headers.get("X-Total-Count")
    checks.append(
        check(provider, "assignments list", True,
              f"a JSON array of {len(body)}, X-Total-Count {total}" if total is not None
              else f"a JSON array of {len(body)}, no X-Total-Count (paged to a short page)")
    )
    checks.append(fields_check(provider, body, ("id", "meta")))
    times = [
        a["plan"].get("executionTime")
        for a in body
        if isinstance(a, dict) and isinstance(a.get("plan"), dict)
    ]
    odd = [t for t in times if isinstance(t, str) and not LOCAL_MINUTE.match(t)]
    if times:
        checks.append(
            check(provider, "planning times", not odd,
                  f"executionTime not local to the minute: {odd[0]}" if odd
                  else "executionTime local, to the minute", required=False)
        )
    return checks


SHAPES: Mapping[str, Callable[[Provider], list[Check]]] = {
    "prevail": prevail,
    "prospero": prospero,
    "previsto": previsto,
}
