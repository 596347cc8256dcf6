"""The terminal plan, Terraform-like: `+` create, `~` update, `-` cancel/delete, `-/+` replace."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import click

from reconciler.findings import PolicyLevel
from reconciler.model import Action, Change, Plan
from reconciler.render.safe import visible
from reconciler.render.times import describe_field, group_changes
from reconciler.render.values import (
    NO_CHANGES,
    duplicate_lines,
    scope_lines,
    show,
    summary_line,
)

SYMBOL = {
    Action.CREATE: ("+", "green"),
    Action.UPDATE: ("~", "yellow"),
    Action.REPLACE: ("-/+", "magenta"),
    Action.CANCEL: ("-", "red"),
    Action.DELETE: ("-", "red"),
}

Painter = Callable[..., str]

VERB = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in place",
    Action.REPLACE: "will be cancelled and scheduled anew",
    Action.CANCEL: "will be cancelled",
    Action.DELETE: "will be deleted",
}


def render_text(plan: Plan, *, color: bool = False, max_value: int | None = None) -> str:
    """The plan for a terminal; `max_value` shortens long values there (never elsewhere)."""

    def paint(text: str, colour: str | None = None, bold: bool = False) -> str:
        # Escaped before styling: the style's own escape sequences must survive.
        text = visible(text)
        return click.style(text, fg=colour, bold=bold) if color else text

    lines = [paint(line) for line in scope_lines(plan)]
    lines += [paint(line, "yellow") for line in duplicate_lines(plan)]
    for warning in plan.warnings:
        lines.append(paint(f"Warning: {warning}", "yellow"))
    for finding in plan.findings:
        refuses = finding.level is PolicyLevel.MANDATORY
        lines.append(paint(f"Policy: {finding}", "red" if refuses else "yellow", bold=refuses))
    for skipped in plan.skipped:
        lines.append(paint(f"Skipped {skipped.address}: {skipped.reason}", "yellow"))
    if lines:
        lines.append("")
    if not plan.changes:
        lines.append(paint(NO_CHANGES, "green", bold=True))
        return "\n".join(lines) + "\n"
    lines.append("reconciler will perform the following actions:")
    lines.append("")
    for group in group_changes(plan.changes, plan.series_sizes):
        if group.series is not None:  # a recurring series: one line, then its occurrences
            lines.append(paint(f"  # series {group.series}: {group.summary}", bold=True))
            lines.append("")
        for change in group.changes:
            lines.extend(_change_lines(change, paint, partial(show, limit=max_value)))
            lines.append("")
    lines.append(paint(summary_line(plan), bold=True))
    if plan.conflicts:
        # Introduced overlaps in red (like a removal: they need a look), resolved in green.
        head, *listed = plan.conflicts.lines()
        lines += ["", paint(head, "red" if plan.conflicts.introduced else "green", bold=True)]
        lines += [paint(line, "red" if line.startswith("  +") else "green") for line in listed]
    if plan.warnings:
        # Again below the changes, as Terraform does: above a long plan they scroll away.
        lines.append("")
        lines += [paint(f"Warning: {warning}", "yellow") for warning in plan.warnings]
    return "\n".join(lines) + "\n"


def _change_lines(
    change: Change, paint: Painter, show: Callable[[Any], str] = show
) -> list[str]:
    symbol, colour = SYMBOL[change.action]
    note = f" ({change.note})" if change.note else ""
    origin = f" [{change.origin.value}]" if change.origin else ""
    ident = f" id={change.remote_id}" if change.remote_id else ""
    moved = f" (moved from {change.moved_from})" if change.moved_from else ""
    lines = [
        paint(f"  # {change.address} {VERB[change.action]}{note}{origin}", bold=True),
        visible(f"  # reason: {change.reason}"),
        paint(f"  {symbol} {change.address}{moved}{ident}", colour),
    ]
    width = max((len(field.name) for field in change.fields), default=0)
    for field in change.fields:
        name = field.name.ljust(width)
        shown = describe_field(change, field)  # times in the object's zone, moves, DST
        if change.action is Action.CREATE:
            lines.append(paint(f"      + {name} = {shown or show(field.after)}", "green"))
        elif field.after is None:
            shown = shown or f"{show(field.before)} → null"
            lines.append(paint(f"      - {name} = {shown}{_drift(change, field.name)}", "red"))
        else:
            shown = shown or f"{show(field.before)} → {show(field.after)}"
            lines.append(paint(f"      ~ {name} = {shown}{_drift(change, field.name)}", "yellow"))
    for field in change.ignored:
        lines.append(
            visible(f"      # {field.name}: remote {show(field.before)} ignored (ignore_changes)")
        )
    for call in change.requests:
        lines.append(visible(f"      {call.method} {call.path}"))
    return lines


def _drift(change: Change, name: str) -> str:
    """The mark of a field that reverts a remote edit (git did not change it since the base)."""
    return "   # drift: reverts a remote edit" if name in change.drift_fields else ""
