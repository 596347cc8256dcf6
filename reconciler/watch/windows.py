"""The window a delivery asks to read again, and that read folded into the scope's snapshot.

A delivery names one event; what can have changed for the scope is where that event was (the
last snapshot's times) and where it is now (the delivery's times): the union of the two is read
again in one list request, through the provider's own listing (the documented
`window_start`/`window_end`, the tolerant reader's checks), and replaces what the snapshot held
in that window. An event the snapshot does not hold and whose marker names another scope (or
none) is not this scope's concern.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from reconciler.engine.refresh import Refreshed, by_scope
from reconciler.model import RemoteObject
from reconciler.providers.listing import epoch_of
from reconciler.providers.marker import read_scope_mark
from reconciler.providers.prospero import ProsperoProvider
from reconciler.providers.prospero_wire import KEY_FIELD, OWNER, OWNER_FIELD, SCOPE_FIELD
from reconciler.watch.debounce import Span

# Whether a window's edges are inclusive is not documented: a second more on each side.
EDGE = 1.0


def events_side(snapshot: Mapping[str, Refreshed]) -> Refreshed | None:
    """The snapshot's Prospero side (events), when the scope has one."""
    for side in snapshot.values():
        if isinstance(side.provider, ProsperoProvider):
            return side
    return None


def affected_span(side: Refreshed, event: Mapping[str, Any]) -> tuple[bool, Span | None]:
    """Whether a delivered event concerns this scope, and the window to read again: where the
    snapshot had it and where the delivery says it is (None: times unknown, the whole
    window)."""
    event_id = str(event.get("id"))
    known = next((obj for obj in known_objects(side) if obj.remote_id == event_id), None)
    if known is None and not _marked_for(side.provider.scope, event):
        return False, None
    starts = [epoch_of(event.get("start"))]
    ends = [epoch_of(event.get("end"))]
    if known is not None:
        starts.append(epoch_of(known.fields.get("start")))
        ends.append(epoch_of(known.fields.get("end")))
    low = min((moment for moment in starts if moment is not None), default=None)
    high = max((moment for moment in [*ends, *starts] if moment is not None), default=None)
    if low is None or high is None:
        return True, None
    return True, (low - EDGE, high + EDGE)


def reread(side: Refreshed, span: Span | None) -> Refreshed:
    """The side with `span` read again (None: the refresh's whole span), in one walk of the
    provider's listing."""
    provider = side.provider
    assert isinstance(provider, ProsperoProvider)
    desired = list(side.desired.values())
    if span is None:
        return _kept_counts(by_scope(provider, side.desired, provider.refresh(desired)), side)
    found = provider.events.walk({f"customFields.{OWNER_FIELD}": OWNER}, provider.remote, span)
    listed = {obj.remote_id for obj in found}
    kept = [
        obj
        for obj in known_objects(side)
        if obj.remote_id not in listed and not _overlaps(obj, span)
    ]
    return _kept_counts(by_scope(provider, side.desired, [*kept, *found]), side)


def known_objects(side: Refreshed) -> Iterable[RemoteObject]:
    """Every live object the snapshot holds for this scope: one per key, extras, unscoped."""
    yield from side.current.values()
    yield from side.extras.values()
    yield from side.unscoped.values()


def _kept_counts(fresh: Refreshed, before: Refreshed) -> Refreshed:
    """Other scopes' counts are a sweep's to tell (a window sees only part of them)."""
    return replace(fresh, others=before.others, elsewhere=before.elsewhere)


def _overlaps(obj: RemoteObject, span: Span) -> bool:
    start = epoch_of(obj.fields.get("start"))
    if start is None:
        return False  # where it is cannot be told: the sweep reads it again
    end = epoch_of(obj.fields.get("end"))
    return start < span[1] and (end if end is not None else start) > span[0]


def _marked_for(scope: str | None, event: Mapping[str, Any]) -> bool:
    custom = event.get("customFields")
    if not isinstance(custom, Mapping) or not isinstance(custom.get(KEY_FIELD), str):
        return False
    marked, _ = read_scope_mark(custom.get(SCOPE_FIELD))
    return scope is None or marked == scope or marked is None
