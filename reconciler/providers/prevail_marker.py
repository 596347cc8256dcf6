"""Where a Prevail session carries our marker: the last lines of
`session_details.additional_details`, `reconciler-scope: <mark>` above `reconciler-key: <key>`.
"""

from __future__ import annotations

from typing import Any

MARKER = "reconciler-key: "
SCOPE_MARKER = "reconciler-scope: "


def split_marker(text: Any) -> tuple[str | None, str | None, str | None]:
    """(user text, key, scope mark) from additional_details that may end with our marker.

    The key is on the last line; the scope mark, when the marker has one, on the line above.
    """
    if not isinstance(text, str):
        return (None, None, None)
    head, _, last = text.rstrip("\n").rpartition("\n")
    if not last.startswith(MARKER):
        return (text, None, None)
    key = last[len(MARKER) :].strip()
    above, _, line = head.rpartition("\n")
    if not line.startswith(SCOPE_MARKER):
        return (head if head else None, key, None)
    return (above if above else None, key, line[len(SCOPE_MARKER) :].strip())


def join_marker(text: Any, key: str, mark: str | None) -> str:
    marker = MARKER + key if mark is None else f"{SCOPE_MARKER}{mark}\n{MARKER}{key}"
    return f"{text}\n{marker}" if isinstance(text, str) and text else marker
