"""Instants and zones on the client side: parsing what users write, canonical UTC strings.

Every datetime is compared as an instant; the canonical form is `YYYY-MM-DDThh:mm:ssZ` in UTC.
Zone names are IANA names (zoneinfo with the tzdata package); Prevail's Rails-style names
("Eastern Time (US & Canada)") map to IANA through the table published with its API description,
and aliases (`US/Eastern`) to their canonical name through tzdata's links (both `zones.py`).
`now()` is the clock recurrence and the safety rails read (`RECONCILER_NOW` pins it, but only for a
`--sandbox` run, `validate`, or a test suite that sets `RECONCILER_ALLOW_PINNED_CLOCK=1`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reconciler import clock
from reconciler.errors import ReconcilerError
from reconciler.zones import canonical_name, prevail_zone

UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
NOW_VARIABLE = "RECONCILER_NOW"
# The explicit switch a test suite sets to pin the clock of runs against a loopback sandbox it
# serves itself (not `--sandbox`).
ALLOW_PIN_VARIABLE = "RECONCILER_ALLOW_PINNED_CLOCK"
PIN_REFUSED = (
    f"{NOW_VARIABLE} is set, but it pins the clock the safety rails read and is honoured only "
    f"with --sandbox or in test suites ({ALLOW_PIN_VARIABLE}=1); unset it to run against a "
    "real account"
)

# Why this run may pin the clock (None: it may not): set by the CLI for the length of a
# `--sandbox` run or `validate`. A context variable, so an in-process run never leaves it set.
_pin_allowed: ContextVar[str | None] = ContextVar("pin_allowed", default=None)


@lru_cache(maxsize=1024)  # a schedule names few zones, each looked up for every object
def iana_zone(name: str) -> ZoneInfo:
    """The zone for an IANA name or a Prevail name (either Rails form); KeyError when neither."""
    iana = prevail_zone(name) or name
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError):
        raise KeyError(name) from None


@lru_cache(maxsize=1024)
def canonical_zone(name: str) -> str:
    """One spelling per zone: `Eastern Time (US & Canada)` or `US/Eastern` → `America/New_York`."""
    return canonical_name(iana_zone(name).key)


def parse_instant(text: str, zone: str | None = None) -> datetime:
    """An aware datetime from ISO 8601; naive text is wall-clock time in `zone`."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=_zone_for(text, zone))
    return value


def _zone_for(text: str, zone: str | None) -> ZoneInfo:
    """The zone that naive `text` is read in; ValueError when there is none."""
    if zone is None:
        raise ValueError(f"{text!r} has no UTC offset and no time_zone")
    return iana_zone(zone)


def is_canonical_utc(text: str) -> bool:
    """Shaped like `YYYY-MM-DDThh:mm:ssZ` (whether it is a real instant is not checked here)."""
    return len(text) == 20 and text[10] == "T" and text[13] == text[16] == ":" and text[19] == "Z"


def format_utc(moment: datetime) -> str:
    """The canonical text of an aware instant: `YYYY-MM-DDThh:mm:ssZ` (UTC_FORMAT).

    isoformat rather than strftime: a plan formats every declared and remote instant, and
    strftime costs several times more.
    """
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def wall_clock_utc(wall: datetime, zone: tzinfo) -> str:
    """The canonical text of a naive wall-clock time in `zone`.

    The same instant as `format_utc(wall.replace(tzinfo=zone))` (in a repeated or skipped hour,
    the offset the zone gives fold 0), in a third of the time: subtracting the zone's offset from
    the wall clock is all `astimezone(UTC)` does, and a plan converts every declared and listed
    session's start.
    """
    offset = zone.utcoffset(wall)
    if offset is None:
        raise ValueError(f"{zone} gives no UTC offset for {wall}")
    utc = wall - offset
    return (utc.replace(microsecond=0) if utc.microsecond else utc).isoformat() + "Z"


def to_utc(text: str, zone: str | None = None) -> str:
    if is_canonical_utc(text):
        # already canonical, as the APIs send instants: check it is a real instant, keep the text
        datetime.fromisoformat(text)
        return text
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        return format_utc(value)
    return wall_clock_utc(value, _zone_for(text, zone))


def from_utc(text: str) -> datetime:
    """The instant of a canonical UTC text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def hours(value: float) -> timedelta:
    return timedelta(seconds=round(value * 3600))


@contextmanager
def pinned_clock_allowed(reason: str) -> Iterator[None]:
    """Within the block, `RECONCILER_NOW` is honoured; `reason` names the kind of run."""
    token = _pin_allowed.set(reason)
    try:
        yield
    finally:
        _pin_allowed.reset(token)


def pin_reason() -> str | None:
    """Why a pinned clock is honoured here (None: it is not)."""
    if os.environ.get(ALLOW_PIN_VARIABLE) == "1":
        return f"{ALLOW_PIN_VARIABLE}=1"
    return _pin_allowed.get()


def pinned_now() -> datetime | None:
    """The instant `RECONCILER_NOW` pins, None when unset; refused where pinning is unsafe.

    The frozen past and the 24-hour notice rail read this clock: pinned in the past, an apply
    against a real account would edit sessions that have already begun without a word, so the
    variable is refused (not ignored: the user meant something by it) outside the sandbox and
    test suites.
    """
    pinned = os.environ.get(NOW_VARIABLE)
    if not pinned:
        return None
    if pin_reason() is None:
        raise ReconcilerError(PIN_REFUSED)
    try:
        moment = datetime.fromisoformat(pinned.replace("Z", "+00:00"))
    except ValueError:
        raise ReconcilerError(
            f"{NOW_VARIABLE}={pinned!r} is not an ISO 8601 instant (e.g. 2026-03-01T12:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        raise ReconcilerError(f"{NOW_VARIABLE}={pinned!r} needs a UTC offset (e.g. Z)")
    return moment.astimezone(UTC)


def now() -> datetime:
    """The current instant on the installed clock (`clock.current()`, which a test replaces);
    `RECONCILER_NOW` (ISO 8601 with an offset) pins it.

    Pinning makes a plan reproducible (recurrence horizons and the frozen past depend on the
    clock): for the sandbox, tests, and documentation showing what a plan looks like on a
    given day. Elsewhere it is refused (`pinned_now`).
    """
    return pinned_now() or clock.current().utcnow()


def zone_or_utc(name: str | None) -> tzinfo:
    """The zone of a name (IANA or Prevail's), UTC when there is none or it is unknown."""
    if name is None:
        return UTC
    try:
        return iana_zone(name)
    except KeyError:
        return UTC


def local(instant: str, zone_name: str | None) -> datetime:
    """An instant (ISO 8601) on the wall clock of a zone (UTC when there is none)."""
    return parse_instant(instant).astimezone(zone_or_utc(zone_name))
