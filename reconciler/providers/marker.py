"""The scope half of the identity marker, written the same way by every provider.

Each object the reconciler manages carries its key (where each API allows) and, next to it, one
scope mark: the configuration's scope, followed by ` (protected)` when the object was applied
with `protect: true` (`team-a` or `team-a (protected)`). One value rather than two keeps
Previsto's 20 metadata keys for users. A scope name never holds a space, so the two parts are read
back unambiguously; a marker without a scope mark was written before scopes existed.
"""

from __future__ import annotations

from typing import Any

PROTECTED = " (protected)"


def scope_mark(scope: str, *, protected: bool) -> str:
    """`team-a`, or `team-a (protected)`."""
    return scope + PROTECTED if protected else scope


def read_scope_mark(value: Any) -> tuple[str | None, bool]:
    """(scope, protected) from a scope mark; (None, False) when there is none."""
    if not isinstance(value, str) or not value.strip():
        return None, False
    text = value.strip()
    if text.endswith(PROTECTED):
        return text[: -len(PROTECTED)].strip() or None, True
    return text, False
