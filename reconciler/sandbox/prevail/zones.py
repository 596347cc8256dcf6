"""The time zone names Prevail accepts: its Rails (ActiveSupport) names and IANA names.

The Rails names and their IANA equivalents are part of the published API description,
`schemas/api/prevail-time-zones.json` (Rails 8.1's `ActiveSupport::TimeZone::MAPPING` plus the
names Rails' main branch adds), which the client side reads too. Prevail's docs also accept a
zone "formatted with GMT offsets and region descriptions": Rails' display form, `(GMT-05:00)
Eastern Time (US & Canada)`, whose name part is read here. The offset is informative (Rails
shows the standard offset of the day), so it is not held against the name.
"""

from __future__ import annotations

import json
import re
import zoneinfo
from collections.abc import Mapping
from functools import cache
from typing import Final

from reconciler.published import published_file

TIME_ZONES_FILE: Final = published_file("api/prevail-time-zones.json")
_DISPLAY_FORM: Final = re.compile(r"\(GMT(?:[+-]\d{2}:?\d{2})?\) (?P<name>\S.*)")


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
    display = _DISPLAY_FORM.fullmatch(name)
    bare = display["name"] if display else name
    rails = rails_time_zones().get(bare)
    if rails is not None:
        return rails
    return bare if bare in _iana_names() else None
