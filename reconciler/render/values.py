"""How field values read in every renderer: JSON literals, whole unless a terminal asks for less."""

from __future__ import annotations

import json
from typing import Any

from reconciler.model import Plan

# How long a value may be on a terminal before the rest is left out. Only the text renderer
# shortens, and only for a terminal: a reviewer reading the Markdown or JSON plan must see every
# address of a long invite list.
MAX_VALUE = 120


def show(value: Any, *, limit: int | None = None) -> str:
    """`value` as a JSON literal; with `limit`, cut there and followed by what was left out."""
    if value is None:
        return "null"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if limit is None or len(text) <= limit:
        return text
    return f"{text[: limit - 1]}… (+{len(text) - limit + 1} characters)"


def summary_line(plan: Plan) -> str:
    """`Plan: 2 to create, 1 to update, 0 to cancel/delete.` A replace counts in both."""
    counts = plan.summary
    return (
        f"Plan: {counts['create'] + counts['replace']} to create, {counts['update']} to update, "
        f"{counts['delete'] + counts['replace']} to cancel/delete."
    )


NO_CHANGES = "No changes. The remote schedule matches the configuration."
