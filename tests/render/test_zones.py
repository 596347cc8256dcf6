"""Canonical zone names come from tzdata's own link table, not from a list typed here."""

from __future__ import annotations

import pytest

from reconciler.timeutil import canonical_zone
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
