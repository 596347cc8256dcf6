"""Canonical zone names come from tzdata's own link table, not from a list typed here."""

from __future__ import annotations

from zoneinfo import available_timezones

import pytest

from reconciler.config.checks import iana_zones, zone_of
from reconciler.instants import canonical_zone
from reconciler.zones import canonical_name, is_alias, parse_tables, zone_table


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
    assert canonical_zone("Eastern Time (US & Canada)") == "America/New_York"
    assert canonical_zone("US/Eastern") == "America/New_York"
    assert canonical_zone("Kyiv") == "Europe/Kyiv"  # Prevail's table still says Europe/Kiev
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
