"""Canonical zone names come from tzdata's own link table; Prevail's names from Rails' table."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

import pytest

from reconciler.config.checks import iana_zones, zone_of
from reconciler.instants import canonical_zone, iana_zone
from reconciler.zones import (
    canonical_name,
    is_alias,
    parse_tables,
    prevail_zone,
    prevail_zone_names,
    rails_name,
    zone_table,
)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("US/Eastern", "America/New_York"),
        ("US/Pacific", "America/Los_Angeles"),
        ("Europe/Kiev", "Europe/Kyiv"),
        ("Asia/Rangoon", "Asia/Yangon"),
        ("UTC", "Etc/UTC"),
        ("America/New_York", "America/New_York"),
        # merged into Europe/Berlin's data since tzdata 2022b, yet still Denmark's own name
        ("Europe/Copenhagen", "Europe/Copenhagen"),
        ("Asia/Kuwait", "Asia/Kuwait"),
    ],
)
def test_canonical_names(name: str, canonical: str) -> None:
    assert canonical_name(name) == canonical


def test_prevail_names_and_aliases_meet_at_one_spelling() -> None:
    """api-contract.md, Prevail — zones: the client treats every spelling of one zone as equal."""
    assert canonical_zone("Eastern Time (US & Canada)") == "America/New_York"
    assert canonical_zone("US/Eastern") == "America/New_York"
    assert canonical_zone("Kyiv") == "Europe/Kyiv"  # Rails 8.1's table still says Europe/Kiev
    assert is_alias("US/Eastern") and not is_alias("America/New_York")


def test_the_table_is_read_from_tzdata() -> None:
    table = zone_table()
    assert len(table.links) > 200 and "America/New_York" in table.zones


def test_tzdata_source_lines_are_parsed() -> None:
    table = parse_tables(
        ["Z Europe/Berlin 0:53:28 - LMT 1893 Ap", "L Europe/Berlin Europe/Copenhagen",
         "L Europe/Berlin Europe/Old_Name"],
        ["# comment", "DK\t+5540+01235\tEurope/Copenhagen"],
    )
    assert table.canonical("Europe/Copenhagen") == "Europe/Copenhagen"
    assert table.canonical("Europe/Old_Name") == "Europe/Berlin"
    assert table.canonical("Mars/Olympus") == "Mars/Olympus"


def test_a_zone_name_is_known_exactly_when_zoneinfo_lists_it() -> None:
    for name in sorted(available_timezones()):
        zone = zone_of(name, prevail_names=False)
        assert zone is not None and str(zone) == name, name
    for unknown in ("Europe/Atlantis", "US/Eastern ", "europe/copenhagen", "", "Etc"):
        assert zone_of(unknown, prevail_names=False) is None, unknown
    assert zone_of("Eastern Time (US & Canada)", prevail_names=False) is None
    assert str(zone_of("Eastern Time (US & Canada)", prevail_names=True)) == "America/New_York"


def test_a_listed_zone_is_known_without_scanning_the_zone_folders() -> None:
    iana_zones.cache_clear()
    assert zone_of("Europe/Copenhagen", prevail_names=False) is not None
    assert zone_of("US/Eastern", prevail_names=False) is not None  # a link
    assert iana_zones.cache_info().misses == 0  # available_timezones() was never asked


# -- Prevail's (Rails') zone names ------------------------------------------------------------


def test_the_prevail_table_is_rails_8_1_plus_the_two_names_of_rails_main() -> None:
    """api-contract.md, Prevail time zones: Rails 8.1's MAPPING (152 names) plus two from main."""
    table = prevail_zone_names()
    assert len(table) == 152 + 2
    assert {name: table[name] for name in (
        "Astana", "International Date Line West", "Asuncion", "Canberra",
        "Pacific Time (Canada)", "Alberta", "Eastern Time (US & Canada)", "Greenland",
    )} == {
        "Astana": "Asia/Almaty",
        "International Date Line West": "Etc/GMT+12",
        "Asuncion": "America/Asuncion",
        "Canberra": "Australia/Canberra",
        "Pacific Time (Canada)": "America/Vancouver",
        "Alberta": "America/Edmonton",
        "Eastern Time (US & Canada)": "America/New_York",
        "Greenland": "America/Nuuk",
    }


def test_every_prevail_zone_loads_in_zoneinfo() -> None:
    """api-contract.md, Prevail time zones: each name resolves (tzdata knows every target)."""
    for name, iana in prevail_zone_names().items():
        assert iana_zone(name) == ZoneInfo(iana), name
        assert zone_table().knows(iana), iana


def test_astana_is_almaty_an_hour_from_dhaka_since_2024() -> None:
    """api-contract.md, Prevail time zones: `Astana` → Asia/Almaty (not Asia/Dhaka)."""
    wall = datetime(2027, 3, 2, 9, 0)
    assert canonical_zone("Astana") == canonical_zone("Asia/Almaty") == "Asia/Almaty"
    assert wall.replace(tzinfo=iana_zone("Astana")).utcoffset() != wall.replace(
        tzinfo=ZoneInfo("Asia/Dhaka")
    ).utcoffset()


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("(GMT-05:00) Eastern Time (US & Canada)", "America/New_York"),
        ("Eastern Time (US & Canada)", "America/New_York"),
        ("US/Eastern", "America/New_York"),
        ("(GMT+00:00) UTC", "Etc/UTC"),
        ("(GMT+05:00) Astana", "Asia/Almaty"),
        ("(GMT-04:00) Asuncion", "America/Asuncion"),
        ("(GMT+05:00) Asia/Almaty", "Asia/Almaty"),
        ("(GMT-12:00) International Date Line West", "Etc/GMT+12"),
    ],
)
def test_every_spelling_of_a_zone_is_one_zone(spelling: str, canonical: str) -> None:
    """api-contract.md, Prevail time zones: Rails' display form is read; spellings are equal."""
    assert canonical_zone(spelling) == canonical


def test_the_display_form_is_only_an_offset_prefix() -> None:
    assert rails_name("(GMT-05:00) Eastern Time (US & Canada)") == "Eastern Time (US & Canada)"
    assert rails_name("Eastern Time (US & Canada)") == "Eastern Time (US & Canada)"
    assert prevail_zone("GMT-05:00 Eastern Time (US & Canada)") is None
    assert prevail_zone("Atlantis") is None
    assert zone_of("(GMT-05:00) Eastern Time (US & Canada)", prevail_names=True) is not None
    assert zone_of("(GMT-05:00) Eastern Time (US & Canada)", prevail_names=False) is None
    assert zone_of("(GMT+01:00) Atlantis", prevail_names=True) is None
