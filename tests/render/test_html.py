"""`plan --format html`: one self-contained page, parsed in every run (html.parser) and opened in
a real headless browser where one is installed, which also takes the documentation's screenshot
through its script."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

import httpx
import pytest
from PIL import Image

from reconciler.model import Action, Address, Change, Duplicate, FieldChange, Plan, ScopeReport
from reconciler.render import render_text
from reconciler.render.html import (
    CHARACTER_WIDTH,
    HTML_TABLE_CHANGES,
    TICK_GAP,
    render_html,
    tick_labels,
)
from scripts import screenshot_plan
from tests.fixtures.repo import Repo, Run

VOID = {"meta", "br", "hr", "img", "input", "link"}
# Elements and attributes through which a page runs code or reaches elsewhere.
FETCHING = {"script", "link", "img", "iframe", "object", "embed", "audio", "video", "source",
            "base", "form", "image", "use", "foreignobject"}
PROSPERO_TOKEN = {"Authorization": "Bearer sandbox-prospero-token"}
HOSTILE = "<script>alert('x')</script> & \"quoted\" <img src=x onerror=alert(1)>"


class Page(HTMLParser):
    """The page's elements, text and nesting, failing on a tag closed out of order."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.open: list[str] = []
        # Each SVG <text>: its attributes and what it says.
        self.labels: list[tuple[dict[str, str | None], str]] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, (tag, self.open[-5:])
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.open and self.open[-1] == "text":
            attrs = next(attrs for tag, attrs in reversed(self.tags) if tag == "text")
            self.labels.append((attrs, data))

    def of_class(self, tag: str, css: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag and attrs.get("class") == css]

    def count(self, tag: str) -> int:
        return sum(1 for name, _ in self.tags if name == tag)


