"""How field values read in every renderer: JSON literals, shortened when long."""

from __future__ import annotations

import json
from typing import Any

from reconciler.model import Plan

MAX_VALUE = 120


def show(value: Any) -> str:
    if value is None:
        return "null"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def summary_line(plan: Plan) -> str:
    """`Plan: 2 to create, 1 to update, 0 to cancel/delete.` A replace counts in both."""
    counts = plan.summary
    return (
        f"Plan: {counts['create'] + counts['replace']} to create, {counts['update']} to update, "
        f"{counts['delete'] + counts['replace']} to cancel/delete."
    )


NO_CHANGES = "No changes. The remote schedule matches the configuration."
