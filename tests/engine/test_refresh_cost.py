"""Refresh costs what is declared and managed: not one request per object, and not the account's
history. Request counts only (what the sandbox saw), never times."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import httpx
import pytest

from benchmarks.history import seed_history
from tests.fixtures.repo import SCOPE, Repo, Run

PREFIXES = {"sessions": "/prevail/", "events": "/prospero/", "assignments": "/previsto/"}
PREVISTO = ("sk_sandbox", "")


def reads(repo: Repo) -> Counter[str]:
    """GET requests per kind since the log was last cleared."""
    counted: Counter[str] = Counter()
    for record in repo.requests():
        for kind, prefix in PREFIXES.items():
            if record.method == "GET" and record.path.startswith(prefix):
                counted[kind] += 1
    return counted


def session_body(n: int) -> dict[str, object]:
    return {
        "session_request": {
            "remote_session": {
                "title": f"Hearing {n}",
                "case": "Hearings",
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


def new_assignments(http: httpx.Client, count: int) -> list[str]:
    seeded = http.post(
        "/_sandbox/previsto/assignments",
        json={"assignments": [{"plan": {"executionTime": f"2027-05-{n % 28 + 1:02d}T08:00"},
                               "meta": {"note": f"n{n}"}} for n in range(count)]},
    )
    assert seeded.status_code == 201, seeded.text
    return [assignment["id"] for assignment in seeded.json()["assignments"]]


def schedule_yaml(count: int, assignment_ids: list[str]) -> str:
    lines = ["version: 1", "sessions:"]
    for n in range(count):
        lines += [f"  - key: s-{n}", f"    title: Session {n}", "    case: 2027-CV-1",
                  f"    start: 2027-03-{n % 28 + 1:02d}T09:00", "    time_zone: America/New_York",
                  "    duration_hours: 1"]
    lines.append("events:")
    for n in range(count):
        day = f"2027-03-{n % 28 + 1:02d}"
        lines += [f"  - key: e-{n}", f"    title: Event {n}", f"    start: {day}T17:00:00Z",
                  f"    end: {day}T18:00:00Z"]
    lines.append("assignments:")
    for n, ident in enumerate(assignment_ids):
        lines += [f"  - key: a-{n}", f"    select: {{id: {ident}}}", "    metadata: {crew: north}"]
    return "\n".join(lines) + "\n"


def test_history_does_not_raise_the_refresh_cost(repo: Repo, cli: Run, http: httpx.Client):
    """20 declared objects per kind, converged: 20,000 past, unmanaged objects per kind (years
    of an account) add at most 2 requests per kind to a plan; walking them would add 20 pages
    of Prevail sessions and 21 of Previsto assignments."""
    repo.write("schedule.yaml", schedule_yaml(20, new_assignments(http, 20)))
    cli("apply", repo.root, "--auto-approve", "--force")
    repo.forget_requests()
    cli("plan", repo.root, "--detailed-exitcode", expect=0)
    without_history = reads(repo)

    seed_history(repo.sandbox.store, 20_000)
    repo.forget_requests()
    result = cli("plan", repo.root, "--prune", "--detailed-exitcode", expect=0)
    assert "No changes" in result.stdout
    with_history = reads(repo)
    assert set(with_history) == set(PREFIXES)
    for kind in PREFIXES:
        assert with_history[kind] <= without_history[kind] + 2, (kind, with_history)
    # Each list asked for only what can matter: the window from a day before now, or the
    # scope's marked assignments.
    for record in repo.lists("/prevail/sessions"):
        assert "start_time=" in record.query and "end_time=" in record.query
    for record in repo.lists("/prospero/events"):
        assert "window_start=" in record.query and "customFields.managed_by=" in record.query
    for record in repo.lists("/previsto/assignments"):
        assert record.query.startswith(f"meta.reconciler_scope={SCOPE}")


def test_2500_managed_sessions_cost_three_list_requests(repo: Repo, cli: Run, http: httpx.Client):
    seeded = http.post(
        "/_sandbox/prevail/seed", json={"sessions": [session_body(n) for n in range(2500)]}
    )
    assert seeded.status_code == 201, seeded.text
    repo.write(
        "sessions.yaml",
        "version: 1\nsessions:\n  - key: hearing-7\n    title: Hearing 7\n    case: Hearings\n"
        "    start: 2027-04-01T09:00\n    time_zone: America/New_York\n    duration_hours: 1\n"
        "    invites: [counsel7@example.com]\n",
    )
    repo.forget_requests()
    result = cli("plan", repo.root, "--detailed-exitcode", expect=0)
    assert "No changes" in result.stdout
    walks = repo.lists("/prevail/sessions")
    assert len(walks) == 3
    assert all("per_page=1000" in record.query for record in walks)
    assert repo.lists("/prevail/session_requests") == []


# -- Previsto: the scope's marked assignments, the selects they leave, or a walk ---------------

MARKED = f"meta.reconciler_scope={SCOPE}"
PROTECTED = f"meta.reconciler_scope={SCOPE}+%28protected%29"


def seed_250_assignments(repo: Repo, http: httpx.Client) -> None:
    seeded = http.post(
        "/_sandbox/previsto/assignments",
        json={"assignments": [{"meta": {"note": f"n{n}"}} for n in range(245)]},
    )
    assert seeded.status_code == 201, seeded.text
    total = int(http.get("/previsto/assignments", auth=PREVISTO).headers["X-Total-Count"])
    assert total == 250  # 245 seeded here + the 5 the demo organisation starts with
    repo.write(
        "a.yaml",
        "version: 1\nassignments:\n  - key: jan\n    select: {id: asgmt-klJ23j4L23j43}\n"
        "    metadata: {crew: north}\n",
    )
    repo.forget_requests()


def previsto_lists(repo: Repo) -> list[tuple[str, int]]:
    return [(record.query, record.status) for record in repo.lists("/previsto/assignments")]


def test_a_first_plan_walks_once_then_plans_read_only_the_scopes_marked_assignments(
    repo: Repo, cli: Run, http: httpx.Client
) -> None:
    """api-contract.md, Previsto — Filtering: `meta.<key>=<value>` [model]. Nothing carries the
    scope's mark yet, and an empty answer cannot show the server reads the filter: the first
    plan walks (pages of 1000 [doc], one here). Once applied, a plan reads the two marked lists
    and nothing else."""
    repo.sandbox.context.settings = replace(repo.sandbox.settings, previsto_max_page_size=1000)
    seed_250_assignments(repo, http)
    cli("plan", repo.root)
    assert previsto_lists(repo) == [
        (f"{MARKED}&page=0&size=1000", 200), (f"{PROTECTED}&page=0&size=1000", 200),
        ("page=0&size=1000", 200),
    ]
    cli("apply", repo.root, "--auto-approve")
    repo.forget_requests()
    cli("plan", repo.root, "--detailed-exitcode", expect=0)
    assert previsto_lists(repo) == [
        (f"{MARKED}&page=0&size=1000", 200), (f"{PROTECTED}&page=0&size=1000", 200),
    ]


def test_250_assignments_cost_three_pages_of_100_after_one_refusal(
    repo: Repo, cli: Run, http: httpx.Client
) -> None:
    """api-contract.md, Previsto — Pagination: a server that allows 100 (the seed) refuses
    `size=1000` with 400 `param: size`; the client falls back once for the run."""
    seed_250_assignments(repo, http)
    cli("plan", repo.root)
    lists = previsto_lists(repo)
    assert lists[:4] == [
        (f"{MARKED}&page=0&size=1000", 400), (f"{MARKED}&page=0&size=100", 200),
        (f"{PROTECTED}&page=0&size=100", 200), ("page=0&size=100", 200),
    ]
    # Pages after the first are read a few at a time: in any order.
    assert sorted(lists[4:]) == [("page=1&size=100", 200), ("page=2&size=100", 200)]


def test_a_new_select_is_read_by_its_id_and_many_by_the_cheaper_walk(
    repo: Repo, cli: Run, http: httpx.Client
) -> None:
    """api-contract.md, Previsto — Filtering: any property as an equality parameter [doc]. A
    `select: {id}` that no marked assignment settles is read with `?id=`; when more are left
    than two, the first page tells how long a walk is, and the cheaper is taken (here the
    walk: 250 assignments are one page of 1000)."""
    repo.sandbox.context.settings = replace(repo.sandbox.settings, previsto_max_page_size=1000)
    seed_250_assignments(repo, http)
    cli("apply", repo.root, "--auto-approve")
    (jan,) = new_assignments(http, 1)
    extra = new_assignments(http, 3)
    repo.write("b.yaml", f"version: 1\nassignments:\n  - key: feb\n    select: {{id: {jan}}}\n"
                         "    metadata: {crew: south}\n")
    repo.forget_requests()
    result = cli("plan", repo.root, "--detailed-exitcode", expect=2)
    assert "assignments.feb" in result.stdout
    assert previsto_lists(repo) == [
        (f"{MARKED}&page=0&size=1000", 200), (f"{PROTECTED}&page=0&size=1000", 200),
        (f"id={jan}&page=0&size=1000", 200),
    ]
    repo.write("c.yaml", "version: 1\nassignments:\n" + "".join(
        f"  - key: more-{n}\n    select: {{id: {ident}}}\n    metadata: {{crew: east}}\n"
        for n, ident in enumerate(extra)
    ))
    repo.forget_requests()
    cli("plan", repo.root, "--detailed-exitcode", expect=2)
    assert previsto_lists(repo) == [
        (f"{MARKED}&page=0&size=1000", 200), (f"{PROTECTED}&page=0&size=1000", 200),
        ("page=0&size=1000", 200),
    ]


def test_a_select_by_properties_is_read_by_the_documented_filters(
    repo: Repo, cli: Run, http: httpx.Client
) -> None:
    """api-contract.md, Previsto — Filtering [doc]: a select of a contact and a day is read with
    `?contactId=` (the day, a part of plan.executionTime, is checked by the client), once the
    scope's marked assignments are known; it must still match exactly one."""
    repo.sandbox.context.settings = replace(repo.sandbox.settings, previsto_max_page_size=1000)
    seed_250_assignments(repo, http)
    contact = http.get("/previsto/assignments", params={"id": "asgmt-Q8n2Lm4Rt7Vx1"},
                       auth=PREVISTO).json()[0]["contactId"]
    cli("apply", repo.root, "--auto-approve")
    repo.write("b.yaml", "version: 1\nassignments:\n  - key: feb\n"
                         f"    select: {{contact_id: {contact}, date: 2027-02-11}}\n"
                         "    metadata: {crew: south}\n")
    repo.forget_requests()
    result = cli("plan", repo.root, "--detailed-exitcode", expect=2)
    assert "assignments.feb" in result.stdout
    assert previsto_lists(repo)[2:] == [(f"contactId={contact}&page=0&size=1000", 200)]
    repo.write("b.yaml", "version: 1\nassignments:\n  - key: feb\n"
                         f"    select: {{contact_id: {contact}}}\n    metadata: {{crew: south}}\n")
    result = cli("plan", repo.root, expect=1)
    assert "matches 2 assignments; it must match exactly one" in result.stderr


