"""The plan as one self-contained HTML page (`plan --format html`): open it, or attach it.

No script, no font, no image or style from anywhere else: the page carries its CSS and draws
the timeline as inline SVG, and its Content-Security-Policy forbids anything else, so it reads
the same offline, from a CI artifact or an e-mail. Every piece of user text (keys, titles,
values, reasons) is HTML-escaped. A big plan is bounded: the chart draws the first
`HTML_CHART_CHANGES` changes in time and the table lists the first `HTML_TABLE_CHANGES`, each
saying how many it left out (the JSON plan holds them all).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from html import escape

from reconciler import __version__
from reconciler.model import Action, Change, Plan
from reconciler.render.headline import headline, verb
from reconciler.render.safe import visible
from reconciler.render.timeline import Bar, Side, Timeline, left_out_note, timeline
from reconciler.render.times import describe_field, time_columns, title_of, when, zone_label
from reconciler.render.values import (
    NO_CHANGES,
    duplicate_lines,
    scope_lines,
    show,
    summary_line,
)

HTML_CHART_CHANGES = 200
HTML_TABLE_CHANGES = 2_000

# The page may use its own inline styles and nothing else: no script, no request anywhere.
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem;
       color: #1f2328; }
h1 { font-size: 1.4rem; margin-bottom: .25rem; }
.headline { font-size: 1.15rem; font-weight: 600; }
.counts, .note { color: #59636e; }
ul.warnings li { color: #7d4e00; }
.introduced { color: #cf222e; } .resolved { color: #1a7f37; }
table { border-collapse: collapse; width: 100%; margin-top: 1rem; }
th, td { border-bottom: 1px solid #d1d9e0; padding: .35rem .5rem; text-align: left;
         vertical-align: top; }
code, pre { font: 13px/1.4 ui-monospace, monospace; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
.create { color: #1a7f37; } .update { color: #9a6700; } .replace { color: #8250df; }
.cancel, .delete { color: #cf222e; }
svg { display: block; margin-top: 1rem; }
svg text { font: 12px system-ui, sans-serif; fill: #1f2328; }
svg .axis { stroke: #d1d9e0; }
svg .before { fill: #afb8c1; } svg .after { fill: #0969da; } svg .removed { fill: #cf222e; }
"""

CHART_WIDTH = 960
LABEL_WIDTH = 300
ROW_HEIGHT = 22
AXIS_HEIGHT = 28
TICKS = 6


