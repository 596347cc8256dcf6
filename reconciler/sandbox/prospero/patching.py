"""Applying an RFC 7386 JSON merge patch: what Prospero does with a `PATCH /events/{id}` body."""

from __future__ import annotations

from typing import Any


def apply_merge_patch(target: object, patch: object) -> Any:
    """RFC 7386: objects merge recursively, `null` removes a member, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = apply_merge_patch(merged.get(key), value)
    return merged
