"""The client against a Prospero shaped exactly as its public docs show: plan, apply, plan again.

The server (tests/fixtures/docs_prospero.py) has no `total`, no `limit`/`offset`, no filters and
no `DELETE /events/{id}`; every request it saw is asserted, method, path, query and body.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures.docs_prospero import DOCUMENTED_LIST, DocsRepo
from tests.fixtures.repo import SCOPE, Run

NOW = "2027-01-04T00:00:00Z"
# The span refresh lists: a day before now (no declared event starts earlier) to a century on.
WINDOW = {"window_start": "2027-01-03T00:00:00Z", "window_end": "2127-01-06T00:00:00Z"}
MANAGED = {"customFields.managed_by": "reconciler"}
# The run's first list: the modelled paging and filter, over the documented window. Its answer
# (no `total`) is the whole window's, so the walk goes on from it by windows.
PROBE = ("GET", "/events", {**MANAGED, "limit": "500", "offset": "0", **WINDOW}, None)


def read_back(start: str, end: str) -> tuple[str, str, dict[str, str], None]:
    """After its writes, apply reads back what it wrote: one list over the written events'
    window (a day of slack either side), which the run has learnt is answered whole (no
    `total`, no cap), so not split."""
    window = {"window_start": start, "window_end": end}
    return ("GET", "/events", {**MANAGED, "limit": "500", **window}, None)


# Right before its first write, apply reads the objects it writes again, the same way (one list
# over their window, and where the plan saw them), so that an edit made meanwhile is not lost.
reread = read_back


EVENTS = """version: 1
events:
  - key: gala
    title: Winter Gala
    start: 2027-02-01T18:00:00Z
    end: 2027-02-01T23:00:00Z
    capacity: 200
  - key: fair
    title: Spring Fair
    start: 2027-02-02T10:00:00Z
    end: 2027-02-02T16:00:00Z
