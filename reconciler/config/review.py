"""The reviewers' zones (`review.timezones` in the YAML): read while loading.

    review:
      timezones: [Europe/London, Asia/Tokyo]

Each zone adds a column to the Markdown and HTML plans with every change's time in that zone,
so a reviewer in London reads a New York session's move on their own clock beside New York's.
Zones are named as the team writes them (an IANA name or one of Prevail's names) and refused,
at their file and line, where they name no place (an abbreviation such as `EST`, an offset).
The schema says what is wrong with the shape; this module reads the zones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.config.document import FileView, one_section
from reconciler.config.fixed_zones import refusal
from reconciler.config.yaml import JsonPath, SourceMap
from reconciler.instants import canonical_zone
from reconciler.model import ConfigIssue, Location

SECTION = "review"



@dataclass(frozen=True, kw_only=True)
class Review:
    """How plans read for their reviewers: their zones, as written (none when unset)."""

    timezones: tuple[str, ...] = ()
    location: Location | None = None  # where `review:` is written, if anywhere


def collect(
    files: Sequence[FileView], issues: list[ConfigIssue]
) -> Review:
    """The `review:` of the one file that has it (a second one is an issue)."""
    found = Review()
    twice = "review is configured twice (first at {first}); keep one"
    for block, source, clean in one_section(files, SECTION, issues, twice=twice):
        zones = block.get("timezones")
        listed = zones if isinstance(zones, list) and clean((SECTION, "timezones")) else []
        kept: list[str] = []
        seen: dict[str, str] = {}
        for index, name in enumerate(listed):
            path: JsonPath = (SECTION, "timezones", index)
            zone = _zone(str(name), path, source, issues)
            if zone is None:
                continue
            if zone in seen:
                issues.append(source.issue(path, f'"{name}" is the same zone as "{seen[zone]}" '
                                           f"({zone}); list it once"))
                continue
            seen[zone] = str(name)
            kept.append(str(name))
        found = Review(timezones=tuple(kept), location=source.at((SECTION,)))
    return found


def _zone(name: str, path: JsonPath, source: SourceMap, issues: list[ConfigIssue]) -> str | None:
    """The canonical zone of a reviewer's zone, or None with the reason in `issues`."""
    refused = refusal(name, prevail_names=True)
    if refused is not None:
        issues.append(source.issue(path, refused))
        return None
    try:
        return canonical_zone(name)
    except KeyError:
        issues.append(
            source.issue(path, f'unknown time zone "{name}": use an IANA name such as '
                         '"Europe/London" (or one of Prevail\'s names)')
        )
        return None
