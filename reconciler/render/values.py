"""How field values read in every renderer: JSON literals, whole unless a terminal asks for less."""

from __future__ import annotations

import json
from typing import Any

from reconciler.model import Change, Plan
from reconciler.reports import counted

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
    """`Plan: 2 to create, 1,204 to update, 0 to cancel/delete.` A replace counts in both."""
    counts = plan.summary
    return (
        f"Plan: {counts['create'] + counts['replace']:,} to create, {counts['update']:,} to "
        f"update, {counts['delete'] + counts['replace']:,} to cancel/delete."
    )


def origin_word(change: Change) -> str:
    """The Markdown and HTML plans' origin column: `config` (the configuration changed the
    object), `drift` (it reverts an edit made in the account), `—` (no base ref to tell)."""
    return change.origin.value if change.origin is not None else "—"


def drift_mark(change: Change, name: str) -> str:
    """What the Markdown and HTML plans write beside a changed field's name: ` (drift)` when
    its change reverts a remote edit."""
    return " (drift)" if name in change.drift_fields else ""


NO_CHANGES = "No changes. The remote schedule matches the configuration."


def scope_lines(plan: Plan) -> list[str]:
    """The plan's header: its scope, and what refresh found of other owners and left alone."""
    lines: list[str] = []
    report = plan.scope
    if report is not None:
        lines.append(f"Scope: {report.name} ({report.origin})")
        others = [
            counted(sum(counts.values()), kind) + " ("
            + ", ".join(f"{name}: {count:,}" for name, count in sorted(counts.items()))
            + ")"
            for kind, counts in report.others.items()
        ]
        if others:
            lines.append(f"Left alone, of other scopes: {', '.join(others)}.")
        if report.unscoped:
            unscoped = ", ".join(counted(count, kind) for kind, count in report.unscoped.items())
            lines.append(
                f"Left alone, managed before scopes: {unscoped}; `--adopt-unscoped` takes the "
                "ones this configuration declares into its scope."
            )
    return lines


def duplicate_lines(plan: Plan) -> list[str]:
    """One warning per key that several live objects carry (apply keeps the oldest)."""
    return [f"Duplicate: {duplicate}." for duplicate in plan.duplicates]