def check_self_contained(page: Page) -> None:
    assert not page.open, page.open
    assert not {tag for tag, _ in page.tags} & FETCHING
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in ("src", "href", "xlink:href", "action", "srcset"):
                raise AssertionError(f"{tag} {name}={value}")
            if value and "://" in value:
                assert (tag, name, value) == ("svg", "xmlns", "http://www.w3.org/2000/svg")
    policy = [attrs["content"] for tag, attrs in page.tags
              if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"]
    assert policy and policy[0] and policy[0].startswith("default-src 'none'")
    assert "url(" not in "".join(page.text)


EVENTS = """version: 1
events:
  - key: gala
    title: {title}
    start: 2027-01-15T18:00:00+01:00
    end: 2027-01-15T23:00:00+01:00
    time_zone: Europe/Copenhagen
  - key: dinner
    title: Harbour dinner
    start: 2027-01-16T19:00:00+01:00
    end: 2027-01-16T22:00:00+01:00
    time_zone: Europe/Copenhagen
"""


def hostile_page(repo: Repo, cli: Run) -> str:
    quoted = HOSTILE.replace("'", "''")
    repo.write("events.yaml", EVENTS.format(title=f"'{quoted}'"))
    return cli("plan", repo.root, "--format", "html").stdout


def test_the_page_parses_carries_everything_and_escapes_user_text(repo: Repo, cli: Run):
    page = Page(hostile_page(repo, cli))
    check_self_contained(page)
    text = "".join(page.text)
    assert "2 events created." in text
    assert HOSTILE in text  # shown as text, never as markup
    assert page.count("tr") == 1 + 2  # the header and one row per change
    assert page.count("svg") == 1 and page.count("rect") == 2  # two bars, times in Copenhagen
    assert "Times in Europe/Copenhagen" in text


def test_a_big_plan_lists_a_bounded_table_and_says_what_it_left_out():
    changes = tuple(
        Change(address=Address("events", f"e{n}"), provider="prospero", action=Action.CREATE,
               reason="declared but not found remotely",
               fields=(FieldChange("title", None, f"Event {n}"),
                       FieldChange("start", None, f"2027-05-{n % 28 + 1:02d}T09:00:00Z")))
        for n in range(HTML_TABLE_CHANGES + 500)
    )
    page = Page(render_html(Plan(changes=changes, state_checksum="0")))
    check_self_contained(page)
    text = "".join(page.text)
    assert page.count("tr") == 1 + HTML_TABLE_CHANGES
    assert "the other 500 are in the JSON plan" in text
    assert "the other 2,300 are in the table" in text  # the chart draws the first 200


def test_the_page_names_the_scope_and_the_duplicates_as_the_text_plan_does():
    duplicate = Duplicate(address=Address("events", "gala"), kept="ev_1", extras=("ev_2",))
    removal = Change(address=Address("events", "gala#ev_2"), provider="prospero",
                     action=Action.DELETE, reason="a duplicate of events.gala")
    plan = Plan(changes=(removal,), state_checksum="0", duplicates=(duplicate,),
                scope=ScopeReport(name="litigation/east", origin="providers.stack at p.yaml:2:3",
                                  others={"events": {"litigation/west": 4}}))
    page = Page(render_html(plan))
    check_self_contained(page)
    text = "".join(page.text)
    header = render_text(plan).splitlines()[:3]
    assert header == [
        "Scope: litigation/east (providers.stack at p.yaml:2:3)",
        "Left alone, of other scopes: 4 events (litigation/west: 4).",
        "Duplicate: 2 live objects carry the key events.gala in this scope (ids ev_1, ev_2); the "
        "oldest, ev_1, is kept and the others are removed.",
    ]
    for line in header:
        assert line in text


class Table(HTMLParser):
    """The page's table of changes: each row's cells by their headings."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[str] = []
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("th", "td"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self.cell is not None:
            (self.headings if tag == "th" else self.rows[-1]).append("".join(self.cell))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)

    def by_object(self) -> dict[str, dict[str, str]]:
        """Each change's cells by heading, keyed by its address (the object cell's first word)."""
        cells = [dict(zip(self.headings, row, strict=True)) for row in self.rows if row]
        return {row["object"].split()[0]: row for row in cells}


def markdown_origins(markdown: str) -> dict[str, str]:
    """The Markdown table's origin column, by address."""
    lines = [line.strip("|").split("|") for line in markdown.splitlines() if line.startswith("| ")]
    headings = [cell.strip() for cell in lines[0]]
    rows = [dict(zip(headings, (cell.strip() for cell in line), strict=True)) for line in lines[1:]]
    return {row["object"].split("`")[1]: row["origin"] for row in rows}


def test_the_origin_column_says_config_or_drift_as_the_markdown_plan_does(
    repo: Repo, cli: Run, http: httpx.Client
):
    events = repo.write("events.yaml", EVENTS.format(title="Gala"))
    repo.commit_all("base")
    cli("apply", repo.root, "--auto-approve")
    # This change moves the dinner; meanwhile someone moves the gala in Prospero itself.
    events.write_text(EVENTS.format(title="Gala").replace("T19:00", "T20:00"), encoding="utf-8")
    listed = http.get("/prospero/events", headers=PROSPERO_TOKEN).json()["events"]
    [gala] = [event for event in listed if event["title"] == "Gala"]
    moved_away = http.patch(f"/prospero/events/{gala['id']}", headers=PROSPERO_TOKEN,
                            json={"start": "2027-01-15T17:30:00Z", "end": "2027-01-15T22:30:00Z"})
    assert moved_away.status_code == 200, moved_away.text

    page = cli("plan", repo.root, "--base-ref", "HEAD", "--format", "html").stdout
    check_self_contained(Page(page))
    table = Table(page)
    assert table.headings[:4] == ["change", "object", "time (its own zone)", "origin"]
    rows = table.by_object()
    assert {address: row["origin"] for address, row in rows.items()} == {
        "events.gala": "drift", "events.dinner": "config"}
    # The same words as the Markdown plan's column, and the same mark on a drifted field.
    markdown = cli("plan", repo.root, "--base-ref", "HEAD", "--format", "markdown").stdout
    assert markdown_origins(markdown) == {"events.gala": "drift", "events.dinner": "config"}
    assert "~ start (drift): " in rows["events.gala"]["fields (before → after)"]
    assert "~ start: " in rows["events.dinner"]["fields (before → after)"]

    # Without a base ref the origin is not known, and the column says so.
    unknown = Table(cli("plan", repo.root, "--format", "html").stdout).by_object()
    assert {row["origin"] for row in unknown.values()} == {"—"}


