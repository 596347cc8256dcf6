"""Every plan shows each time in its object's own zone (named as the YAML writes it, the IANA
name beside), UTC where none is declared; the chart and the table agree on the zone and on the
label of each object; `review.timezones` adds the reviewers' zones as columns."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import pytest

from tests.fixtures.repo import Repo, Run
from tests.render.test_timeline import gantt

SESSIONS = """version: 1
sessions:
  - key: smith-deposition
    title: Deposition of J. Smith
    case: 2027-CV-0142
    start: {smith}
    time_zone: Eastern Time (US & Canada)
    duration_hours: 2
    invites: [counsel@example.com]
{extra}"""
JONES = """  - key: jones-hearing
    title: Hearing of A. Jones
    case: 2027-CV-0143
    start: 2027-03-03T14:00
    time_zone: America/New_York
    duration_hours: 1
    invites: [counsel@example.com]
"""
EVENT = """version: 1
events:
  - key: briefing
    title: Press briefing
    start: 2027-03-04T15:00:00Z
    end: 2027-03-04T16:00:00Z
"""
NEW_YORK = "Eastern Time (US & Canada) (America/New_York)"


@pytest.fixture(autouse=True)
def _before_the_sessions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2027-01-05T00:00:00Z")


def create_and_update(repo: Repo, cli: Run) -> None:
    """Smith's deposition applied at 09:00 New York time, then moved to 10:00; Jones's hearing
    declared new."""
    repo.write("sessions.yaml", SESSIONS.format(smith="2027-03-02T09:00", extra=""))
    cli("apply", repo.root, "--auto-approve")
    repo.write("sessions.yaml", SESSIONS.format(smith="2027-03-02T10:00", extra=JONES))


def review(repo: Repo, zones: str) -> int:
    """`review:` added to providers.yaml; the line its first zone is on."""
    providers = repo.root / "providers.yaml"
    text = providers.read_text(encoding="utf-8")
    providers.write_text(text + f"review:\n  timezones:\n    - {zones}\n", encoding="utf-8")
    return len(text.splitlines()) + 3


def table(markdown: str) -> list[dict[str, str]]:
    """The Markdown table of changes, each row by its headings (as GitHub shows the text)."""
    lines = [line for line in markdown.splitlines() if line.startswith("| ")]
    headings = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [dict(zip(headings, (unescape(cell.strip()) for cell in line.strip("|").split("|")),
                     strict=True)) for line in lines[1:]]


def test_a_create_and_an_update_of_new_york_sessions_both_read_in_new_york_time(
    repo: Repo, cli: Run
):
    create_and_update(repo, cli)
    text = cli("plan", repo.root).stdout
    assert "+ start          = Wed 2027-03-03 14:00 America/New_York" in text
    assert f"~ start = Tue 2027-03-02 09:00 → 10:00 {NEW_YORK} (+1h)" in text

    markdown = cli("plan", repo.root, "--format", "markdown").stdout
    assert "+ start: Wed 2027-03-03 14:00 America/New_York" in markdown
    assert f"! start: Tue 2027-03-02 09:00 → 10:00 {NEW_YORK} (+1h)" in markdown
    rows = {row["object"]: row for row in table(markdown)}
    assert rows["`sessions.jones-hearing` (Hearing of A. Jones)"]["time (its own zone)"] == (
        "Wed 2027-03-03 14:00 America/New_York"
    )
    assert rows["`sessions.smith-deposition` (Deposition of J. Smith)"][
        "time (its own zone)"] == f"Tue 2027-03-02 09:00 → 10:00 {NEW_YORK}"
    assert "14:00:00" not in markdown and "T19:00:00Z" not in markdown  # no UTC value shown


def test_an_event_without_a_zone_reads_in_utc(repo: Repo, cli: Run):
    repo.write("events.yaml", EVENT)
    assert "+ start = Thu 2027-03-04 15:00 UTC" in cli("plan", repo.root).stdout
    markdown = cli("plan", repo.root, "--format", "markdown").stdout
    assert "+ start: Thu 2027-03-04 15:00 UTC" in markdown
    [row] = table(markdown)
    assert row["time (its own zone)"] == "Thu 2027-03-04 15:00 UTC"
    assert "title Schedule changes, times in UTC" in markdown


def test_the_chart_and_the_table_agree_on_zone_and_label(repo: Repo, cli: Run):
    create_and_update(repo, cli)
    markdown = cli("plan", repo.root, "--format", "markdown").stdout
    # Two spellings of one zone: the chart names it once, by its IANA name.
    assert "title Schedule changes, times in America/New_York" in markdown
    charted = {
        task["name"]: task["start"] for tasks in gantt(markdown).values() for task in tasks
        if task["side"] == "after"
    }
    rows = table(markdown)
    assert list(rows[0]) == ["", "object", "time (its own zone)", "origin", "fields", "reason"]
    assert len(rows) == len(charted) == 2
    for row in rows:
        label = re.sub(r"`([^`]*)`", r"\1", row["object"])  # the chart's label is the table's
        own = row["time (its own zone)"]
        # The same day and wall-clock time (after the change) in both.
        assert charted[label][:10] in own
        assert re.findall(r"\d\d:\d\d", own)[-1] == charted[label][11:]

    # The events have no zone: the chart stays in New York time and the table adds its column.
    repo.write("events.yaml", EVENT)
    mixed = cli("plan", repo.root, "--format", "markdown").stdout
    assert "title Schedule changes, times in America/New_York" in mixed
    [briefing] = [row for row in table(mixed) if "briefing" in row["object"]]
    assert briefing["time (its own zone)"] == "Thu 2027-03-04 15:00 UTC"
    [chart_zone] = [heading for heading in briefing if heading.startswith("time (")
                    and heading != "time (its own zone)"]
    assert briefing[chart_zone] == "Thu 2027-03-04 10:00"  # 15:00 UTC is 10:00 EST
    charted = {task["name"]: task["start"] for task in gantt(mixed)["Created"]}
    assert charted["events.briefing (Press briefing)"] == "2027-03-04 10:00"


class Cells(HTMLParser):
    """The text of every table heading and cell of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("th", "td"):
            self._open = True
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td"):
            self._open = False

    def handle_data(self, data: str) -> None:
        if self._open:
            self.cells[-1] += data


