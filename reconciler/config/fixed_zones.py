"""Zone names that name no place: abbreviations, POSIX rules and fixed offsets, and what people
mean by them.

tzdata still answers to `EST`, `MST`, `HST`, `CET` or `EST5EDT`, but as links to some city
(`EST` → `America/Panama`, `CET` → `Europe/Brussels`), and `Etc/GMT+5` is UTC-5 (its sign is
POSIX's, inverted). A schedule written in one of them keeps one offset all year, or keeps some
other city's rules: `time_zone: EST` puts 10:00 on 4 July at 15:00Z, an hour off New York. Bare
offsets (`UTC-5`, `GMT+2`) and abbreviations tzdata never knew (`PST`, `CEST`, `IST`) are worse
guessed than refused. So a scheduling zone must name a place (or be UTC), and the refusal says
what the name means and which zones people mean by it. The hints come from `ABBREVIATIONS`, a
table curated by hand (an abbreviation's meaning is a matter of usage, not of spelling: string
distance once suggested `America/Phoenix` for `PST`).

Prevail's own (Rails) names are the provider's names for its zones and stay allowed, even the
one that stands for a fixed offset ("International Date Line West" → `Etc/GMT+12`): a user who
picks it from Prevail's list means exactly that zone. `UTC` and its tzdata synonyms (`Etc/UTC`,
`UCT`, `Zulu`, `Universal`) are allowed: they mean what they say, all year.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from reconciler.zones import canonical_name, prevail_zone_names, rails_name

UTC_ZONE = "Etc/UTC"
MINUS = "\N{MINUS SIGN}"


@dataclass(frozen=True)
class Meaning:
    """What an abbreviation stands for, and the zones of the places people mean by it."""

    means: str  # completes "EST is ..."
    places: tuple[tuple[str, str], ...]  # (place, IANA zone), the likeliest first
    # The standard offset in hours when the abbreviation names one UTC offset's zones, so that a
    # bare offset (`UTC-5`) is hinted with the places whose winter time it is.
    standard: float | None = None


def _hint(*places: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return places


_US_EASTERN = _hint(("New York", "America/New_York"))
_US_CENTRAL = _hint(("Chicago", "America/Chicago"))
_US_MOUNTAIN = _hint(
    ("Denver", "America/Denver"), ("Phoenix (no daylight saving)", "America/Phoenix")
)
_US_PACIFIC = _hint(("Los Angeles", "America/Los_Angeles"))
_CENTRAL_EUROPE = _hint(("Paris", "Europe/Paris"), ("Berlin", "Europe/Berlin"))
_EASTERN_EUROPE = _hint(("Athens", "Europe/Athens"), ("Helsinki", "Europe/Helsinki"))
_POSIX = "a POSIX rule name, not a place"

# Upper-case abbreviation → its meaning. Curated: the abbreviations tzdata answers to, the US
# and European ones people write, and the common ones of other regions.
ABBREVIATIONS: Mapping[str, Meaning] = {
    # North America
    "EST": Meaning(
        f"UTC{MINUS}5 all year (no daylight saving)",
        (*_US_EASTERN, ("Panama or Jamaica", "America/Panama")),
        -5,
    ),
    "EDT": Meaning(f"US Eastern summer time (UTC{MINUS}4), half of New York's year", _US_EASTERN),
    "EST5EDT": Meaning(f"{_POSIX} (US Eastern time)", _US_EASTERN),
    "CST": Meaning(
        f"ambiguous: US Central (UTC{MINUS}6), China (UTC+8) or Cuba (UTC{MINUS}5)",
        (*_US_CENTRAL, ("China", "Asia/Shanghai"), ("Cuba", "America/Havana")),
        -6,
    ),
    "CDT": Meaning(f"US Central summer time (UTC{MINUS}5), half of Chicago's year", _US_CENTRAL),
    "CST6CDT": Meaning(f"{_POSIX} (US Central time)", _US_CENTRAL),
    "MST": Meaning(f"UTC{MINUS}7 all year (no daylight saving)", _US_MOUNTAIN, -7),
    "MDT": Meaning(
        f"US Mountain summer time (UTC{MINUS}6), half of Denver's year", _US_MOUNTAIN[:1]
    ),
    "MST7MDT": Meaning(f"{_POSIX} (US Mountain time)", _US_MOUNTAIN[:1]),
    "PST": Meaning(
        f"US Pacific winter time (UTC{MINUS}8), half of Los Angeles' year", _US_PACIFIC, -8
    ),
    "PDT": Meaning(f"US Pacific summer time (UTC{MINUS}7), half of Los Angeles' year", _US_PACIFIC),
    "PST8PDT": Meaning(f"{_POSIX} (US Pacific time)", _US_PACIFIC),
    "AKST": Meaning(f"Alaska winter time (UTC{MINUS}9)", (("Anchorage", "America/Anchorage"),), -9),
    "AKDT": Meaning(f"Alaska summer time (UTC{MINUS}8)", (("Anchorage", "America/Anchorage"),)),
    "HST": Meaning(
        f"UTC{MINUS}10 all year (no daylight saving)", (("Hawaii", "Pacific/Honolulu"),), -10
    ),
    "AST": Meaning(
        f"ambiguous: Atlantic (UTC{MINUS}4) or Arabia (UTC+3)",
        (
            ("Halifax", "America/Halifax"),
            ("Puerto Rico", "America/Puerto_Rico"),
            ("Riyadh", "Asia/Riyadh"),
        ),
        -4,
    ),
    "ADT": Meaning(f"Atlantic summer time (UTC{MINUS}3)", (("Halifax", "America/Halifax"),)),
    "NST": Meaning(
        f"Newfoundland winter time (UTC{MINUS}3:30)", (("St. John's", "America/St_Johns"),), -3.5
    ),
    "NDT": Meaning(
        f"Newfoundland summer time (UTC{MINUS}2:30)", (("St. John's", "America/St_Johns"),)
    ),
    # Europe and Africa
    "GMT": Meaning(
        "UTC+0 all year (no summer time)", (("London", "Europe/London"), ("UTC itself", "UTC")), 0
    ),
    "BST": Meaning(
        "ambiguous: British Summer Time (UTC+1) or Bangladesh (UTC+6)",
        (("London", "Europe/London"), ("Dhaka", "Asia/Dhaka")),
    ),
    "IST": Meaning(
        "ambiguous: India (UTC+5:30), Ireland (summer) or Israel (UTC+2)",
        (("India", "Asia/Kolkata"), ("Dublin", "Europe/Dublin"), ("Israel", "Asia/Jerusalem")),
        5.5,
    ),
    "WET": Meaning(
        "Western European time (UTC+0, UTC+1 in summer), not a place",
        (("Lisbon", "Europe/Lisbon"),),
    ),
    "WEST": Meaning("Western European summer time (UTC+1)", (("Lisbon", "Europe/Lisbon"),)),
    "CET": Meaning(
        "Central European time (UTC+1, UTC+2 in summer), not a place", _CENTRAL_EUROPE, 1
    ),
    "CEST": Meaning("Central European summer time (UTC+2)", _CENTRAL_EUROPE),
    "MET": Meaning("Central European time (UTC+1, UTC+2 in summer), not a place", _CENTRAL_EUROPE),
    "MEST": Meaning("Central European summer time (UTC+2)", _CENTRAL_EUROPE),
    "EET": Meaning(
        "Eastern European time (UTC+2, UTC+3 in summer), not a place", _EASTERN_EUROPE, 2
    ),
    "EEST": Meaning("Eastern European summer time (UTC+3)", _EASTERN_EUROPE),
    "MSK": Meaning("Moscow time (UTC+3)", (("Moscow", "Europe/Moscow"),), 3),
    "WAT": Meaning("West Africa time (UTC+1)", (("Lagos", "Africa/Lagos"),)),
    "CAT": Meaning("Central Africa time (UTC+2)", (("Maputo", "Africa/Maputo"),)),
    "EAT": Meaning("East Africa time (UTC+3)", (("Nairobi", "Africa/Nairobi"),)),
    "SAST": Meaning("South Africa time (UTC+2)", (("Johannesburg", "Africa/Johannesburg"),)),
    # Asia and the Pacific
    "PKT": Meaning("Pakistan time (UTC+5)", (("Karachi", "Asia/Karachi"),), 5),
    "NPT": Meaning("Nepal time (UTC+5:45)", (("Kathmandu", "Asia/Kathmandu"),), 5.75),
    "ICT": Meaning("Indochina time (UTC+7)", (("Bangkok", "Asia/Bangkok"),), 7),
    "WIB": Meaning("Western Indonesia time (UTC+7)", (("Jakarta", "Asia/Jakarta"),)),
    "SGT": Meaning("Singapore time (UTC+8)", (("Singapore", "Asia/Singapore"),), 8),
    "HKT": Meaning("Hong Kong time (UTC+8)", (("Hong Kong", "Asia/Hong_Kong"),)),
    "KST": Meaning("Korea time (UTC+9)", (("Seoul", "Asia/Seoul"),)),
    "JST": Meaning("Japan time (UTC+9)", (("Tokyo", "Asia/Tokyo"),), 9),
    "AWST": Meaning("Australian Western time (UTC+8)", (("Perth", "Australia/Perth"),)),
    "ACST": Meaning(
        "Australian Central winter time (UTC+9:30)",
        (("Adelaide", "Australia/Adelaide"), ("Darwin (no daylight saving)", "Australia/Darwin")),
        9.5,
    ),
    "ACDT": Meaning(
        "Australian Central summer time (UTC+10:30)", (("Adelaide", "Australia/Adelaide"),)
    ),
    "AEST": Meaning(
        "Australian Eastern winter time (UTC+10)",
        (("Sydney", "Australia/Sydney"), ("Brisbane (no daylight saving)", "Australia/Brisbane")),
        10,
    ),
    "AEDT": Meaning("Australian Eastern summer time (UTC+11)", (("Sydney", "Australia/Sydney"),)),
    "NZST": Meaning("New Zealand winter time (UTC+12)", (("Auckland", "Pacific/Auckland"),), 12),
    "NZDT": Meaning("New Zealand summer time (UTC+13)", (("Auckland", "Pacific/Auckland"),)),
    # Names of no place at all
    "LOCALTIME": Meaning(
        "the zone of whichever machine runs the plan (it differs between a laptop and CI)", ()
    ),
    "FACTORY": Meaning("tzdata's placeholder for a machine whose zone was never set", ()),
}

# `UTC-5`, `GMT+2`, `UTC+05:30`, and tzdata's `Etc/GMT+5` (whose sign is inverted).
_OFFSET = re.compile(
    r"(?P<etc>Etc/)?(?:UTC|GMT|UT)\s*(?P<sign>[+\-\N{MINUS SIGN}])\s*(?P<hours>\d{1,2})"
    r"(?::?(?P<minutes>\d{2}))?",
    re.IGNORECASE,
)
# A POSIX TZ rule such as `CET-1CEST` or `JST-9`: abbreviation, offset, summer abbreviation.
_POSIX_RULE = re.compile(r"(?P<abbreviation>[A-Za-z]{3,5})[+-]?\d{1,2}(?:[A-Za-z]{3,5})?")


@lru_cache(maxsize=1024)  # a schedule names few zones, each checked for every object
def refusal(name: str, *, prevail_names: bool) -> str | None:
    """Why `name` cannot be a schedule's zone, with the zones meant; None when it names a place
    (or UTC, or, where Prevail's names are accepted, one of those)."""
    bare = rails_name(name).strip()
    if prevail_names and bare in prevail_zone_names():
        return None
    if canonical_name(bare) == UTC_ZONE:
        return None
    meaning = ABBREVIATIONS.get(bare.upper())
    if meaning is not None:
        return _worded(bare, f"is {meaning.means}", meaning.places, prevail_names=prevail_names)
    offset = _OFFSET.fullmatch(bare)
    if offset is not None:
        return _offset_refusal(bare, offset, prevail_names=prevail_names)
    rule = _POSIX_RULE.fullmatch(bare)
    if rule is not None:
        meant = ABBREVIATIONS.get(rule["abbreviation"].upper())
        return _worded(
            bare,
            "is a POSIX TZ rule, not a place",
            meant.places if meant else (),
            prevail_names=prevail_names,
        )
    if canonical_name(bare).startswith("Etc/"):  # Etc/GMT, GMT0, Greenwich, Etc/Greenwich
        return _worded(
            bare,
            f"is {ABBREVIATIONS['GMT'].means}",
            ABBREVIATIONS["GMT"].places,
            prevail_names=prevail_names,
        )
    return None


def is_refused(name: str) -> bool:
    """Whether `name` is refused wherever a zone is written (a hint never suggests one)."""
    return refusal(name, prevail_names=False) is not None


def _offset_refusal(name: str, found: re.Match[str], *, prevail_names: bool) -> str:
    minutes = int(found["hours"]) * 60 + int(found["minutes"] or 0)
    west = found["sign"] != "+"
    if found["etc"]:
        west = not west  # POSIX's sign: Etc/GMT+5 is five hours behind UTC
    sign = MINUS if west and minutes else "+"
    hours, rest = divmod(minutes, 60)
    offset = f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
    inverted = " (tzdata's Etc/GMT names invert the sign)" if found["etc"] else ""
    standard = (-minutes if west else minutes) / 60
    places = tuple(
        place
        for meaning in ABBREVIATIONS.values()
        if meaning.standard == standard
        for place in meaning.places[:1]
    )
    return _worded(
        name,
        f"is a fixed offset: {offset} all year, with no daylight saving{inverted}",
        places,
        prevail_names=prevail_names,
    )


def _worded(
    name: str, what: str, places: tuple[tuple[str, str], ...], *, prevail_names: bool
) -> str:
    """`EST is UTC-5 all year (no daylight saving); for New York write America/New_York`."""
    hints = ", ".join(f"for {place} write {zone}" for place, zone in places) or (
        "write the IANA zone of the place whose clock you mean, e.g. America/New_York"
    )
    own = _prevail_name_for(name) if prevail_names else None
    also = f' (Prevail\'s own name for this zone, "{own}", is accepted as it is)' if own else ""
    return f"{name} {what}; {hints}{also}"


def _prevail_name_for(name: str) -> str | None:
    """Prevail's own name for the same zone (`Etc/GMT+12` → International Date Line West)."""
    target = canonical_name(name)
    return next(
        (
            rails
            for rails, iana in prevail_zone_names().items()
            if canonical_name(iana) == target and target.startswith("Etc/")
        ),
        None,
    )
