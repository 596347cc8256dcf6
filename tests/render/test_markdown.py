"""The Markdown plan a reviewer reads: whole values, the summary first, big plans folded and cut
to a comment's limit on whole rows (plans made against the sandbox over HTTP)."""

from __future__ import annotations

import json
import re

import httpx

from reconciler.github.comments import PullRequest
from reconciler.github.publish import COMMENT_LIMIT, comment_body
from reconciler.github.runner import utf16_units
from reconciler.render.values import MAX_VALUE, show
from tests.fixtures.repo import SCOPE, Repo, Run

INVITES = [f"legal-ops.reviewer{n:02d}@okafor-partners.example" for n in range(10)]

DEPOSITION = """version: 1
sessions:
  - key: okafor-deposition
    title: Deposition of Dr. Okafor
    case: 2027-CV-0142
    start: {start}
    time_zone: America/New_York
    duration_hours: 2
    invites: [{invites}]
"""


def deposition(repo: Repo, *, start: str = "2027-03-02T09:00", invites: list[str]) -> None:
    repo.write("sessions.yaml", DEPOSITION.format(start=start, invites=", ".join(invites)))


def test_a_400_character_invite_list_reaches_the_reviewer_whole(repo: Repo, cli: Run):
    listed = json.dumps(INVITES)
    assert len(listed) > 400 > MAX_VALUE
    deposition(repo, invites=INVITES)
    markdown = cli("plan", repo.root, "--format", "markdown").stdout
    invites_line = next(line for line in markdown.splitlines() if line.startswith("+ invites:"))
    for address in INVITES:
        assert address in invites_line
    assert "…" not in markdown

    cli("apply", repo.root, "--auto-approve")
    deposition(repo, invites=[*INVITES, "okafor@example.org"])
    markdown = cli("plan", repo.root, "--format", "markdown").stdout
    before = next(line for line in markdown.splitlines() if line.startswith("- invites:"))
    after = next(line for line in markdown.splitlines() if line.startswith("+ invites:"))
    assert all(address in before for address in INVITES)
    assert all(address in after for address in [*INVITES, "okafor@example.org"])
    assert "okafor@example.org" not in before

    # JSON and the text plan written to a file or pipe keep it whole too.
    document = json.loads(cli("plan", repo.root, "--format", "json").stdout)
    invites = next(f for f in document["changes"][0]["fields"] if f["field"] == "invites")
    assert [item["email"] for item in invites["after"]] == [*INVITES, "okafor@example.org"]
    assert "okafor@example.org" in cli("plan", repo.root).stdout


def test_only_a_terminal_shortens_a_value_and_says_by_how_much():
    text = json.dumps(INVITES)
    short = show(INVITES, limit=MAX_VALUE)
    assert short.startswith(text[: MAX_VALUE - 1] + "…")
    assert short.endswith(f"(+{len(text) - MAX_VALUE + 1} characters)")
    assert show(INVITES) == text
    assert show("short", limit=MAX_VALUE) == '"short"'


def test_a_small_plan_opens_with_its_summary_and_shows_its_fields(repo: Repo, cli: Run):
    deposition(repo, invites=INVITES[:2])
    markdown = cli("plan", repo.root, "--format", "markdown").stdout
    lines = markdown.splitlines()
    assert lines[:5] == [
        "<!-- reconciler-plan -->",
        "### reconciler plan",
        "",
        "**1 session created.**",
        "",
    ]
    assert "Plan: 1 to create, 0 to update, 0 to cancel/delete." in lines
    assert "<details open><summary>Field changes</summary>" in lines
    assert "<summary>All" not in markdown  # the table is not folded


# -- a 3,000-change plan -------------------------------------------------------------------------


def session_body(n: int) -> dict[str, object]:
    return {
        "session_request": {
            "remote_session": {
                "title": f"Hearing {n}",
                "start_date": "2027-04-01",
                "start_time": "09:00 AM",
                "time_zone": "America/New_York",
                "estimated_duration": 1,
            },
            "invites": [f"counsel{n}@example.com"],
            "session_details": {
                "additional_details": f"reconciler-scope: {SCOPE}\nreconciler-key: hearing-{n}"
            },
        }
    }


def big_schedule(repo: Repo, http: httpx.Client) -> None:
    """2,000 managed sessions remotely; the YAML moves 1,000, drops 1,000, adds 1,000 events."""
    seeded = http.post(
        "/_sandbox/prevail/seed", json={"sessions": [session_body(n) for n in range(2000)]}
    )
    assert seeded.status_code == 201, seeded.text
    sessions = "".join(
        f"  - key: hearing-{n}\n    title: Hearing {n}\n    case: 2027-CV-{n:04d}\n"
        f"    start: 2027-04-02T10:00\n    time_zone: America/New_York\n"
        f"    duration_hours: 1\n    invites: [counsel{n}@example.com]\n"
        for n in range(1000)
    )
    events = "".join(
        f"  - key: briefing-{n}\n    title: Briefing {n}\n"
        f"    start: 2027-05-{n % 28 + 1:02d}T09:00:00Z\n"
        f"    end: 2027-05-{n % 28 + 1:02d}T10:00:00Z\n"
        for n in range(1000)
    )
    repo.write("big.yaml", f"version: 1\nsessions:\n{sessions}events:\n{events}")


TABLE_ROW = re.compile(r"^\| .+ \|$")
CELL_BORDER = re.compile(r"(?<!\\)\|")


def test_a_3000_change_comment_opens_with_the_summary_and_cuts_whole_rows(
    repo: Repo, cli: Run, http: httpx.Client
):
    big_schedule(repo, http)
    markdown = cli("plan", repo.root, "--prune", "--format", "markdown").stdout
    assert markdown.count("\n| ") == 3000 + 1  # every change has its row, plus the header
    pull = PullRequest(repository="firm/schedule", number=7, head_sha="9f2c4e1b7a3d")
    environ = {"GITHUB_REPOSITORY": "firm/schedule", "GITHUB_RUN_ID": "77"}
    body = comment_body(markdown, environ=environ, pull=pull)

    assert utf16_units(body) <= COMMENT_LIMIT < 65_536
    lines = body.splitlines()
    assert lines[3] == "**1,000 sessions rescheduled, 1,000 cancelled, 1,000 events created.**"
    # Counts for people carry thousands separators, in every renderer.
    counts = "Plan: 1,000 to create, 1,000 to update, 1,000 to cancel/delete."
    assert counts in lines[:8]
    text = cli("plan", repo.root, "--prune").stdout.splitlines()
    # The summary, then the warnings again (the rail's refusal) for the reader at the end.
    assert text[text.index(counts) + 2].startswith("Warning: apply will refuse")
    assert counts in cli("plan", repo.root, "--prune", "--format", "html").stdout
    assert "Cut to fit a comment" in body
    # The table is folded, and every row that made it in is whole: seven cells, closed (the
    # time in the object's own zone and in the chart's, New York, since the events have none).
    assert "<details><summary>All 3,000 changes</summary>" in lines
    rows = [line for line in lines if line.startswith("| ") and "---" not in line][1:]
    assert 100 < len(rows) < 3000
    for row in rows:
        assert TABLE_ROW.match(row), row
        assert len(CELL_BORDER.findall(row)) == 8, row
    # Whatever the cut opened, it closed: fences and folds balance, the chart comes whole.
    assert sum(1 for line in lines if line.startswith("```")) % 2 == 0
    assert body.count("<details") == body.count("</details>")
    assert lines.index("```mermaid") < lines.index("<details><summary>All 3,000 changes</summary>")
    assert "The chart shows the first 30 of 3,000 changes in time" in body
