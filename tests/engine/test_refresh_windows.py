"""Refresh lists sessions and events from a window that starts a day before now: what it leaves
out is past, so frozen, and drift and prune stay what they were. Each window's edges are tried
with managed objects just inside and just outside them, against the sandbox over HTTP and
against the docs-shaped servers; and an object moved remotely from the past into the window is
found there (an update, not a second create).

The clock is pinned at 2027-01-04T00:00:00Z, so with nothing declared earlier the window runs
from 2027-01-03T00:00:00Z to a century and a day ahead (2127-01-06T00:00:00Z).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from benchmarks.harness import prevail_token
from tests.fixtures.docs_prevail import API_KEY, COMPANY_ID, DocsPrevail
from tests.fixtures.docs_prospero import DocsRepo
from tests.fixtures.repo import SCOPE, Repo, Run

NOW = "2027-01-04T00:00:00Z"
LOW, HIGH = 1_798_934_400, 4_954_867_200  # 2027-01-03T00:00:00Z, 2127-01-06T00:00:00Z
STACK = "edges"

# Sessions (wall clock in UTC): Prevail's window reads a session's start, minutes apart.
SESSION_EDGES = {
    "before": ("2027-01-02", "11:59 PM"),  # a minute before the window: past, not listed
    "first": ("2027-01-03", "12:00 AM"),  # the window's first instant: listed (and past)
    "last": ("2127-01-06", "12:00 AM"),  # its last instant: listed
    "after": ("2127-01-06", "12:01 AM"),  # a minute after it: not listed
}
# Events: Prospero's window holds the events that overlap it, so the edges are the event's end
# against the window's start and its start against the window's end, a second apart.
EVENT_EDGES = {
    "before": ("2027-01-02T23:00:00Z", "2027-01-02T23:59:59Z"),
    "first": ("2027-01-02T23:00:00Z", "2027-01-03T00:00:01Z"),  # under way as the window opens
    "last": ("2127-01-05T23:59:59Z", "2127-01-06T01:00:00Z"),
    "after": ("2127-01-06T00:00:01Z", "2127-01-06T01:00:00Z"),
}

DECLARED_SESSION = """sessions:
  - key: hearing
    title: Hearing
    case: 2027-CV-1
    start: 2027-02-01T09:00
    time_zone: UTC
"""
DECLARED_EVENT = """events:
  - key: gala
    title: Gala
    start: 2027-02-01T18:00:00Z
    end: 2027-02-01T20:00:00Z
"""


@pytest.fixture(autouse=True)
def _now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_NOW", NOW)


def marked_session(key: str, day: str, clock: str, scope: str) -> dict[str, Any]:
    """A session as a create body takes it, marked as the reconciler marks it."""
    return {
        "remote_session": {"title": key.title(), "case": "2027-CV-1", "start_date": day,
                           "start_time": clock, "time_zone": "UTC"},
        "invites": [],
        "session_details": {
            "additional_details": f"reconciler-scope: {scope}\nreconciler-key: {key}"
        },
    }


def marked_event(key: str, start: str, end: str, scope: str) -> dict[str, Any]:
    return {"title": key.title(), "start": start, "end": end, "customFields": {
        "reconciler_key": key, "managed_by": "reconciler", "reconciler_scope": scope,
        "reconciler_fields": "end,start,title",
    }}


def assert_edges(output: str, kind: str, removal: str) -> None:
    """The window's edges, as a plan with --prune shows them."""
    assert f"Skipped {kind}.first: it started at " in output  # listed, and frozen
    assert f"{kind}.last will be {removal}" in output  # listed, and not declared
    assert f"{kind}.before" not in output and f"{kind}.after" not in output


# -- the sandbox, over HTTP ------------------------------------------------------------------


def prevail_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {prevail_token()}"}


PROSPERO_HEADERS = {"Authorization": "Bearer sandbox-prospero-token"}


def seed_sessions(http: httpx.Client, sessions: dict[str, tuple[str, str]]) -> list[str]:
    body = {"sessions": [{"session_request": marked_session(key, day, clock, SCOPE)}
                         for key, (day, clock) in sessions.items()]}
    seeded = http.post("/_sandbox/prevail/seed", json=body)
    assert seeded.status_code == 201, seeded.text
    return list(seeded.json()["sessions"])


def seed_events(http: httpx.Client, events: dict[str, tuple[str, str]]) -> list[str]:
    body = {"events": [marked_event(key, start, end, SCOPE)
                       for key, (start, end) in events.items()]}
    seeded = http.post("/_sandbox/prospero/seed", json=body)
    assert seeded.status_code == 201, seeded.text
    return list(seeded.json()["ids"])


def test_sessions_at_the_sandbox_windows_edges(repo: Repo, cli: Run, http: httpx.Client):
    """api-contract.md, Prevail — List: `?start_time=<epoch>&end_time=<epoch>` [doc], here the
    emulator's reading (a session's start instant, both ends included)."""
    seed_sessions(http, SESSION_EDGES)
    repo.write("s.yaml", "version: 1\n" + DECLARED_SESSION)
    repo.forget_requests()
    result = cli("plan", repo.root, "--prune", "--detailed-exitcode", expect=2)
    assert_edges(result.stdout, "sessions", "cancelled")
    (listed,) = repo.lists("/prevail/sessions")
    assert listed.query == f"page=1&per_page=1000&start_time={LOW}&end_time={HIGH}"


def test_events_at_the_sandbox_windows_edges(repo: Repo, cli: Run, http: httpx.Client):
    """api-contract.md, Prospero — GET /events: `window_start`/`window_end` return the events
    that overlap the window [doc], with the emulator's modelled paging and filter."""
    seed_events(http, EVENT_EDGES)
    repo.write("e.yaml", "version: 1\n" + DECLARED_EVENT)
    result = cli("plan", repo.root, "--prune", "--detailed-exitcode", expect=2)
    assert_edges(result.stdout, "events", "deleted")


