"""`previous_keys`: the checks a rename needs across every object of a kind.

An object's `previous_keys` name the keys it was declared under before; refresh then finds the
remote object under any of them. That is only unambiguous when a previous key is nobody's
current key (the object under that key would be two objects at once) and no two objects claim
the same previous key (which of them was renamed would be a guess). Each problem points at the
previous key as written, and names the other place.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from reconciler.config.document import ConfigFile
from reconciler.model import ConfigIssue

NOUNS = {"sessions": "session", "events": "event", "assignments": "assignment"}


@dataclass(frozen=True)
class Claim:
    """One previous key as written: the file and entry that lists it, and its place in the list."""

    file: ConfigFile
    index: int
    position: int
    old_key: str
    key: str  # the key the entry declares now


def claims(file: ConfigFile, kind: str, index: int, item: Mapping[str, object]) -> list[Claim]:
    """The previous keys an entry lists (none when the list is malformed: the schema says so)."""
    listed = item.get("previous_keys")
    key = item.get("key")
    if not isinstance(listed, list) or not isinstance(key, str):
        return []
    if not file.clean((kind, index, "previous_keys")):
        return []  # the schema's issue explains it
    return [
        Claim(file, index, position, old, key)
        for position, old in enumerate(listed)
        if isinstance(old, str)
    ]


def rename_issues(
    kind: str, found: list[Claim], declared: Mapping[str, tuple[ConfigFile, int]]
) -> Iterator[ConfigIssue]:
    """A previous key that is an entry's own key or another declared key, or that two entries
    claim; `declared` maps every key of the kind to where it is first declared."""
    noun = NOUNS.get(kind, "object")
    first_claim: dict[str, Claim] = {}
    for claim in found:
        where = (kind, claim.index, "previous_keys", claim.position)
        if claim.old_key == claim.key:
            yield claim.file.source.issue(
                where, f'"{claim.old_key}" is this {noun}\'s own key: list only keys it had before'
            )
            continue
        if claim.old_key in declared:
            other, at = declared[claim.old_key]
            yield claim.file.source.issue(
                where,
                f'"{claim.old_key}" is the key of another declared {noun} (at '
                f"{other.source.at((kind, at, 'key'))}): a previous key must no longer be "
                "declared; rename that one first, or remove this previous key",
            )
            continue
        earlier = first_claim.setdefault(claim.old_key, claim)
        if earlier is not claim:
            listed = (kind, earlier.index, "previous_keys", earlier.position)
            yield claim.file.source.issue(
                where,
                f'"{claim.old_key}" is also a previous key of {kind}.{earlier.key} (at '
                f"{earlier.file.source.at(listed)}): only one {noun} can have been "
                f"{claim.old_key}; remove it from one of them",
            )
