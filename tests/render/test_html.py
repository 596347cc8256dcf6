"""`plan --format html`: one self-contained page, parsed in every run (html.parser) and opened in
a real headless browser where one is installed."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reconciler.model import Action, Address, Change, Duplicate, FieldChange, Plan, ScopeReport
from reconciler.render import render_text
from reconciler.render.html import HTML_TABLE_CHANGES, render_html
from tests.fixtures.repo import Repo, Run

VOID = {"meta", "br", "hr", "img", "input", "link"}
# Elements and attributes through which a page runs code or reaches elsewhere.
FETCHING = {"script", "link", "img", "iframe", "object", "embed", "audio", "video", "source",
            "base", "form", "image", "use", "foreignobject"}
HOSTILE = "<script>alert('x')</script> & \"quoted\" <img src=x onerror=alert(1)>"


class Page(HTMLParser):
    """The page's elements, text and nesting, failing on a tag closed out of order."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.open: list[str] = []
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


BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome",
            "headless_shell")


def browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def test_a_headless_browser_renders_the_page(repo: Repo, cli: Run, tmp_path: Path):
    binary = browser()
    if binary is None:
        pytest.skip(f"no headless browser installed (looked for {', '.join(BROWSERS)} on PATH); "
                    "the page is still parsed by html.parser in the other tests")
    page_file = tmp_path / "plan.html"
    page_file.write_text(hostile_page(repo, cli), encoding="utf-8")
    # The flags keep Chromium off the network (no background fetches, updates or sync).
    dumped = subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page_file.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    rendered = Page(dumped)
    assert rendered.count("svg") == 1 and rendered.count("rect") == 2
    assert rendered.count("tr") == 3
    assert rendered.count("script") == 0
    assert HOSTILE in "".join(rendered.text)
