"""The Markdown plan for pull-request comments and job summaries."""

from __future__ import annotations

from reconciler.model import Action, Plan
from reconciler.render.safe import visible_lines
from reconciler.render.times import describe_field, group_changes
from reconciler.render.values import NO_CHANGES, scope_lines, show, summary_line

# Finds the one PR comment this tool edits in place.
MARKER = "<!-- reconciler-plan -->"

ICON = {
    Action.CREATE: "🆕 create",
    Action.UPDATE: "✏️ update",
    Action.REPLACE: "♻️ replace",
    Action.CANCEL: "🚫 cancel",
    Action.DELETE: "🗑️ delete",
}


def render_markdown(plan: Plan, *, title: str = "reconciler plan") -> str:
    lines = [MARKER, f"### {title}", ""]
    for line in scope_lines(plan):
        lines.append(f"> ⚠️ {line}" if line.startswith("Duplicate") else f"> {line}")
    if plan.scope is not None or plan.duplicates:
        lines.append("")
    for warning in plan.warnings:
        lines.append(f"> ⚠️ {warning}")
    for skipped in plan.skipped:
        lines.append(f"> ⏭️ skipped `{skipped.address}`: {skipped.reason}")
    if plan.warnings or plan.skipped:
        lines.append("")
    if not plan.changes:
        lines.append(f"✅ {NO_CHANGES}")
        return visible_lines(lines) + "\n"
    lines.append(f"**{summary_line(plan)}**")
    lines.append("")
    series = [group for group in group_changes(plan.changes, plan.series_sizes) if group.series]
    for group in series:  # recurring series first, one line each
        lines.append(f"- 🔁 series `{group.series}`: {group.summary}")
    if series:
        lines.append("")
    lines.append("| | object | origin | fields | reason |")
    lines.append("|---|---|---|---|---|")
    for change in plan.changes:
        fields = ", ".join(
            f"`{field.name}`" + (" (drift)" if field.name in change.drift_fields else "")
            for field in change.fields
        ) or "—"
        origin = change.origin.value if change.origin else "—"
        reason = change.reason + (f" ({change.note})" if change.note else "")
        lines.append(
            f"| {ICON[change.action]} | `{change.address}` | {origin} | {fields} | {reason} |"
        )
    lines.append("")
    lines.append("<details><summary>Field changes</summary>")
    lines.append("")
    lines.append("```diff")
    for change in plan.changes:
        lines.append(f"# {change.address} ({change.action.value})")
        for field in change.fields:
            shown = describe_field(change, field)  # times in the object's zone, moves, DST
            if change.action is Action.CREATE:
                lines.append(f"+ {field.name}: {shown or show(field.after)}")
            elif shown is not None:
                lines.append(f"! {field.name}: {shown}")
            else:
                lines.append(f"- {field.name}: {show(field.before)}")
                lines.append(f"+ {field.name}: {show(field.after)}")
    lines.append("```")
    lines.append("</details>")
    # One line per row: a newline in a value would end a table row or a quote early.
    return visible_lines(lines) + "\n"