"""


@pytest.fixture(autouse=True)
def _now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_NOW", NOW)


def marker(key: str, owned: str) -> dict[str, str]:
    return {"reconciler_key": key, "managed_by": "reconciler", "reconciler_fields": owned,
            "reconciler_scope": SCOPE}


def unmanaged(title: str, day: str) -> dict[str, Any]:
    return {"title": title, "start": f"{day}T10:00:00Z", "end": f"{day}T11:00:00Z"}


def split_once(calls: list[tuple[str, str, dict[str, str], Any]]) -> list[Any]:
    """The calls after a refresh's own: the first answer's size could be a silent cap, so its
    window is split once, into two halves that tile it; the rest is returned."""
    probe, low, high, *rest = calls
    assert probe == PROBE
    for half in (low, high):
        assert half[:2] == ("GET", "/events") and set(half[2]) == {*MANAGED, "limit", *WINDOW}
    assert low[2]["window_start"] == WINDOW["window_start"]
    assert low[2]["window_end"] == high[2]["window_start"]
    assert high[2]["window_end"] == WINDOW["window_end"]
    return rest


def test_plan_apply_and_plan_again_speak_only_the_documented_api(
    docs_repo: DocsRepo, cli: Run
) -> None:
    """api-contract.md, Prospero: GET /events [doc] answers {"events": [...]} and takes only
    window_start/window_end; the client lists by windows when no `total` comes back. POST
    /events [doc: single and bulk create]; PATCH /events/{id} [doc seed: JSON merge patch];
    DELETE /events with {"ids": [...]} [doc: bulk delete] (no DELETE /events/{id}); auth [doc]:
    login once, the access token in the Cookie header."""
    server = docs_repo.server
    server.add(unmanaged("Last year's meeting", "2026-05-01"))  # outside the window
    walk_in = server.add(unmanaged("Walk-in", "2027-03-01"))  # unmanaged: never touched
    docs_repo.write("events.yaml", EVENTS)

    planned = cli("plan", docs_repo.root, "--detailed-exitcode", expect=2)
    assert "Plan: 2 to create, 0 to update, 0 to cancel/delete." in planned.stdout
    login, *rest = server.requests()
    assert (login.method, login.path, login.cookies) == ("POST", "/auth/login", ())
    assert all(seen.cookies == ("access_token",) and not seen.authorization for seen in rest)
    assert split_once(server.calls()) == []
    # Only the window is asked for: last year's meeting is never listed.
    assert all(seen.query["window_start"] >= WINDOW["window_start"] for seen in server.lists())

    server.forget()
    cli("apply", docs_repo.root, "--auto-approve")
    gala = {"title": "Winter Gala", "start": "2027-02-01T18:00:00Z",
            "end": "2027-02-01T23:00:00Z", "capacity": 200,
            "customFields": marker("gala", "capacity,end,start,title")}
    fair = {"title": "Spring Fair", "start": "2027-02-02T10:00:00Z",
            "end": "2027-02-02T16:00:00Z", "customFields": marker("fair", "end,start,title")}
    assert split_once(server.calls()) == [
        reread("2027-01-31T18:00:00Z", "2027-02-03T16:00:00Z"),
        ("POST", "/events", {}, {"events": [fair, gala]}),
        read_back("2027-01-31T18:00:00Z", "2027-02-03T16:00:00Z"),
    ]
    ids = {key: event["id"] for key, event in server.by_key().items()}

    docs_repo.write("events.yaml", EVENTS.replace("capacity: 200", "capacity: 250")
                    .split("  - key: fair")[0])
    server.forget()
    applied = cli("apply", docs_repo.root, "--prune", "--auto-approve")
    assert "2 applied, 0 failed" in applied.stdout
    assert split_once(server.calls()) == [
        reread("2027-01-31T18:00:00Z", "2027-02-03T16:00:00Z"),
        ("DELETE", "/events", {}, {"ids": [ids["fair"]]}),
        ("PATCH", f"/events/{ids['gala']}", {}, {"capacity": 250}),
        read_back("2027-01-31T18:00:00Z", "2027-02-02T23:00:00Z"),
    ]
    (patch,) = [seen for seen in server.requests() if seen.method == "PATCH"]
    assert patch.content_type == "application/merge-patch+json"
    assert list(server.archive) == [ids["fair"]]
    assert server.events[ids["gala"]]["capacity"] == 250

    server.forget()
    again = cli("plan", docs_repo.root, "--prune", "--detailed-exitcode", expect=0)
    assert "No changes" in again.stdout
    assert split_once(server.calls()) == []
    assert walk_in in server.events and server.events[walk_in]["title"] == "Walk-in"


def test_an_answer_cut_off_at_a_silent_cap_is_split_until_every_event_is_found(
    docs_repo: DocsRepo, cli: Run
) -> None:
    """api-contract.md, Prospero: GET /events [doc] — "the client must list correctly from a
    server that answers as documented ... by listing by time windows and narrowing a window
    whose answer looks cut off". The server stops at 3 events an answer without a word: the
    first answer shows the cap, every window answering 3 is split, and all 8 managed
    events are found (no duplicate created)."""
    server = docs_repo.server
    server.cap = 3
    lines = ["version: 1", "events:"]
    for day in range(1, 9):
        start, end = f"2027-02-0{day}T10:00:00Z", f"2027-02-0{day}T11:00:00Z"
        server.add({"title": f"Class {day}", "start": start, "end": end,
                    "customFields": marker(f"class-{day}", "end,start,title")})
        lines += [f"  - key: class-{day}", f"    title: Class {day}", f"    start: {start}",
                  f"    end: {end}"]
    docs_repo.write("events.yaml", "\n".join(lines) + "\n")

    result = cli("-v", "plan", docs_repo.root, "--detailed-exitcode", expect=0)
    assert "No changes" in result.stdout
    assert "answered without `total` (3 objects)" in result.stderr
    assert "answered 3 objects for 2027-01-03T00:00:00Z..2127-01-06T00:00:00Z, which may be " \
           "cut off" in result.stderr
    lists = server.lists()
    assert lists[0].query == PROBE[2]
    windows = [seen.query for seen in lists[1:]]
    assert all(set(query) == {*MANAGED, "limit", "window_start", "window_end"}
               for query in windows)
    assert 3 < len(windows) <= 12  # a handful of splits, not a window per event
    # the windows below the first tile it: every split's halves meet at its split point
    assert min(q["window_start"] for q in windows) == WINDOW["window_start"]
    assert max(q["window_end"] for q in windows) == WINDOW["window_end"]


def test_an_answer_the_size_of_the_whole_list_is_tested_once_and_then_trusted(
    docs_repo: DocsRepo, cli: Run
) -> None:
    """api-contract.md, Prospero: GET /events [doc]; the client "may use the [model] paging
    ... when the answer shows the server honours" it, and otherwise must not trust an answer
    that could be cut off: the first answer, the whole window's, could be a cap, so it is split
    once; the halves find nothing more, and the size is no cap."""
    server = docs_repo.server
    server.add({"title": "Winter Gala", "start": "2027-02-01T18:00:00Z",
                "end": "2027-02-01T23:00:00Z",
                "customFields": marker("gala", "end,start,title")})
    server.add(unmanaged("Walk-in", "2027-03-01"))
    docs_repo.write("events.yaml", EVENTS.split("    capacity: 200")[0] + "\n")
    result = cli("-v", "plan", docs_repo.root, "--detailed-exitcode", expect=0)
    assert "the halves hold nothing more: 2 objects is no cap" in result.stderr
    assert len(server.lists()) == 3  # the window, its two halves


def test_a_server_refusing_the_modelled_parameters_is_asked_with_the_window_alone(
    docs_repo: DocsRepo, cli: Run
) -> None:
    """api-contract.md, Prospero: GET /events [doc]: the documented query parameters are only
    window_start/window_end. A server that refuses any other (400) is asked again with the
    window alone, and the run's later lists never send the modelled parameters again."""
    server = docs_repo.server
    server.strict_query = True
    docs_repo.write("events.yaml", EVENTS)
    cli("apply", docs_repo.root, "--auto-approve")
    # The re-read before the create and the read-back after it ask with the (written events')
    # window alone too.
    written = {"window_start": "2027-01-31T18:00:00Z", "window_end": "2027-02-03T16:00:00Z"}
    assert [seen.query for seen in server.lists()] == [PROBE[2], WINDOW, written, written]
    server.forget()
    result = cli("-v", "plan", docs_repo.root, "--detailed-exitcode", expect=0)
    assert "refused the modelled paging and filter" in result.stderr
    assert "400 Unknown query parameter" in result.stderr
    assert [seen.query for seen in server.lists()] == [PROBE[2], WINDOW]