def moved(key: str, before: str, after: str) -> Change:
    return Change(address=Address("events", key), provider="prospero", action=Action.UPDATE,
                  reason="start differs", time_zone="America/New_York",
                  fields=(FieldChange("start", before, after),))


def created(key: str, start: str) -> Change:
    return Change(address=Address("events", key), provider="prospero", action=Action.CREATE,
                  reason="declared but not found remotely", time_zone="America/New_York",
                  fields=(FieldChange("title", None, key), FieldChange("start", None, start)))


def chart_page(*changes: Change) -> Page:
    page = Page(render_html(Plan(changes=changes, state_checksum="0")))
    check_self_contained(page)
    return page


def tick_texts(page: Page) -> list[tuple[float, str]]:
    return [(float(attrs["x"] or 0), text) for attrs, text in page.labels
            if attrs.get("class") == "tick"]


def test_a_30_minute_move_on_a_weeks_chart_gets_an_arrow_and_its_size():
    page = chart_page(
        moved("gala", "2027-03-02T14:00:00Z", "2027-03-02T14:30:00Z"),
        moved("dinner", "2027-03-09T23:00:00Z", "2027-03-08T21:00:00Z"),
        created("launch", "2027-03-05T15:00:00Z"),
    )
    arrows = page.of_class("line", "move")
    assert len(arrows) == 2  # one per move; a creation has none
    # The gala's arrow goes right, a few pixels, on the gala's row: the size says how far.
    gala = arrows[0]
    assert 0 < float(gala["x2"] or 0) - float(gala["x1"] or 0) < 10
    assert gala["y1"] == gala["y2"]
    deltas = [text for attrs, text in page.labels if attrs.get("class") == "delta"]
    assert deltas == ["+30m", "-1d 2h"]
    # Before and after share one row per object: three objects, three row labels.
    rows = [text for attrs, text in page.labels if attrs.get("x") == "0"]
    assert len(rows) == 3


def test_the_chart_scales_to_the_page_with_no_fixed_width():
    page = chart_page(moved("gala", "2027-03-02T14:00:00Z", "2027-03-02T14:30:00Z"))
    [svg] = [attrs for tag, attrs in page.tags if tag == "svg"]
    assert svg["viewbox"] and svg["viewbox"].startswith("0 0 ")
    assert svg.get("width") == "100%" and "height" not in svg


SPANS = [
    # (a move's before and after, UTC; the ticks' labels at New York's round times)
    ("2027-03-02T04:13:00Z", "2027-03-02T05:45:00Z", r"Mar 0[12] (23|00|01):(00|15|30|45)"),
    ("2027-03-02T04:13:00Z", "2027-03-03T06:45:00Z", r"Mar 0[1-3] (00|06|12|18):00"),
    ("2027-03-02T04:13:00Z", "2027-03-09T06:45:00Z", r"Mar 0\d"),
    ("2027-01-17T04:13:00Z", "2027-09-02T06:45:00Z", r"(Feb|Mar|Apr|May|Jun|Jul|Aug|Sep) 2027"),
]


@pytest.mark.parametrize(("before", "after", "label"), SPANS)
def test_ticks_are_round_times_and_their_labels_never_collide(before: str, after: str, label: str):
    ticks = tick_texts(chart_page(moved("gala", before, after)))
    assert len(ticks) >= 2
    assert all(re.fullmatch(label, text) for _, text in ticks), ticks
    gaps = [b - a for (a, _), (b, _) in pairwise(ticks)]
    widths = max(len(text) for _, text in ticks) * CHARACTER_WIDTH
    assert min(gaps) >= widths + TICK_GAP, ticks