def test_a_session_moved_from_the_past_into_the_window_is_updated_not_created_again(
    repo: Repo, cli: Run, http: httpx.Client
) -> None:
    (moved,) = seed_sessions(http, {"hearing": ("2026-12-01", "09:00 AM")})
    repo.write("s.yaml", "version: 1\n" + DECLARED_SESSION)
    before = cli("plan", repo.root, "--detailed-exitcode", expect=2).stdout
    assert "sessions.hearing will be created" in before  # its twin is past: frozen, unseen
    edited = http.patch(f"/prevail/sessions/{moved}", headers=prevail_headers(), json={
        "remote_session": {"start_date": "2027-02-01", "start_time": "10:00 AM",
                           "time_zone": "UTC"},
    })
    assert edited.status_code == 200, edited.text
    after = cli("plan", repo.root, "--detailed-exitcode", expect=2).stdout
    assert "sessions.hearing will be updated in place" in after
    assert f"id={moved}" in after and "Plan: 0 to create, 1 to update" in after


def test_an_event_moved_from_the_past_into_the_window_is_found_for_prune(
    repo: Repo, cli: Run, http: httpx.Client
) -> None:
    (moved,) = seed_events(http, {"retired": ("2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z")})
    repo.write("e.yaml", "version: 1\n" + DECLARED_EVENT)
    cli("apply", repo.root, "--auto-approve")
    quiet = cli("plan", repo.root, "--prune", "--detailed-exitcode", expect=0).stdout
    assert "events.retired" not in quiet
    edited = http.patch(f"/prospero/events/{moved}", headers=PROSPERO_HEADERS,
                        json={"start": "2027-03-01T10:00:00Z", "end": "2027-03-01T11:00:00Z"})
    assert edited.status_code == 200, edited.text
    pruned = cli("plan", repo.root, "--prune", "--detailed-exitcode", expect=2).stdout
    assert "events.retired will be deleted" in pruned


# -- the docs-shaped servers -----------------------------------------------------------------


def docs_prevail_config(tmp_path: Path, docs: DocsPrevail, monkeypatch: pytest.MonkeyPatch
                        ) -> Path:
    monkeypatch.setenv("PREVAIL_COMPANY_ID", COMPANY_ID)
    monkeypatch.setenv("PREVAIL_API_KEY", API_KEY)
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "schedule.yaml"
    config.write_text(f"""version: 1
providers:
  stack: {STACK}
  prevail:
    base_url: {docs.url}
    company_id: ${{PREVAIL_COMPANY_ID}}
    api_key: ${{PREVAIL_API_KEY}}
{DECLARED_SESSION}""", encoding="utf-8")
    return config


def docs_session(key: str, day: str, clock: str) -> dict[str, Any]:
    """A session as the docs-shaped server lists it."""
    body = marked_session(key, day, clock, STACK)
    return {"remote_session_id": f"id-{key}", **body["remote_session"], "state": "ready",
            "invites": [], "session_details": body["session_details"]}


def test_sessions_at_the_docs_shaped_windows_edges(
    tmp_path: Path, docs_prevail: DocsPrevail, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """api-contract.md, Prevail — List: `?start_time=<epoch>&end_time=<epoch>` limits the list
    to a time window [doc]."""
    config = docs_prevail_config(tmp_path, docs_prevail, monkeypatch)
    docs_prevail.sessions.extend(
        docs_session(key, day, clock) for key, (day, clock) in SESSION_EDGES.items()
    )
    result = cli("plan", config, "--prune", "--detailed-exitcode", expect=2)
    assert_edges(result.stdout, "sessions", "cancelled")
    assert [seen.query for seen in docs_prevail.seen] == [
        {"page": "1", "per_page": "1000", "start_time": str(LOW), "end_time": str(HIGH)}
    ]
    # Moved remotely from the past into the window: found there, and put back.
    docs_prevail.sessions.append(docs_session("hearing", "2026-12-01", "09:00 AM"))
    assert "sessions.hearing will be created" in cli("plan", config, expect=None).stdout
    docs_prevail.sessions[-1].update(start_date="2027-02-01", start_time="10:00 AM")
    after = cli("plan", config, "--detailed-exitcode", expect=2).stdout
    assert "sessions.hearing will be updated in place" in after and "0 to create" in after


def test_events_at_the_docs_shaped_windows_edges(docs_repo: DocsRepo, cli: Run) -> None:
    """api-contract.md, Prospero — GET /events: `window_start`/`window_end` return the events
    that overlap the window [doc]."""
    server = docs_repo.server
    for key, (start, end) in EVENT_EDGES.items():
        server.add(marked_event(key, start, end, "schedule"))
    docs_repo.write("e.yaml", "version: 1\n" + DECLARED_EVENT)
    result = cli("plan", docs_repo.root, "--prune", "--detailed-exitcode", expect=2)
    assert_edges(result.stdout, "events", "deleted")
    # Moved remotely from the past into the window: found there, and put back.
    moved = server.add(marked_event("gala", "2026-12-01T18:00:00Z", "2026-12-01T20:00:00Z",
                                    "schedule"))
    assert "events.gala will be created" in cli("plan", docs_repo.root, expect=None).stdout
    server.events[moved].update(start="2027-02-01T19:00:00Z", end="2027-02-01T20:00:00Z")
    after = cli("plan", docs_repo.root, "--detailed-exitcode", expect=2).stdout
    assert "events.gala will be updated in place" in after and "0 to create" in after