def test_deletes_go_in_bulk_at_most_one_hundred_ids_a_request(
    docs_repo: DocsRepo, cli: Run
) -> None:
    """api-contract.md, Prospero: DELETE /events with {"ids": [...]} [doc: bulk delete] → 204;
    deleted events move to GET /events/archive. `DELETE /events/{id}` is [model] only: 150
    pruned events go in two bulk deletes (100 and 50), none by id."""
    server = docs_repo.server
    ids = [
        server.add({"title": f"Slot {n}", "start": "2027-05-01T09:00:00Z",
                    "end": "2027-05-01T10:00:00Z",
                    "customFields": marker(f"slot-{n}", "end,start,title")})
        for n in range(151)
    ]
    kept = ids.pop()
    # slot-150 stays declared as it is: --prune never removes a kind declared nowhere.
    docs_repo.write("events.yaml", "version: 1\nevents:\n  - key: slot-150\n    title: Slot 150\n"
                    "    start: 2027-05-01T09:00:00Z\n    end: 2027-05-01T10:00:00Z\n")
    cli("apply", docs_repo.root, "--prune", "--force", "--auto-approve")
    deletes = server.writes()
    assert [(seen.method, seen.path) for seen in deletes] == [("DELETE", "/events")] * 2
    assert sorted(len(seen.body["ids"]) for seen in deletes) == [50, 100]
    assert sorted(i for seen in deletes for i in seen.body["ids"]) == sorted(ids)
    assert list(server.events) == [kept] and sorted(server.archive) == sorted(ids)


def test_the_documented_payloads_are_read_as_they_are(docs_repo: DocsRepo, cli: Run) -> None:
    """api-contract.md, Prospero: wire style [doc]: camelCase fields, a list wrapped as
    {"events": [...]}, read-only id/orgId/createdAt/lastUpdatedAt, status an integer enum;
    identifiers are v1 UUIDs. The documented event (with a custom field of its own), declared
    as it is, plans no change."""
    server = docs_repo.server
    server.events.update((event["id"], dict(event)) for event in DOCUMENTED_LIST["events"])
    docs_repo.write("events.yaml", """version: 1
events:
  - key: opening-night
    title: Opening night
    start: 2027-02-12T19:00:00Z
    end: 2027-02-12T22:00:00Z
    status: tentative
    capacity: 420
""")
    result = cli("plan", docs_repo.root, "--detailed-exitcode", expect=0)
    assert "No changes" in result.stdout



def test_import_and_adopt_list_all_of_time_by_windows(docs_repo: DocsRepo, cli: Run) -> None:
    """api-contract.md, Prospero: GET /events [doc] with window_start/window_end only, and
    PATCH /events/{id} [doc seed: merge patch]: `import` may take over any event, past ones
    too, so it lists every window from 1970 on; `apply --adopt` patches only our markers."""
    server = docs_repo.server
    past = server.add(unmanaged("Retrospective", "2026-05-01"))
    ahead = server.add(unmanaged("Planning", "2027-03-01"))
    imported = docs_repo.root / "imported.yaml"
    result = cli("import", "--kind", "events", "-o", imported, docs_repo.root)
    assert f"Wrote 2 events to {imported}" in result.stderr
    lists = [seen.query for seen in server.lists()]
    assert lists[0] == {"limit": "500", "offset": "0", "window_start": "1970-01-01T00:00:00Z",
                        "window_end": WINDOW["window_end"]}
    assert len(lists) == 3  # the first answer's size could be a cap: tested once
    server.forget()
    cli("apply", docs_repo.root, "--adopt", "--auto-approve")
    patched = {seen.path: seen.body for seen in server.writes()}
    assert set(patched) == {f"/events/{past}", f"/events/{ahead}"}
    assert all(set(body) == {"customFields"} for body in patched.values())
    server.forget()
    cli("plan", docs_repo.root, "--detailed-exitcode", expect=0)
    assert server.writes() == []