@pytest.mark.parametrize("protected", [False, True])
def test_a_marked_assignment_no_longer_declared_is_found_for_prune(
    repo: Repo, cli: Run, http: httpx.Client, protected: bool
) -> None:
    """The scope's marked lists hold what the configuration no longer declares, protected or
    not: --prune removes the one, and protection holds the other."""
    repo.sandbox.context.settings = replace(repo.sandbox.settings, previsto_max_page_size=1000)
    ids = new_assignments(http, 2)
    flag = "    protect: true\n" if protected else ""
    repo.write("a.yaml", "version: 1\nassignments:\n" + "".join(
        f"  - key: k{n}\n    select: {{id: {ident}}}\n    metadata: {{crew: north}}\n{flag}"
        for n, ident in enumerate(ids)
    ))
    cli("apply", repo.root, "--auto-approve")
    repo.write("a.yaml", "version: 1\nassignments:\n  - key: k0\n"
                         f"    select: {{id: {ids[0]}}}\n    metadata: {{crew: north}}\n{flag}")
    repo.forget_requests()
    result = cli("plan", repo.root, "--prune", "--detailed-exitcode", expect=None)
    assert "assignments.k1" in result.stdout + result.stderr
    assert result.exit_code == (0 if protected else 2)
    assert len(previsto_lists(repo)) == 2
