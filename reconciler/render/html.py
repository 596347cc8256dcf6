"""The plan as one self-contained HTML page (`plan --format html`): open it, or attach it.

No script, no font, no image or style from anywhere else: the page carries its CSS and draws
the timeline as inline SVG, and its Content-Security-Policy forbids anything else, so it reads
the same offline, from a CI artifact or an e-mail. Every piece of user text (keys, titles,
values, reasons) is HTML-escaped. A big plan is bounded: the chart draws the first
`HTML_CHART_CHANGES` changes in time and the table lists the first `HTML_TABLE_CHANGES`, each
saying how many it left out (the JSON plan holds them all).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from html import escape

from reconciler import __version__
from reconciler.model import Action, Change, Plan
from reconciler.render.headline import headline, verb
from reconciler.render.safe import visible
from reconciler.render.timeline import (
    Bar,
    Section,
    Side,
    TickStep,
    Timeline,
    delta_label,
    left_out_note,
    round_ticks,
    timeline,
)
from reconciler.render.times import describe_field, time_columns, title_of, when, zone_label
from reconciler.render.values import (
    NO_CHANGES,
    drift_mark,
    duplicate_lines,
    origin_word,
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
figure { margin: 1rem 0; } figcaption { margin-top: .5rem; }
svg { display: block; width: 100%; height: auto; }
svg text { font: 12px system-ui, sans-serif; fill: #1f2328; }
svg .axis { stroke: #d1d9e0; }
svg .before { fill: #afb8c1; } svg .after { fill: #0969da; } svg .removed { fill: #cf222e; }
svg circle.before { fill: #fff; stroke: #8c959f; stroke-width: 2; }
svg line.move { stroke: #0969da; stroke-width: 1.5; } svg path.move { fill: #0969da; }
svg text.delta { fill: #0969da; font-weight: 600; }
"""

CHART_WIDTH = 960
LABEL_WIDTH = 300
ROW_HEIGHT = 22
AXIS_HEIGHT = 28
DELTA_ROOM = 90  # right of the plot, where a move's size is written beside its arrow
# Tick labels: an estimate of a character's width at the chart's 12px font, and the least
# space between two labels (a label that would come closer is dropped).
CHARACTER_WIDTH = 7.0
TICK_GAP = 12.0
_WIDEST = datetime(2027, 12, 31, 23, 59)  # its labels are as wide as any (two-digit everything)


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
        f"{headings}<th>origin</th><th>fields (before → after)</th><th>reason</th></tr></thead>",
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
        f'<td class="origin">{escape(origin_word(change))}</td>'
        f"<td><pre>{fields}</pre></td>"
        f"<td>{_text(reason)}</td></tr>"
    )


def _field_line(change: Change, index: int) -> str:
    field = change.fields[index]
    shown = describe_field(change, field)  # times in the object's zone, moves, DST
    name = field.name + drift_mark(change, field.name)
    if change.action is Action.CREATE:
        text = f"+ {name}: {shown or show(field.after)}"
    elif shown is not None:
        text = f"~ {name}: {shown}"
    else:
        text = f"~ {name}: {show(field.before)} → {show(field.after)}"
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
    width = CHART_WIDTH - LABEL_WIDTH - DELTA_ROOM

    def x(moment: datetime) -> float:
        return LABEL_WIDTH + width * ((moment - first) / span)

    height = AXIS_HEIGHT + ROW_HEIGHT * len(rows)
    # No fixed size: the viewBox scales to the page's width (CSS gives the height).
    svg = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" '
        f'viewBox="0 0 {CHART_WIDTH} {height}" role="img" '
        f'aria-label="{_text("Schedule changes, times in " + chart.zone_label)}">'
    ]
    svg += _axis(chart, first, first + span, x, height)
    for number, bars in enumerate(rows.values()):
        top = AXIS_HEIGHT + ROW_HEIGHT * number
        svg.append(f'<text x="0" y="{top + 15}"><title>{_text(bars[0].label)}</title>'
                   f"{_text(_short(bars[0].label))}</text>")
        for bar in bars:
            svg.append(_shape(bar, x(bar.start), x(bar.end) if bar.end else None, top, chart))
        svg += _move(bars, x, top)  # over the dots, so a short move's arrow still shows
    svg.append("</svg>")
    caption = (f"Times in {chart.zone_label}. Grey: before; blue: after (an arrow joins a move's "
               "before and after, its size beside it); red: cancelled or deleted.")
    note = left_out_note(chart, where="in the table")
    return [
        "<figure>",
        *svg,
        f"<figcaption class=\"note\">{_text(caption)}{' ' + _text(note) if note else ''}"
        "</figcaption>",
        "</figure>",
    ]


