"""The table of zone names that name no place: complete for tzdata's, and its hints usable."""

from __future__ import annotations

from zoneinfo import ZoneInfo, available_timezones

import pytest

from reconciler.config.checks import zone_guess
from reconciler.config.fixed_zones import ABBREVIATIONS, is_refused, refusal
from reconciler.zones import canonical_name, prevail_zone_names

# tzdata's names for abbreviations and POSIX rules (links to some city since tzdata 2024b).
LEGACY = ["EST", "MST", "HST", "CET", "EET", "WET", "MET", "EST5EDT", "CST6CDT", "MST7MDT",
          "PST8PDT", "GMT", "GMT0", "GMT+0", "GMT-0", "Greenwich", "Factory", "localtime"]


def test_every_hint_is_a_zone_of_a_place_that_is_itself_allowed() -> None:
    for abbreviation, meaning in ABBREVIATIONS.items():
        for place, zone in meaning.places:
            ZoneInfo(zone)  # raises when tzdata does not know it
            assert not is_refused(zone), (abbreviation, place, zone)
            assert zone == "UTC" or canonical_name(zone) == zone, (abbreviation, zone)


@pytest.mark.parametrize("name", LEGACY)
def test_tzdatas_abbreviation_names_are_refused(name: str) -> None:
    assert is_refused(name)


def test_every_etc_name_but_utc_is_refused() -> None:
    etc = sorted(name for name in available_timezones() if name.startswith("Etc/"))
    allowed = [name for name in etc if not is_refused(name)]
    assert allowed == [name for name in etc if canonical_name(name) == "Etc/UTC"]
    assert "Etc/UTC" in allowed and "Etc/GMT+5" not in allowed


def test_every_prevail_name_is_allowed_for_a_session() -> None:
    for name in prevail_zone_names():
        assert refusal(name, prevail_names=True) is None, name
        assert refusal(f"(GMT+00:00) {name}", prevail_names=True) is None, name


@pytest.mark.parametrize(
    ("written", "offset"),
    [("UTC-5", "UTC\N{MINUS SIGN}5"), ("utc+05:30", "UTC+5:30"), ("GMT-3", "UTC\N{MINUS SIGN}3"),
     ("Etc/GMT-14", "UTC+14"), ("Etc/GMT+12", "UTC\N{MINUS SIGN}12"), ("UTC+0", "UTC+0")],
)
def test_an_offset_is_read_with_its_sign(written: str, offset: str) -> None:
    found = refusal(written, prevail_names=False)
    assert found is not None and f"is a fixed offset: {offset} all year" in found


def test_a_did_you_mean_never_suggests_a_refused_name() -> None:
    for typo in ("ESTT", "CETT", "Etc/GMT+55", "MSTT", "HSTT", "GMT00"):
        guess = zone_guess(typo, prevail_names=False)
        assert guess is None or not is_refused(guess), (typo, guess)
