"""Drift reports in text, JSON and Markdown (exit 0 in sync, 2 drift)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from reconciler import __version__
from reconciler.model import FieldChange
from reconciler.render.safe import markdown_code, markdown_text, visible_lines
from reconciler.render.values import show
from reconciler.reports import Direction, DriftItem, DriftReport

MARKER = "<!-- reconciler-drift -->"

HEADLINE = {
    "drifted": "changed remotely",
    "missing": "declared but missing remotely",
    "undeclared": "managed remotely but no longer declared",
    "ignored": "differs only in ignored fields",
    "duplicate": "a second live object carrying this key (a duplicate: apply removes it and "
    "keeps the oldest)",
}


# A drifted field, by the side that moved (git tells which).
MOVED = {
    Direction.REMOTE: "changed remotely",
    Direction.GIT: "edited in git, not applied yet",
    Direction.UNKNOWN: "differs",
}


def headline(item: DriftItem) -> str:
    """What happened to the object: for a drifted one, each side that moved."""
    if item.status != "drifted":
        return HEADLINE[item.status]
    moved = item.moved()
    return "; ".join(label for direction, label in MOVED.items() if direction in moved)


def summary(report: DriftReport) -> str:
    if report.in_sync:
        return "In sync: the remote schedule matches the configuration."
    duplicates = report.count("duplicate")
    edited, unknown = report.count_moved(Direction.GIT), report.count_moved(Direction.UNKNOWN)
    return (
        f"Drift: {report.count_moved(Direction.REMOTE)} changed remotely, "
        + (f"{edited} edited in git and not applied yet, " if edited else "")
        + (f"{unknown} differ{'s' if unknown == 1 else ''} (no git record), " if unknown else "")
        + f"{report.count('missing')} missing, {report.count('undeclared')} no longer declared"
        + (f", {duplicates} duplicate{'s' if duplicates != 1 else ''}." if duplicates else ".")
    )


def _item_lines(item: DriftItem, show: Callable[[Any], str] = show) -> list[str]:
    when = f" (last updated {item.updated_at})" if item.updated_at else ""
    where = f" [{item.location}]" if item.location else ""
    lines = [f"{item.address}: {headline(item)}{when}{where}"]
    mixed = len(item.moved()) > 1
    for field in item.fields:
        # Only an object whose fields moved apart names the side per field.
        side = f" ({MOVED[item.direction(field.name)]})" if mixed else ""
        lines.append(
            f"    {field.name}: remote {show(field.before)}, declared {show(field.after)}{side}"
        )
        lines.extend(f"      {detail}" for detail in nested_differences(field, show))
    for field in item.ignored:
        lines.append(
            f"    {field.name}: remote {show(field.before)}, declared {show(field.after)} "
            "(ignored: ignore_changes)"
        )
    return lines


def nested_differences(field: FieldChange, show: Callable[[Any], str] = show) -> list[str]:
    """For a mapping or list field, which parts differ (deepdiff, order-insensitive)."""
    if not (
        isinstance(field.before, dict | list) and isinstance(field.after, dict | list)
    ):
        return []
    from deepdiff import DeepDiff  # here: only a drift report with nested differences needs it
    from deepdiff.helper import NotPresent

    tree = DeepDiff(field.before, field.after, ignore_order=True, view="tree")
    lines = []
    for items in tree.values():
        for item in items:
            where = field.name + "".join(
                f"[{part}]" if isinstance(part, int) else f".{part}"
                for part in item.path(output_format="list")
            )
            before = "absent" if isinstance(item.t1, NotPresent) else show(item.t1)
            after = "absent" if isinstance(item.t2, NotPresent) else show(item.t2)
            lines.append(f"{where}: remote {before}, declared {after}")
    return sorted(lines)


def render_drift_text(report: DriftReport, *, max_value: int | None = None) -> str:
    """The drift report for a terminal; `max_value` shortens long values there."""
    lines: list[str] = []
    for item in report.items:
        lines.extend(_item_lines(item, partial(show, limit=max_value)))
    lines += [f"Note: {note}" for note in report.notes]
    lines.append(summary(report))
    return visible_lines(lines) + "\n"


def render_drift_markdown(report: DriftReport) -> str:
    lines = [MARKER, "### reconciler drift", "", f"**{summary(report)}**", ""]
    if report.notes:
        lines += [*(f"> {markdown_text(note)}" for note in report.notes), ""]
    if report.items:
        lines.append("| object | status | field | remote | declared | last updated |")
        lines.append("|---|---|---|---|---|---|")
        for item in report.items:
            rows: list[FieldChange | None] = [*item.fields, *item.ignored] or [None]
            # Cells hold remote text (a title edited in a provider's UI): a `|` or a backtick
            # in it must not split the row or end its code span, as in the plan's table.
            address = markdown_code(str(item.address))
            updated = markdown_text(item.updated_at) if item.updated_at else "—"
            for field in rows:
                if field is None:
                    lines.append(f"| {address} | {headline(item)} | — | — | — | {updated} |")
                    continue
                note = " (ignored)" if field in item.ignored else ""
                drifted = item.status == "drifted" and field not in item.ignored
                status = MOVED[item.direction(field.name)] if drifted else headline(item)
                lines.append(
                    f"| {address} | {status} | {markdown_code(field.name)}{note} | "
                    f"{markdown_code(show(field.before))} | {markdown_code(show(field.after))} | "
                    f"{updated} |"
                )
    return visible_lines(lines) + "\n"


def drift_document(report: DriftReport, *, source: dict[str, Any]) -> dict[str, Any]:
    return {
        "format_version": 1,
        "reconciler_version": __version__,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": source,
        "in_sync": report.in_sync,
        "has_changes": not report.in_sync,
        # The plan's counts (what an apply would do to revert the drift), for tools that read
        # both documents alike, and the drift's own counts.
        "summary": {
            "create": report.count("missing"),
            "update": report.count("drifted"),
            "replace": 0,
            "delete": report.count("undeclared") + report.count("duplicate"),
        },
        "drift": {
            status: report.count(status)
            for status in ("drifted", "missing", "undeclared", "ignored", "duplicate")
        },
        # Drifted objects by the side that moved (an object whose fields moved apart counts in
        # each), and why git could not tell, where it could not.
        "directions": {direction.value: report.count_moved(direction) for direction in Direction},
        "notes": list(report.notes),
        "items": [item.to_json() for item in report.items],
    }