def tick_labels(
    ticks: Sequence[tuple[float, str]], *, left: float, right: float
) -> list[tuple[float, str]]:
    """The tick labels (centre x, text) that fit: each inside [left, right] and at least
    TICK_GAP pixels clear of the one kept before it; the others are dropped, the ends included."""
    kept: list[tuple[float, str]] = []
    for centre, text in ticks:
        half = _label_width(text) / 2
        if centre - half < left or centre + half > right:
            continue
        if kept and centre - half < kept[-1][0] + _label_width(kept[-1][1]) / 2 + TICK_GAP:
            continue
        kept.append((centre, text))
    return kept


def _label_width(text: str) -> float:
    return len(text) * CHARACTER_WIDTH


def _axis(chart: Timeline, first: datetime, last: datetime,
          x: Callable[[datetime], float], height: int) -> list[str]:
    """Grid lines at round times in the chart's zone, and the labels that fit."""
    room = CHART_WIDTH - LABEL_WIDTH - DELTA_ROOM

    def most(step: TickStep) -> int:
        return int(room // (_label_width(_WIDEST.strftime(step.label)) + TICK_GAP))

    step, ticks = round_ticks(first, last, chart.tz, most)
    lines = [f'<line class="axis" x1="{x(tick):.1f}" y1="{AXIS_HEIGHT - 6}" '
             f'x2="{x(tick):.1f}" y2="{height}"/>' for tick in ticks]
    labels = tick_labels([(x(tick), tick.astimezone(chart.tz).strftime(step.label))
                          for tick in ticks], left=LABEL_WIDTH, right=CHART_WIDTH)
    lines += [f'<text class="tick" x="{centre:.1f}" y="14" text-anchor="middle">'
              f"{_text(label)}</text>" for centre, label in labels]
    return lines


def _move(bars: list[Bar], x: Callable[[datetime], float], top: int) -> list[str]:
    """A move's arrow from where it starts before to where it starts after, with its size: a
    30-minute move on a month's chart is a few pixels, the label says how far it goes."""
    before = next((bar for bar in bars if bar.side is Side.BEFORE), None)
    after = next((bar for bar in bars if bar.side is Side.AFTER), None)
    if before is None or after is None or before.start == after.start:
        return []
    start, end, middle = x(before.start), x(after.start), top + ROW_HEIGHT / 2
    head = -5 if end >= start else 5  # the arrowhead points the way the object moves
    ends = [x(bar.end) for bar in bars if bar.end] + [start, end]
    label_at = max(ends) + 8
    return [
        f'<line class="move" x1="{start:.1f}" y1="{middle:.1f}" x2="{end:.1f}" y2="{middle:.1f}"/>',
        f'<path class="move" d="M{end:.1f} {middle:.1f} l{head} -4 l0 8 z"/>',
        f'<text class="delta" x="{label_at:.1f}" y="{top + 15}">'
        f"{delta_label(before.start, after.start)}</text>",
    ]


def _shape(bar: Bar, left: float, right: float | None, top: int, chart: Timeline) -> str:
    css = "removed" if bar.removed else bar.side.value
    start = bar.start.astimezone(chart.tz).strftime("%a %Y-%m-%d %H:%M")
    end = f" to {bar.end.astimezone(chart.tz):%H:%M}" if bar.end else ""
    side = "before" if bar.side is Side.BEFORE else "after"
    tip = f"<title>{_text(f'{bar.label} ({side}): {start}{end} {chart.zone_label}')}</title>"
    if right is None or right - left < 3:
        # The before is a ring and the after a dot inside it: both show where they overlap.
        middle = top + ROW_HEIGHT / 2
        radius = 6 if bar.side is Side.BEFORE else 4
        return (f'<circle class="{css}" cx="{left:.1f}" cy="{middle:.1f}" r="{radius}">'
                f"{tip}</circle>")
    # A move's before and after bars share the row: before in its upper half, after below.
    shared = bar.section in (Section.MOVED, Section.REPLACED)
    half = (ROW_HEIGHT - 6) / 2
    y = top + 3 + (half if shared and bar.side is Side.AFTER else 0)
    tall = half if shared else ROW_HEIGHT - 6
    return (f'<rect class="{css}" x="{left:.1f}" y="{y:.1f}" width="{right - left:.1f}" '
            f'height="{tall:.1f}" rx="2">{tip}</rect>')


def _short(label: str, length: int = 42) -> str:
    return label if len(label) <= length else label[: length - 1] + "…"
