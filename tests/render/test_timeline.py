"""The timeline: what the plan moves, creates and cancels, as a Mermaid gantt chart whose every
line is checked against the gantt grammar (titles are user text: no statement, comment,
directive or HTML can be smuggled in through them)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from reconciler.model import Action, Address, Change, FieldChange, Plan
from reconciler.render.timeline import LABEL_LENGTH, mermaid_gantt, mermaid_label, timeline
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
