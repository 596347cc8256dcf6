"""Desired vs current: field-level changes over canonical values, and RFC 7386 merge patches.

A pure function over key-indexed objects, as octoDNS's `changes()`: only declared fields are
compared; a field (or metadata key) the object records as owned but no longer declared is
planned as removed (`null`); dict fields that merge on the server are compared key by key.
Providers canonicalise both sides first (instants in UTC, IANA zones, sorted invitees), so plain
equality here is semantic equality.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import orjson

from reconciler.model import DesiredObject, FieldChange, RemoteObject

# Values compared with plain equality when both sides have one of these types.
_SCALARS = frozenset({str, int, float, bool, type(None)})


def field_changes(
    desired: DesiredObject, current: RemoteObject, *, merge_fields: frozenset[str] = frozenset()
) -> list[FieldChange]:
    """The fields whose declared value differs from the remote one, in declaration order."""
    owned = current.owned or frozenset()
    if _unchanged(desired.fields, current.fields, owned):
        return []
    changes: list[FieldChange] = []
    for name, wanted in desired.fields.items():
        have = current.fields.get(name)
        if name in merge_fields and isinstance(wanted, Mapping):
            before, after = _merge_view(name, wanted, have, owned)
            if not same(before, after):  # `!=` would take true for 1
                changes.append(FieldChange(name, before, after))
        elif not same(wanted, have):
            changes.append(FieldChange(name, have, wanted))
    for name in _top_level(owned):
        if name in desired.fields or name in merge_fields:
            continue
        if current.fields.get(name) is not None:
            changes.append(FieldChange(name, current.fields.get(name), None))
    if not merge_fields:
        return changes
    for name in sorted(merge_fields - desired.fields.keys()):
        have = current.fields.get(name) or {}
        before = {sub: have[sub] for sub in _owned_keys(owned, name) if sub in have}
        if before:
            changes.append(FieldChange(name, before, dict.fromkeys(before)))
    return changes


def _unchanged(wanted: Mapping[str, Any], have: Mapping[str, Any], owned: frozenset[str]) -> bool:
    """True when nothing differs, decided in C for the usual object (most of a plan's objects).

    Every declared value must have the remote one's JSON text (keys sorted): `==` alone would
    take `true` for `1`. Owned fields must all be declared, so that none is due for removal.
    Anything else (a difference, a value JSON cannot hold, an owned field no longer declared)
    goes to the field-by-field comparison, which decides it exactly.
    """
    if owned and not _owned_names(owned) <= wanted.keys():
        return False
    try:
        return orjson.dumps(wanted, option=orjson.OPT_SORT_KEYS) == orjson.dumps(
            dict(zip(wanted, map(have.get, wanted), strict=True)), option=orjson.OPT_SORT_KEYS
        )
    except TypeError:
        return False


@lru_cache(maxsize=1024)
def _owned_names(owned: frozenset[str]) -> frozenset[str]:
    """The top-level field names an owned set mentions: `custom_fields.room` -> `custom_fields`."""
    return frozenset(field.partition(".")[0] for field in owned)


@lru_cache(maxsize=1024)
def _top_level(owned: frozenset[str]) -> tuple[str, ...]:
    """The owned top-level field names, sorted (owned sets repeat: computed once per set)."""
    return tuple(sorted(field for field in owned if "." not in field))


@lru_cache(maxsize=1024)
def _owned_keys(owned: frozenset[str], name: str) -> tuple[str, ...]:
    """The owned keys under the merging dict field `name`, sorted: `metadata.crew` -> `crew`."""
    prefix = name + "."
    return tuple(sorted(sub[len(prefix) :] for sub in owned if sub.startswith(prefix)))


def _merge_view(
    name: str, wanted: Mapping[str, Any], have: Any, owned: frozenset[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Restrict a merging dict to the keys we declare or own: keys set by others are not ours."""
    have = have if isinstance(have, Mapping) else {}
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in sorted({*wanted, *_owned_keys(owned, name)}):
        was, wants = have.get(key), wanted.get(key)
        if was is None and wants is None:
            continue  # absent remotely and undeclared: no change, left out of both sides
        before[key], after[key] = was, wants
    return before, after


def same(left: Any, right: Any) -> bool:
    """Semantic equality of canonical values: dict key order never matters; None is absent."""
    kind = type(left)
    if kind is type(right):  # the usual case, decided without abstract-class checks
        if kind in _SCALARS:
            return bool(left == right)
        if kind is dict:
            return _same_mappings(left, right)
        if kind is list:
            return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return _same_mappings(left, right)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(same(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return float(left) == float(right)
    return bool(left == right)


def _same_mappings(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    """Every key means the same on both sides; a key with None is the same as no key."""
    for key, value in left.items():
        if not same(value, right.get(key)):
            return False
    return all(value is None or key in left for key, value in right.items())


def merge_patch(before: Any, after: Any) -> Any:
    """The RFC 7386 merge patch that turns `before` into `after` (objects recurse, null removes).

    At object level `None` means absent, as a patch cannot store a null member. Arrays and
    scalars are replaced whole, as RFC 7386 says: an array is sent verbatim, nulls inside it
    included, whenever it differs from the stored one as a JSON document. Only differing members
    appear.
    """
    if not isinstance(after, Mapping) or not isinstance(before, Mapping):
        return after
    patch: dict[str, Any] = {}
    for key in before:
        if (key not in after or after[key] is None) and before[key] is not None:
            patch[key] = None
    for key, value in after.items():
        if value is None:
            continue
        if key not in before or before[key] is None:
            patch[key] = value
        elif not _same_as_patched(before[key], value):
            patch[key] = merge_patch(before[key], value)
    return patch


def _same_as_patched(left: Any, right: Any) -> bool:
    """Equal as documents a merge patch produces: `None` is absent in objects, not in arrays."""
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return all(_same_as_patched(value, right.get(key)) for key, value in left.items()) and all(
            value is None or key in left for key, value in right.items()
        )
    return _same_verbatim(left, right)  # an array, and everything in it, as sent


def _same_verbatim(left: Any, right: Any) -> bool:
    """Equal as array members, which a patch replaces whole: a null member is a member."""
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(
            _same_verbatim(value, right[key]) for key, value in left.items()
        )
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_same_verbatim, left, right))
    return same(left, right)


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 section 2, as its pseudo-code: the server's side of `merge_patch`.

    A member absent from the target is merged as from nothing, so nulls nested in a new object
    vanish, while an array (and any null inside it) is stored as sent.
    """
    if not isinstance(patch, Mapping):
        return patch
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result
