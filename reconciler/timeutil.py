"""Instants and zones on the client side: parsing what users write, canonical UTC strings.

Every datetime is compared as an instant; the canonical form is `YYYY-MM-DDThh:mm:ssZ` in UTC.
Zone names are IANA names (zoneinfo with the tzdata package); Prevail's Rails-style names
("Eastern Time (US & Canada)") map to IANA through the table published with its API description.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reconciler.resources import load_json

UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@cache
def prevail_zone_names() -> dict[str, str]:
    """Prevail (Rails) zone name → IANA name."""
    table = load_json("api/prevail-time-zones.json")
    return {str(name): str(iana) for name, iana in table.items()}


def iana_zone(name: str) -> ZoneInfo:
    """The zone for an IANA name or a Prevail name; KeyError when neither."""
    iana = prevail_zone_names().get(name, name)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError):
        raise KeyError(name) from None


def canonical_zone(name: str) -> str:
    """One spelling per zone, so `Eastern Time (US & Canada)` equals `America/New_York`."""
    return iana_zone(name).key


def parse_instant(text: str, zone: str | None = None) -> datetime:
    """An aware datetime from ISO 8601; naive text is wall-clock time in `zone`."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        if zone is None:
            raise ValueError(f"{text!r} has no UTC offset and no time_zone")
        value = value.replace(tzinfo=iana_zone(zone))
    return value


def to_utc(text: str, zone: str | None = None) -> str:
    return parse_instant(text, zone).astimezone(UTC).strftime(UTC_FORMAT)


def from_utc(text: str) -> datetime:
    return datetime.strptime(text, UTC_FORMAT).replace(tzinfo=UTC)


def hours(value: float) -> timedelta:
    return timedelta(seconds=round(value * 3600))