def test_labels_that_would_collide_or_cross_the_edges_are_dropped():
    crowded = [(330.0, "Mar 02 00:00"), (350.0, "Mar 02 00:15"), (380.0, "Mar 02 00:30"),
               (450.0, "Mar 02 00:45"), (500.0, "Mar 02 01:00"), (560.0, "Mar 02 01:15"),
               (930.0, "Mar 02 01:30")]
    kept = tick_labels(crowded, left=300, right=960)  # each label is about 84 pixels wide
    # The first would reach left of the plot and the last past its right edge: both go, and
    # so do the two that would come closer than the gap to the label before them.
    assert [x for x, _ in kept] == [350.0, 450.0, 560.0]


def test_a_headless_browser_renders_the_page(repo: Repo, cli: Run, tmp_path: Path):
    binary = screenshot_plan.find_browser(None)
    if binary is None:
        looked = ", ".join(screenshot_plan.BROWSERS)
        pytest.skip(f"no headless browser installed (looked for {looked} on PATH; "
                    "scripts/test-browser installs one); html.parser reads the page elsewhere")
    page_file = tmp_path / "plan.html"
    page_file.write_text(hostile_page(repo, cli), encoding="utf-8")
    dumped = subprocess.run(
        [binary, *screenshot_plan.CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
         "--dump-dom", page_file.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    rendered = Page(dumped)
    assert rendered.count("svg") == 1 and rendered.count("rect") == 2
    assert rendered.count("tr") == 3
    assert rendered.count("script") == 0
    assert HOSTILE in "".join(rendered.text)


# The chart's blue (the after dots, a move's arrow and delta) and the before rings' grey.
AFTER_BLUE = (0x09, 0x69, 0xDA)
BEFORE_GREY = (0x8C, 0x95, 0x9F)


def test_the_docs_screenshot_is_made_by_its_script_in_a_headless_browser(tmp_path: Path):
    png, page = tmp_path / "plan.png", tmp_path / "plan.html"
    made = subprocess.run(
        [sys.executable, screenshot_plan.__file__, "--output", png, "--html", page],
        capture_output=True, text=True, timeout=600, check=False,
    )
    if made.returncode == screenshot_plan.NO_BROWSER:
        pytest.skip(made.stderr.strip())
    assert made.returncode == 0, made.stderr
    # The page the browser was given: the pull request's plan, two moves and seven creates.
    shown = Page(page.read_text(encoding="utf-8"))
    check_self_contained(shown)
    assert len(shown.of_class("line", "move")) == 2  # one arrow per moved object
    deltas = sorted(text for attrs, text in shown.labels if attrs.get("class") == "delta")
    assert deltas == ["-30m", "-7d"]
    origins = Table(page.read_text(encoding="utf-8")).by_object()
    assert {origins["events.winter-gala"]["origin"], origins["sessions.smith-deposition"][
        "origin"]} == {"drift", "config"}
    # What the browser drew: a PNG of the window's size, with text and the chart's colours.
    size = (screenshot_plan.WIDTH, screenshot_plan.HEIGHT)
    with Image.open(png) as image:
        assert image.format == "PNG"
        assert image.size == size
        colours = image.convert("RGB").getcolors(maxcolors=size[0] * size[1])
    assert colours is not None
    assert len(colours) > 100, len(colours)  # anti-aliased text, not a blank or flat page
    counts = {colour: count for count, colour in colours}
    background = max(counts.values())
    assert background < 0.99 * size[0] * size[1]
    assert counts.get(AFTER_BLUE, 0) > 100 and counts.get(BEFORE_GREY, 0) > 10
    # The copy in the documentation is one the script made.
    with Image.open(screenshot_plan.DEFAULT_OUTPUT) as published:
        assert (published.format, published.size) == ("PNG", size)
