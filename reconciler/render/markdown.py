"""The Markdown plan for pull-request comments and job summaries.

It reads top-down for a reviewer: the one-line summary ("3 sessions rescheduled, 1 cancelled"),
the counts, warnings, a timeline of what moves (Mermaid, which GitHub renders), the table of
changes and every field's before and after, values whole. A big plan folds its table and fields
into `<details>`, so the summary and the chart stay on screen; each row is one line, so a comment
cut to GitHub's limit loses whole rows, never half of one.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.findings import PolicyLevel
from reconciler.model import Action, Plan
from reconciler.render.headline import headline
from reconciler.render.safe import markdown_code, markdown_text, visible_lines
from reconciler.render.timeline import (
    MERMAID_CHANGES,
    Timeline,
    left_out_note,
    mermaid_gantt,
    timeline,
)
from reconciler.render.times import (
    describe_field,
    group_changes,
    time_columns,
    title_of,
    when,
    zone_label,
)
from reconciler.render.values import (
    NO_CHANGES,
    drift_mark,
    duplicate_lines,
    origin_word,
    scope_lines,
    show,
    summary_line,
)

# Finds the one PR comment this tool edits in place.
MARKER = "<!-- reconciler-plan -->"

ICON = {
    Action.CREATE: "🆕 create",
    Action.UPDATE: "✏️ update",
    Action.REPLACE: "♻️ replace",
    Action.CANCEL: "🚫 cancel",
    Action.DELETE: "🗑️ delete",
}

# More changes than this fold the table and the field changes; more notes than this fold them.
FOLD_CHANGES = 10
FOLD_NOTES = 5


def render_markdown(
    plan: Plan, *, title: str = "reconciler plan", review_zones: Sequence[str] = ()
) -> str:
    """The plan in Markdown; each of `review_zones` adds a column of the changes' times."""
    lines = [MARKER, f"### {title}", ""]
    if plan.changes:
        lines += [f"**{headline(plan)}**", "", summary_line(plan), ""]
    scope = [f"> {markdown_text(line)}" for line in scope_lines(plan)]
    lines += [*scope, ""] if scope else []
    lines += _findings(plan)
    lines += _notes(plan)
    lines += _conflicts(plan)
    if not plan.changes:
        lines.append(f"✅ {NO_CHANGES}")
        return visible_lines(lines) + "\n"
    lines += _series(plan)
    chart = timeline(plan, limit=MERMAID_CHANGES)
    lines += _timeline(chart)
    big = len(plan.changes) > FOLD_CHANGES
    if big:
        lines += [f"<details><summary>All {len(plan.changes):,} changes</summary>", ""]
    zones = time_columns(chart.table_zone(plan.changes), review_zones)
    headings = ["time (its own zone)", *(f"time ({zone_label(zone)})" for zone in zones[1:])]
    lines.append(f"| | object | {' | '.join(markdown_text(h) for h in headings)} "
                 "| origin | fields | reason |")
    lines.append("|---|---|" + "---|" * len(zones) + "---|---|---|")
    for change in plan.changes:
        fields = ", ".join(
            markdown_code(field.name) + drift_mark(change, field.name) for field in change.fields
        ) or "—"
        origin = origin_word(change)
        reason = markdown_text(change.reason + (f" ({change.note})" if change.note else ""))
        moved = (f" (moved from {markdown_code(str(change.moved_from))})"
                 if change.moved_from else "")
        named = title_of(change)
        label = markdown_code(str(change.address)) + (f" ({markdown_text(named)})" if named else "")
        times = " | ".join(markdown_text(when(change, zone)) or "—" for zone in zones)
        lines.append(
            f"| {ICON[change.action]} | {label}{moved} | {times} | {origin} | {fields} | {reason} |"
        )
    lines.append("")
    if big:
        lines += ["</details>", ""]
    lines.append(f"<details{'' if big else ' open'}><summary>Field changes</summary>")
    lines.append("")
    lines.append("```diff")
    for change in plan.changes:
        moved = f", moved from {change.moved_from}" if change.moved_from else ""
        lines.append(f"# {change.address} ({change.action.value}{moved})")
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


def _findings(plan: Plan) -> list[str]:
    """What the team's policies found: never folded, a mandatory one refuses apply."""
    lines = [
        f"> {'⛔' if finding.level is PolicyLevel.MANDATORY else '⚠️'} **{finding.level.value}** "
        f"policy {markdown_code(finding.rule)}"
        + (f" on {markdown_code(finding.address)}" if finding.address else "")
        + f": {markdown_text(finding.message)}"
        for finding in plan.findings
    ]
    return [*lines, ""] if lines else []


def _notes(plan: Plan) -> list[str]:
    """Warnings and what the rails held back: quoted, folded when there are many."""
    duplicates = duplicate_lines(plan)
    notes = [f"> ⚠️ {markdown_text(line)}" for line in duplicates]
    notes += [f"> ⚠️ {markdown_text(warning)}" for warning in plan.warnings]
    notes += [
        f"> ⏭️ skipped {markdown_code(str(skipped.address))}: {markdown_text(skipped.reason)}"
        for skipped in plan.skipped
    ]
    if not notes:
        return []
    if len(notes) <= FOLD_NOTES:
        return [*notes, ""]
    counted = [
        f"{len(plan.warnings):,} warning{'s' if len(plan.warnings) != 1 else ''}"
        if plan.warnings else "",
        f"{len(plan.skipped):,} held back" if plan.skipped else "",
        f"{len(duplicates):,} duplicate{'s' if len(duplicates) != 1 else ''}"
        if duplicates else "",
    ]
    summary = ", ".join(part for part in counted if part)
    return [f"<details><summary>⚠️ {summary}</summary>", "", *notes, "", "</details>", ""]


def _conflicts(plan: Plan) -> list[str]:
    """The overlaps the plan introduces or resolves: the count always on screen, the list
    folded when it is long."""
    conflicts = plan.conflicts
    if not conflicts:
        return []
    listed = [
        *(f"- 🔴 introduces {markdown_text(str(o))}" for o in conflicts.introduced),
        *(f"- 🟢 resolves {markdown_text(str(o))}" for o in conflicts.resolved),
    ]
    summary = f"**Conflicts:** the plan {conflicts.summary()}."
    if len(listed) <= FOLD_NOTES:
        return [summary, "", *listed, ""]
    return [summary, "", "<details><summary>Each overlap</summary>", "", *listed, "",
            "</details>", ""]


def _series(plan: Plan) -> list[str]:
    """Recurring series first, one line each (folded when there are many)."""
    series = [
        f"- 🔁 series {markdown_code(group.series)}: {group.summary}"
        for group in group_changes(plan.changes, plan.series_sizes)
        if group.series
    ]
    if len(series) <= FOLD_NOTES:
        return [*series, ""] if series else []
    return [f"<details><summary>🔁 {len(series):,} recurring series</summary>", "", *series, "",
            "</details>", ""]


def _timeline(chart: Timeline) -> list[str]:
    lines = mermaid_gantt(chart)
    if not lines:
        return []
    note = left_out_note(chart, where="in the table below")
    return [*lines, *([f"<sub>{note}</sub>"] if note else []), ""]
