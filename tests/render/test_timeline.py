"""The timeline: what the plan moves, creates and cancels, as a Mermaid gantt chart whose every
line is checked against the gantt grammar (titles are user text: no statement, comment,
directive or HTML can be smuggled in through them)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from reconciler.model import Action, Address, Change, FieldChange, Plan
from reconciler.render.timeline import (
    LABEL_LENGTH,
    delta_label,
    mermaid_gantt,
    mermaid_label,
    round_ticks,
    timeline,
)
from tests.fixtures.repo import Repo, Run

# Statements the gantt lexer reads at the start of a line (case-insensitive), and the characters
# that end a task name or start a comment or directive.
KEYWORD = re.compile(
    r"^(gantt|dateformat|inclusiveenddates|topaxis|axisformat|tickinterval|includes|excludes|"
    r"todaymarker|weekday|weekend|title|accdescription|acctitle|accdescr|section|click|href|call|"
    r"vert|displaymode|\d{4}-\d{2}-\d{2})",
    re.IGNORECASE,
)
UNSAFE = set("#:;%<>&\"`{}[]\n\r")
WHEN = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"
TAGS = {"done", "active", "crit", "milestone"}


def gantt(markdown: str) -> dict[str, list[dict[str, str]]]:
    """The Mermaid block's tasks by section; fails on any line the gantt grammar would not read
    as the statement it is meant to be."""
    lines = markdown.splitlines()
    start = lines.index("```mermaid")
    end = lines.index("```", start)
    block = lines[start + 1 : end]
    assert block[0] == "gantt"
    sections: dict[str, list[dict[str, str]]] = {}
    current: list[dict[str, str]] | None = None
    ids: set[str] = set()
    for line in block[1:]:
        assert line.startswith("    ") and not line[4:].startswith(" "), line
        text = line[4:]
        if text.startswith("title "):
            assert not UNSAFE & set(text[6:]), line
        elif text.startswith("dateFormat "):
            assert text == "dateFormat YYYY-MM-DD HH:mm"
        elif text.startswith("axisFormat "):
            assert re.fullmatch(r"axisFormat [%A-Za-z :-]+", text), line
        elif text.startswith("section "):
            assert not UNSAFE & set(text[8:]), line
            current = sections.setdefault(text[8:], [])
        else:
            task = re.fullmatch(r"(?P<name>[^#:;%\n]+) :(?P<data>[^#;%\n]+)", text)
            assert task is not None and current is not None, line
            name = task["name"]
            assert not KEYWORD.match(name.strip()), line
            assert name[0] in "◦●" and not UNSAFE & set(name), line
            *tags, ident, begin, finish = task["data"].split(", ")
            assert set(tags) <= TAGS and tags, line
            assert re.fullmatch(r"[a-z]+\d+", ident) and ident not in ids, line
            ids.add(ident)
            assert re.fullmatch(WHEN, begin), line
            assert re.fullmatch(WHEN, finish) or finish == "0d", line
            assert (finish == "0d") == ("milestone" in tags), line
            current.append({"name": name[2:], "tags": ",".join(tags), "start": begin,
                            "end": finish, "side": "before" if name[0] == "◦" else "after"})
    return sections


SCHEDULE = """version: 1
sessions:
  - key: smith-deposition
    title: Deposition of J. Smith
    case: 2027-CV-0142
    start: {start}
    time_zone: America/New_York
    duration_hours: {hours}
    invites: [counsel@example.com]
events:
{events}"""

EVENT = """  - key: {key}
    title: {title}
    start: {start}
    end: {end}
    time_zone: America/New_York
