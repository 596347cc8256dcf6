"""Canonical IANA zone names: one spelling per zone, old and alias names resolved through tzdata.

`zoneinfo` keeps whatever name it was given (`ZoneInfo("US/Eastern").key == "US/Eastern"`), so
two spellings of one zone would compare unequal. The links that make `US/Eastern` another name
for `America/New_York` are tzdata's own: its compiled source `tzdata.zi` lists every link as
`L <target> <name>`. Since tzdata 2022b that list also links distinct current locations whose
clocks merely agree since 1970 (`Europe/Copenhagen` → `Europe/Berlin`); those are kept, because
`zone.tab` still lists them as the name of their own region. So a name is canonical when it is a
Zone or a `zone.tab` location; any other linked name (the `backward` file's renamed and
deprecated names: `US/Eastern`, `Europe/Kiev`, `Asia/Rangoon`, `UTC`) resolves to its target.
Read from the `tzdata` package (a dependency) or, failing that, the system's zone database.

Prevail names zones as Rails does: `ActiveSupport::TimeZone::MAPPING`'s names ("Eastern Time
(US & Canada)", "Astana") and their display form with the standard offset in front ("(GMT-05:00)
Eastern Time (US & Canada)"). The name table is published data, `schemas/api/
prevail-time-zones.json` (Rails 8.1's mapping plus the names Rails' main branch adds); every
spelling resolves to one IANA name here, so that no spelling reads as drift.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from zoneinfo import TZPATH

from reconciler.published import load_published

log = logging.getLogger(__name__)

TZDATA_SOURCE = "tzdata.zi"
LOCATION_TABLES = ("zone.tab", "zone1970.tab")
PREVAIL_ZONES_FILE = "api/prevail-time-zones.json"
# Rails' `TimeZone#to_s`: "(GMT-05:00) Eastern Time (US & Canada)", "(GMT+00:00) UTC". The offset
# is the zone's standard offset on the day it was written; the name alone says which zone it is.
_DISPLAY_FORM = re.compile(r"\(GMT(?:[+-]\d{2}:?\d{2})?\) (?P<name>\S.*)")


@dataclass(frozen=True, kw_only=True)
class ZoneTable:
    """tzdata's zones, links (name → target) and region locations."""

    zones: frozenset[str]
    links: dict[str, str]
    locations: frozenset[str]

    def canonical(self, name: str) -> str:
        seen: set[str] = set()
        while name in self.links and not self.is_kept(name) and name not in seen:
            seen.add(name)
            name = self.links[name]
        return name

    def is_kept(self, name: str) -> bool:
        return name in self.zones or name in self.locations

    def knows(self, name: str) -> bool:
        """A zone or link name of this table."""
        return name in self.zones or name in self.links


def canonical_name(name: str) -> str:
    """The canonical IANA name for `name` (itself when it is canonical or unknown)."""
    return zone_table().canonical(name)


def is_alias(name: str) -> bool:
    """True for an old or alternative name of a zone, such as `US/Eastern`."""
    return canonical_name(name) != name


@cache
def prevail_zone_names() -> Mapping[str, str]:
    """Prevail's (Rails') zone names and the IANA name each stands for."""
    table = load_published(PREVAIL_ZONES_FILE)
    return {str(name): str(iana) for name, iana in table.items()}


def rails_name(name: str) -> str:
    """The zone name inside Rails' display form (`(GMT-05:00) Eastern Time (US & Canada)`)."""
    found = _DISPLAY_FORM.fullmatch(name)
    return found["name"] if found else name


def prevail_zone(name: str) -> str | None:
    """The IANA name a Prevail zone name stands for, in either of Rails' spellings; else None.

    An IANA name in display form (`(GMT+05:00) Asia/Almaty`, as Rails shows a zone outside its
    table) is returned without the prefix.
    """
    bare = rails_name(name)
    iana = prevail_zone_names().get(bare)
    if iana is not None:
        return iana
    return bare if bare != name else None


@cache
def zone_table() -> ZoneTable:
    for folder in _sources():
        source = folder / TZDATA_SOURCE
        if source.is_file():
            tables = [folder / name for name in LOCATION_TABLES if (folder / name).is_file()]
            return parse_tables(
                source.read_text(encoding="utf-8").splitlines(),
                (line for table in tables for line in table.read_text("utf-8").splitlines()),
            )
    # No tzdata source at all: every name stays as written (aliases then stay distinct).
    log.warning("no %s found; time zone aliases are not resolved", TZDATA_SOURCE)
    return ZoneTable(zones=frozenset(), links={}, locations=frozenset())


def parse_tables(source: Iterable[str], locations: Iterable[str]) -> ZoneTable:
    """Zones and links from `tzdata.zi` lines; locations from `zone.tab`-style lines."""
    zones: set[str] = set()
    links: dict[str, str] = {}
    for line in source:
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "Z":
            zones.add(parts[1])
        elif len(parts) >= 3 and parts[0] == "L":
            links[parts[2]] = parts[1]
    named = {
        parts[2]
        for parts in (line.split("\t") for line in locations if not line.startswith("#"))
        if len(parts) >= 3
    }
    return ZoneTable(zones=frozenset(zones), links=links, locations=frozenset(named))


def _sources() -> list[Path]:
    folders = [Path(folder) for folder in TZPATH]
    try:
        package = resources.files("tzdata")
    except ModuleNotFoundError:
        return folders
    return [Path(str(package.joinpath("zoneinfo"))), *folders]
