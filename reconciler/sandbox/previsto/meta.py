"""Previsto metadata: the merge rules of a `meta` update and the documented limits.

An update names only the keys it changes: a string sets the key, `null` or `""` removes it, and
keys not named are kept. (In the sandbox's replacing mode the passed object is merged into
nothing: it becomes the metadata, without its `null` and `""` values.) After merging an object
may hold at most 20 keys, key names of 1 to 40 characters and values of at most 500 characters;
otherwise the whole update is refused (400, with `param` naming the offending key as
`meta[<key>]`) and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.sandbox.previsto.errors import bad_request
from reconciler.sandbox.previsto.validation import describe

MAX_KEYS = 20
MAX_KEY_LENGTH = 40
MAX_VALUE_LENGTH = 500
# Keys are addressed as `meta.<key>` in list filters and as `meta[<key>]` in error params, so
# these characters would make either address ambiguous.
RESERVED_KEY_CHARACTERS = frozenset('."\\[]')


def key_problem(key: str) -> str | None:
    """Why `key` cannot be a metadata key name, or None when it can."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        return f"metadata key names must be 1 to {MAX_KEY_LENGTH} characters long"
    if any(not " " <= char <= "~" or char in RESERVED_KEY_CHARACTERS for char in key):
        return (
            "metadata key names are printable ASCII without '.', '\"', '\\', '[' or ']'"
        )
    return None


def merge_metadata(current: Mapping[str, str], update: Any, *, param: str) -> dict[str, str]:
    """The metadata after applying `update` to `current`; `param` is `meta` or `metadata`."""
    if not isinstance(update, dict):
        raise bad_request(
            f"'{param}' must be an object of string values, not {describe(update)}.",
            param=param,
        )
    merged = dict(current)
    for key, value in update.items():
        where = f"{param}[{key}]"
        problem = key_problem(key)
        if problem is not None:
            raise bad_request(f"Invalid metadata key '{where}': {problem}.", param=where)
        if value is None or value == "":
            merged.pop(key, None)
            continue
        if not isinstance(value, str):
            raise bad_request(
                f"Metadata values must be strings: '{where}' is {describe(value)}.", param=where
            )
        if len(value) > MAX_VALUE_LENGTH:
            raise bad_request(
                f"Metadata values can be at most {MAX_VALUE_LENGTH} characters long; "
                f"'{where}' has {len(value)}.",
                param=where,
            )
        merged[key] = value
    if len(merged) > MAX_KEYS:
        # Kept keys hold their places and new keys come after them, so the first key past the
        # limit is one this update added.
        offending = list(merged)[MAX_KEYS]
        raise bad_request(
            f"Metadata can have at most {MAX_KEYS} keys; this update would leave {len(merged)}.",
            param=f"{param}[{offending}]",
        )
    return merged
