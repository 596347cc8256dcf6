"""Lists that lie, through the CLI: each ends in a one-line failure of the refresh, exit 1, no
create planned and no write sent — never a short list that plans creates.

The lies: a Prospero list that ignores `offset` (every page is the first), or
answers an empty page while its `total` says more; a list that never ends; a huge `total`; a
body that drips; an answer far larger than any page. The servers are the docs-shaped ones in
their lying modes (`lie`); waits and the run's deadline are on the injected clock, which a
dripping server moves as it drips and Previsto's pacing moves as it paces.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.clock import FakeClock
from tests.fixtures.docs_previsto import DOCUMENTED_ID, KEY, ServeDocsPrevisto
from tests.fixtures.docs_prospero import DocsRepo, Lie
from tests.fixtures.repo import SCOPE, Run

NOW = "2027-01-04T00:00:00Z"
# More than the client's page of 500: the walk needs a second page, where the lies start.
MANY = 600


@pytest.fixture(autouse=True)
def _now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_NOW", NOW)


def managed_events(repo: DocsRepo, count: int) -> None:
    """`count` events declared in the YAML and already on the server, marked as this scope's:
    an honest list plans no change."""
    lines = ["version: 1", "events:"]
    for n in range(count):
        day, hour = divmod(n, 20)
        start = f"2027-{2 + day // 28:02d}-{1 + day % 28:02d}T{hour + 2:02d}:00:00Z"
        end = start.replace(":00:00Z", ":30:00Z")
        repo.server.add({"title": f"Slot {n}", "start": start, "end": end, "customFields": {
            "reconciler_key": f"slot-{n}", "managed_by": "reconciler",
            "reconciler_fields": "end,start,title", "reconciler_scope": SCOPE}})
        lines += [f"  - key: slot-{n}", f"    title: Slot {n}", f"    start: {start}",
                  f"    end: {end}"]
    repo.write("events.yaml", "\n".join(lines) + "\n")


def errors(stderr: str) -> list[str]:
    """The errors a run printed (besides them: the note that the clock is pinned, the warning
    of an API's first retry, the progress lines of a slow refresh away from a terminal, and
    what the test's own server, in this process, logs of a client that hung up)."""
    return [line for line in stderr.splitlines()
            if not line.startswith(("Note: ", "WARNING reconciler.transport: ",
                                    "WARNING asyncio: ", "Still refreshing: "))]


def refused(cli: Run, root: Path, *options: str) -> str:
    """Plan and apply both fail with one line and plan nothing; the error line is returned."""
    planned = cli(*options, "plan", root, "--detailed-exitcode", expect=1)
    assert planned.stdout == ""  # no plan at all, so no create in it
    (line,) = errors(planned.stderr)
    assert line.startswith("Error: ")
    applied = cli(*options, "apply", root, "--auto-approve", expect=1)
    assert "to create" not in applied.stdout and "applied" not in applied.stdout
    return line


@pytest.mark.parametrize(
    ("lie", "message"),
    [
        ("ignores-offset",
         "the page at offset 500 holds the same 500 objects as the page at offset 0: the server "
         "ignores the paging, so the list cannot be read whole; refusing to plan from part of "
         "it"),
        ("empty-before-total",
         "the page at offset 500 is empty after 500 of the 600 objects the list says it holds: "
         "the list ended early; refusing to plan from part of it"),
        ("huge-total",
         "the list says it holds 1000000000000 objects in 2000000000 pages, more than a walk "
         "believes (500000 objects, 5000 pages), so no page is queued from it; refusing to plan "
         "from part of it"),
    ],
)
def test_a_prospero_list_that_lies_about_its_pages_fails_the_refresh(
    docs_repo: DocsRepo, cli: Run, lie: Lie, message: str
) -> None:
    """Lists that lie: 600 managed events, all declared. Listed honestly, nothing is
    planned; listed by a server that repeats its first page, ends early or claims a trillion
    events, the refresh fails: 0 creates planned (100 were before), 0 writes, exit 1."""
    server = docs_repo.server
    managed_events(docs_repo, MANY)
    # Listed as documented (by windows), the same events converge with no change.
    assert "No changes" in cli("plan", docs_repo.root, expect=0).stdout
    server.lie = lie
    server.forget()
    assert refused(cli, docs_repo.root) == f"Error: prospero GET /events: {message}"
    assert server.writes() == []
    assert len(server.by_key()) == MANY


def test_a_prospero_body_that_drips_is_a_timeout(
    docs_repo: DocsRepo, cli: Run, clock: FakeClock
) -> None:
    """Lists that lie: a body that drips (here 512 bytes a second on the client's
    clock, chunks tens of milliseconds apart in real time) never trips the per-read timeout;
    once the read timeout has passed since its headers, an answer slower than 16 KiB/s is a
    timeout, retried as one, then the refresh fails."""
    managed_events(docs_repo, 3)
    docs_repo.server.lie = "drip"
    line = refused(cli, docs_repo.root, "--timeout", "2", "--max-retries", "1")
    assert line.startswith("Error: prospero GET /events: timed out: the answer arrived at ")
    assert line.endswith("slower than the 16 KiB/s a run waits for")
    assert docs_repo.server.writes() == []
    # Each try gave up within seconds of the client's time, far from the 75 s a whole drip takes.
    assert clock.waited < 5


def test_a_prospero_answer_larger_than_any_page_is_not_read_whole(
    docs_repo: DocsRepo, cli: Run
) -> None:
    """Lists that lie: a 40 MiB answer is read as it streams and given up at 32 MiB
    (not retried: the same answer would come again)."""
    managed_events(docs_repo, 3)
    docs_repo.server.lie = "oversized"
    line = refused(cli, docs_repo.root)
    assert line == (
        "Error: prospero GET /events: the answer is larger than 32 MiB, more than any page an "
        "API documents; it was not read further"
    )
    assert docs_repo.server.writes() == []
    assert len(docs_repo.server.lists()) == 2  # once for plan, once for apply


@pytest.fixture
def previsto_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A configuration whose only provider is the docs-shaped Previsto, paced at its documented
    120 requests a minute (on the injected clock)."""
    monkeypatch.setenv("PREVISTO_API_KEY", KEY)
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "schedule"
    root.mkdir()
    (root / "assignments.yaml").write_text(
        "version: 1\nassignments:\n"
        f"  - key: docs-example\n    select: {{id: {DOCUMENTED_ID}}}\n"
        "    metadata: {crew: north}\n",
        encoding="utf-8",
    )
    return root


def previsto_at(root: Path, url: str) -> None:
    (root / "providers.yaml").write_text(
        f"version: 1\nproviders:\n  previsto:\n    base_url: {url}\n"
        "    api_key: ${PREVISTO_API_KEY}\n",
        encoding="utf-8",
    )


def test_a_previsto_list_that_never_ends_stops_at_the_deadline(
    previsto_repo: Path, serve_docs_previsto: ServeDocsPrevisto, cli: Run, clock: FakeClock
) -> None:
    """Lists that lie: a list without `X-Total-Count` whose every page is full of
    assignments never seen before kept `plan` running with no deadline. Paced at 120 a minute,
    `--deadline 60` lets about 117 pages through, then nothing more is sent."""
    server = serve_docs_previsto(lie="never-ends")
    previsto_at(previsto_repo, server.url)
    planned = cli("--deadline", "60", "plan", previsto_repo, expect=1)
    assert planned.stdout == ""
    assert errors(planned.stderr) == [
        "Error: previsto GET /assignments: the run's deadline (60 s, --deadline) has passed; "
        "not sent; raise --deadline if the API is this slow"
    ]
    assert 100 < len(server.requests) < 130
    assert 60 <= clock.waited < 61  # at most one pacing slot past it
    assert server.writes() == []


def test_a_huge_x_total_count_queues_no_pages(
    previsto_repo: Path, serve_docs_previsto: ServeDocsPrevisto, cli: Run
) -> None:
    """Lists that lie: an `X-Total-Count` of a trillion made the walk queue every page
    (11.4 GB in 60 s); it is not believed: the walk fails after the page that told it."""
    server = serve_docs_previsto(lie="huge-total")
    previsto_at(previsto_repo, server.url)
    planned = cli("plan", previsto_repo, expect=1)
    assert errors(planned.stderr) == [
        "Error: previsto GET /assignments: the list says it holds 1000000000000 objects in "
        "10000000000 pages, more than a walk believes (500000 objects, 5000 pages), so no page "
        "is queued from it; refusing to plan from part of it"
    ]
    # The scope's filtered list (refused at 1000, then read at 100): nothing more.
    assert [r.status for r in server.requests] == [400, 200]
    cli("apply", previsto_repo, "--auto-approve", expect=1)
    assert server.writes() == []