def test_review_timezones_add_a_london_column_in_markdown_and_html(repo: Repo, cli: Run):
    create_and_update(repo, cli)
    review(repo, "Europe/London")
    markdown = cli("plan", repo.root, "--format", "markdown").stdout
    rows = {row["object"]: row for row in table(markdown)}
    smith = rows["`sessions.smith-deposition` (Deposition of J. Smith)"]
    # New York is 5 hours behind London in early March (both on standard time).
    assert smith["time (Europe/London)"] == "Tue 2027-03-02 14:00 → 15:00"
    jones = rows["`sessions.jones-hearing` (Hearing of A. Jones)"]
    assert jones["time (Europe/London)"] == "Wed 2027-03-03 19:00"

    page = Cells()
    page.feed(cli("plan", repo.root, "--format", "html").stdout)
    assert "time (Europe/London)" in page.cells
    assert "Tue 2027-03-02 14:00 → 15:00" in page.cells
    assert "Wed 2027-03-03 19:00" in page.cells

    # Without the setting, no London column.
    plain = (repo.root / "providers.yaml").read_text(encoding="utf-8").split("review:")[0]
    (repo.root / "providers.yaml").write_text(plain, encoding="utf-8")
    assert "Europe/London" not in cli("plan", repo.root, "--format", "markdown").stdout


@pytest.mark.parametrize(
    ("zone", "says"),
    [("EST", "EST"), ("Mars/Olympus_Mons", 'unknown time zone "Mars/Olympus_Mons"')],
)
def test_a_bad_reviewer_zone_is_refused_at_its_file_and_line(
    repo: Repo, cli: Run, zone: str, says: str
):
    line = review(repo, zone)
    refused = cli("plan", repo.root, expect=1)
    assert f"providers.yaml:{line}:" in refused.stderr
    assert says in refused.stderr
    assert "Traceback" not in refused.stderr


def test_review_in_two_files_or_one_zone_twice_is_refused(repo: Repo, cli: Run):
    line = review(repo, "Europe/London\n    - Europe/Belfast")  # Belfast: London's link in tzdata
    refused = cli("validate", repo.root, expect=1).stderr
    assert (f'providers.yaml:{line + 1}:7: review.timezones[1]: "Europe/Belfast" is the same zone '
            'as "Europe/London" (Europe/London); list it once') in refused

    repo.write("events.yaml", EVENT + "review:\n  timezones: [Asia/Tokyo]\n")
    refused = cli("validate", repo.root, expect=1).stderr
    assert "providers.yaml:" in refused and "review is configured twice (first at" in refused
    assert "events.yaml:7:1" in refused  # the first, named in the refusal of the second