def render_html(
    plan: Plan, *, title: str = "reconciler plan", review_zones: Sequence[str] = ()
) -> str:
    """The plan as a page; each of `review_zones` adds a column of the changes' times."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{_text(title)}</h1>",
    ]
    if plan.changes:
        parts.append(f'<p class="headline">{_text(headline(plan))}</p>')
        parts.append(f'<p class="counts">{_text(summary_line(plan))}</p>')
    parts += [f'<p class="note">{_text(line)}</p>' for line in scope_lines(plan)]
    notes = [f"<li>{_text(line)}</li>" for line in duplicate_lines(plan)]
    notes += [f"<li>{_text(warning)}</li>" for warning in plan.warnings]
    notes += [f"<li>skipped <code>{_text(str(s.address))}</code>: {_text(s.reason)}</li>"
              for s in plan.skipped]
    if notes:
        parts += ['<ul class="warnings">', *notes, "</ul>"]
    parts += _conflicts(plan)
    if not plan.changes:
        parts.append(f"<p>{_text(NO_CHANGES)}</p>")
    else:
        chart = timeline(plan, limit=HTML_CHART_CHANGES)
        parts += _chart(chart)
        parts += _table(plan, time_columns(chart.table_zone(plan.changes), review_zones))
    parts.append(f'<p class="note">reconciler {escape(__version__)}</p>')
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _conflicts(plan: Plan) -> list[str]:
    """The overlaps the plan introduces (red) and resolves (green), one per line."""
    conflicts = plan.conflicts
    if not conflicts:
        return []
    rows = [f'<li class="introduced">introduces {_text(str(o))}</li>' for o in conflicts.introduced]
    rows += [f'<li class="resolved">resolves {_text(str(o))}</li>' for o in conflicts.resolved]
    summary = f"Conflicts: the plan {conflicts.summary()}."
    return [f'<p class="conflicts"><strong>{_text(summary)}</strong></p>', "<ul>", *rows, "</ul>"]


def _text(text: str) -> str:
    """User text for the page: one line (control characters shown), HTML-escaped."""
    return escape(visible(text), quote=True)


# -- the table -------------------------------------------------------------------------------------


def _table(plan: Plan, zones: list[str | None]) -> list[str]:
    shown = plan.changes[:HTML_TABLE_CHANGES]
    headings = "".join(f"<th>time ({_text(zone_label(zone))})</th>" for zone in zones[1:])
    rows = [
        "<table>",
        "<thead><tr><th>change</th><th>object</th><th>time (its own zone)</th>"
        f"{headings}<th>fields (before → after)</th><th>reason</th></tr></thead>",
        "<tbody>",
    ]
    rows += [_row(change, zones) for change in shown]
    rows += ["</tbody>", "</table>"]
    left_out = len(plan.changes) - len(shown)
    if left_out:
        rows.append(
            f'<p class="note">The table lists the first {len(shown):,} of '
            f"{len(plan.changes):,} changes; the other {left_out:,} are in the JSON plan "
            "(<code>--format json</code>).</p>"
        )
    return rows


def _row(change: Change, zones: list[str | None]) -> str:
    action = change.action.value
    fields = "\n".join(_field_line(change, index) for index in range(len(change.fields)))
    reason = change.reason + (f" ({change.note})" if change.note else "")
    moved = (f" (moved from <code>{_text(str(change.moved_from))}</code>)"
             if change.moved_from else "")
    named = title_of(change)
    label = f"<code>{_text(str(change.address))}</code>" + (f" ({_text(named)})" if named else "")
    times = "".join(f"<td>{_text(when(change, zone)) or '—'}</td>" for zone in zones)
    return (
        f'<tr><td class="{action}">{escape(verb(change))}</td>'
        f"<td>{label}{moved}</td>{times}"
        f"<td><pre>{fields}</pre></td>"
        f"<td>{_text(reason)}</td></tr>"
    )


def _field_line(change: Change, index: int) -> str:
    field = change.fields[index]
    shown = describe_field(change, field)  # times in the object's zone, moves, DST
    if change.action is Action.CREATE:
        text = f"+ {field.name}: {shown or show(field.after)}"
    elif shown is not None:
        text = f"~ {field.name}: {shown}"
    else:
        text = f"~ {field.name}: {show(field.before)} → {show(field.after)}"
    return _text(text)


# -- the chart -------------------------------------------------------------------------------------


def _chart(chart: Timeline) -> list[str]:
    if not chart.bars:
        return []
    rows: dict[str, list[Bar]] = {}
    for bar in chart.bars:
        rows.setdefault(str(bar.change.address), []).append(bar)
    first = min(bar.start for bar in chart.bars)
    last = max(bar.end or bar.start for bar in chart.bars)
    span = max(last - first, timedelta(hours=1))
    first -= span / 50  # a margin, so no point sits on the edge
    span += span / 25
    width = CHART_WIDTH - LABEL_WIDTH

    def x(moment: datetime) -> float:
        return LABEL_WIDTH + width * ((moment - first) / span)

    height = AXIS_HEIGHT + ROW_HEIGHT * len(rows)
    svg = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" height="{height}" '
        f'viewBox="0 0 {CHART_WIDTH} {height}" role="img" '
        f'aria-label="{_text("Schedule changes, times in " + chart.zone_label)}">'
    ]
    for tick in range(TICKS + 1):
        moment = first + span * tick / TICKS
        left = x(moment)
        svg.append(f'<line class="axis" x1="{left:.1f}" y1="{AXIS_HEIGHT - 6}" '
                   f'x2="{left:.1f}" y2="{height}"/>')
        label = moment.astimezone(chart.tz).strftime("%Y-%m-%d %H:%M")
        anchor = "start" if tick == 0 else "end" if tick == TICKS else "middle"
        svg.append(f'<text x="{left:.1f}" y="14" text-anchor="{anchor}">{label}</text>')
    for number, bars in enumerate(rows.values()):
        top = AXIS_HEIGHT + ROW_HEIGHT * number
        svg.append(f'<text x="0" y="{top + 15}"><title>{_text(bars[0].label)}</title>'
                   f"{_text(_short(bars[0].label))}</text>")
        for bar in bars:
            svg.append(_shape(bar, x(bar.start), x(bar.end) if bar.end else None, top, chart))
    svg.append("</svg>")
    caption = f"Times in {chart.zone_label}. Grey: before; blue: after; red: cancelled or deleted."
    note = left_out_note(chart, where="in the table")
    return [
        "<figure>",
        *svg,
        f"<figcaption class=\"note\">{_text(caption)}{' ' + _text(note) if note else ''}"
        "</figcaption>",
        "</figure>",
    ]


def _shape(bar: Bar, left: float, right: float | None, top: int, chart: Timeline) -> str:
    css = "removed" if bar.removed else bar.side.value
    start = bar.start.astimezone(chart.tz).strftime("%a %Y-%m-%d %H:%M")
    end = f" to {bar.end.astimezone(chart.tz):%H:%M}" if bar.end else ""
    side = "before" if bar.side is Side.BEFORE else "after"
    tip = f"<title>{_text(f'{bar.label} ({side}): {start}{end} {chart.zone_label}')}</title>"
    if right is None or right - left < 3:
        middle = top + ROW_HEIGHT / 2
        return (f'<circle class="{css}" cx="{left:.1f}" cy="{middle:.1f}" r="5">{tip}</circle>')
    return (f'<rect class="{css}" x="{left:.1f}" y="{top + 4}" width="{right - left:.1f}" '
            f'height="{ROW_HEIGHT - 8}" rx="3">{tip}</rect>')


def _short(label: str, length: int = 42) -> str:
    return label if len(label) <= length else label[: length - 1] + "…"