"""


def schedule(repo: Repo, *, start: str, hours: float, events: list[tuple[str, str, str]]) -> None:
    text = "".join(
        EVENT.format(key=key, title=title, start=f"{day}T18:00:00-05:00",
                     end=f"{day}T21:00:00-05:00")
        for key, title, day in events
    )
    repo.write("schedule.yaml", SCHEDULE.format(start=start, hours=hours, events=text))


def test_moves_creations_and_cancellations_are_charted_before_and_after(repo: Repo, cli: Run):
    schedule(repo, start="2027-03-02T09:00", hours=2,
             events=[("gala", "Winter Gala", "2027-03-05")])
    cli("apply", repo.root, "--auto-approve")
    schedule(repo, start="2027-03-02T11:00", hours=3,
             events=[("dinner", "Harbour dinner", "2027-03-03")])
    markdown = cli("plan", repo.root, "--prune", "--format", "markdown").stdout

    assert markdown.splitlines()[3] == (
        "**1 session rescheduled, 1 event created, 1 deleted.**"
    )
    chart = gantt(markdown)
    assert "title Schedule changes, times in America/New_York" in markdown
    smith = "sessions.smith-deposition (Deposition of J. Smith)"  # the address, the title beside
    assert chart["Rescheduled, before and after"] == [
        {"name": smith, "tags": "done", "start": "2027-03-02 09:00",
         "end": "2027-03-02 11:00", "side": "before"},
        {"name": smith, "tags": "active", "start": "2027-03-02 11:00",
         "end": "2027-03-02 14:00", "side": "after"},
    ]
    assert chart["Created"] == [
        {"name": "events.dinner (Harbour dinner)", "tags": "active", "start": "2027-03-03 18:00",
         "end": "2027-03-03 21:00", "side": "after"},
    ]
    # A deletion carries only its start: a point in time, not an invented length.
    assert chart["Cancelled or deleted"] == [
        {"name": "events.gala (Winter Gala)", "tags": "crit,milestone",
         "start": "2027-03-05 18:00", "end": "0d",
         "side": "before"},
    ]


HOSTILE = [
    ("title-ix", "Title IX hearing"),
    ("click", "click call href"),
    ("dated", "2027-01-01 kickoff"),
    ("punctuation", "'a: b; c # d %% e'"),
    ("html", "'<img src=x onerror=alert(1)></details>'"),
    ("directive", "'%%{init: {\"theme\": \"dark\"}}%%'"),
    ("section", "section evil"),
    ("fence", "'``` done'"),
    ("script", "'Réunion 会議 <script>alert(1)</script>'"),
]


def test_titles_are_user_text_and_cannot_inject_statements_or_html(repo: Repo, cli: Run):
    schedule(repo, start="2027-03-02T09:00", hours=1,
             events=[(key, title, f"2027-03-{n + 10:02d}") for n, (key, title) in
                     enumerate(HOSTILE)])
    markdown = cli("plan", repo.root, "--format", "markdown").stdout
    chart = gantt(markdown)
    names = [task["name"] for task in chart["Created"]]
    assert len(names) == len(HOSTILE) + 1
    assert "events.title-ix (Title IX hearing)" in names
    assert "events.click (click call href)" in names
    assert "events.script (Réunion 会議 script alert(1) /script )" in names
    # Outside the chart, the titles stay inside the diff's code block: the only fences are the
    # chart's and the diff's, and no raw tag is outside a code block.
    assert [line for line in markdown.splitlines() if line.startswith("```")] == [
        "```mermaid", "```", "```diff", "```"]
    assert not any("<img" in line or "<script" in line for line in outside_code(markdown))


def outside_code(markdown: str) -> list[str]:
    """The lines outside fenced code blocks (where Markdown renders HTML)."""
    lines, fenced = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


@given(st.text())
def test_a_label_keeps_only_harmless_characters(text: str):
    label = mermaid_label(text)
    assert label and not UNSAFE & set(label)
    assert re.fullmatch(r"[\w .,()/+@'…-]+", label)
    assert len(label) <= LABEL_LENGTH


def create(n: int) -> Change:
    day = f"2027-04-{n % 28 + 1:02d}"
    return Change(
        address=Address("events", f"e{n}"), provider="prospero", action=Action.CREATE,
        reason="declared but not found remotely",
        fields=(FieldChange("title", None, f"Event {n}"),
                FieldChange("start", None, f"{day}T09:00:00Z"),
                FieldChange("end", None, f"{day}T10:00:00Z")),
    )


def test_a_big_plan_charts_the_first_changes_and_says_how_many_it_left_out():
    plan = Plan(changes=tuple(create(n) for n in range(45)), state_checksum="0")
    chart = timeline(plan, limit=30)
    assert (chart.charted, chart.left_out) == (30, 15)
    tasks = [line for line in mermaid_gantt(chart) if " :" in line]
    assert len(tasks) == 30
    starts = [line.split(", ")[-2] for line in tasks]
    assert starts == sorted(starts)  # the first ones in time
    assert chart.zone == "UTC"


def test_changes_that_move_nothing_in_time_are_not_charted():
    retitled = Change(address=Address("events", "gala"), provider="prospero",
                      action=Action.UPDATE, reason="title differs",
                      fields=(FieldChange("title", "Gala", "Winter Gala"),),
                      starts_at="2027-01-15T17:00:00Z")
    assert mermaid_gantt(timeline(Plan(changes=(retitled,), state_checksum="0"))) == []


NEW_YORK = ZoneInfo("America/New_York")


def ticks_over(first: str, last: str, most: int = 8) -> list[datetime]:
    """The ticks over a span when `most` labels of any step fit."""
    start = datetime.fromisoformat(first).replace(tzinfo=NEW_YORK)
    end = datetime.fromisoformat(last).replace(tzinfo=NEW_YORK)
    step, ticks = round_ticks(start, end, NEW_YORK, lambda _: most)
    assert 2 <= len(ticks) <= most, (step, ticks)
    assert all(start <= tick <= end for tick in ticks)
    return [tick.astimezone(NEW_YORK) for tick in ticks]


def test_ticks_fall_at_round_quarter_hours_on_a_short_span():
    ticks = ticks_over("2027-03-02T23:13", "2027-03-03T01:45")
    assert [f"{tick:%H:%M}" for tick in ticks] == ["23:30", "00:00", "00:30", "01:00", "01:30"]


def test_ticks_fall_on_round_hours_in_the_charts_zone_on_a_day():
    ticks = ticks_over("2027-03-02T07:41", "2027-03-03T06:02", most=5)
    assert all(tick.minute == 0 and tick.hour % 6 == 0 for tick in ticks)
    assert [f"{tick:%d %H}" for tick in ticks] == ["02 12", "02 18", "03 00", "03 06"]


def test_ticks_fall_at_midnight_or_on_mondays_over_days_and_weeks():
    days = ticks_over("2027-03-02T13:13", "2027-03-08T01:45")
    assert [f"{tick:%d %H:%M}" for tick in days] == [f"{d:02d} 00:00" for d in range(3, 9)]
    # Across the DST change (March 14) a midnight is still a midnight in New York.
    weeks = ticks_over("2027-03-02T13:13", "2027-04-20T01:45")
    assert all(f"{tick:%a %H:%M}" == "Mon 00:00" for tick in weeks)
    assert [tick.day for tick in weeks] == [8, 15, 22, 29, 5, 12, 19]


def test_ticks_fall_on_the_first_of_a_month_over_months():
    months = ticks_over("2027-01-17T13:13", "2027-08-09T01:45")
    assert [f"{tick:%m-%d %H:%M}" for tick in months] == [
        f"{m:02d}-01 00:00" for m in range(2, 9)]
    years = ticks_over("2025-01-17T13:13", "2026-11-09T01:45")
    assert [f"{tick:%Y-%m-%d}" for tick in years] == [
        "2025-04-01", "2025-07-01", "2025-10-01", "2026-01-01", "2026-04-01", "2026-07-01",
        "2026-10-01"]


def test_a_move_is_labelled_by_how_far_it_goes():
    at = datetime(2027, 3, 2, 9, tzinfo=NEW_YORK)
    assert delta_label(at, at + timedelta(minutes=30)) == "+30m"
    assert delta_label(at, at - timedelta(hours=2)) == "-2h"
    assert delta_label(at, at + timedelta(days=1, hours=3)) == "+1d 3h"
    assert delta_label(at, at + timedelta(days=2, minutes=5)) == "+2d 5m"
