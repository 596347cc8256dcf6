"""The time zone names Prevail accepts: its Rails (ActiveSupport) names and IANA names.

The Rails names and their IANA equivalents are part of the published API description,
`schemas/api/prevail-time-zones.json`, which the client side reads too.
"""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Mapping
from functools import cache
from typing import Final

from reconciler.published import published_file

TIME_ZONES_FILE: Final = published_file("api/prevail-time-zones.json")


@cache
def rails_time_zones() -> Mapping[str, str]:
    """Prevail's (Rails') zone names mapped to IANA names, from the published API description."""
    with TIME_ZONES_FILE.open(encoding="utf-8") as file:
        mapping = json.load(file)
    return {str(name): str(iana) for name, iana in mapping.items()}


@cache
def _iana_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def iana_zone(name: str) -> str | None:
    """The IANA name behind a Prevail or IANA zone name; None when Prevail would not accept it."""
    rails = rails_time_zones().get(name)
    if rails is not None:
        return rails
    return name if name in _iana_names() else None
