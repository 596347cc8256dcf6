"""Refresh costs ⌈N / largest page⌉ list requests per kind, never one request per object."""

from __future__ import annotations

from dataclasses import replace

import httpx

from tests.fixtures.repo import SCOPE, Repo, Run


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


def seed_250_assignments(repo: Repo, http: httpx.Client) -> None:
    seeded = http.post(
        "/_sandbox/previsto/assignments",
        json={"assignments": [{"meta": {"note": f"n{n}"}} for n in range(245)]},
    )
    assert seeded.status_code == 201, seeded.text
    total = int(http.get("/previsto/assignments", auth=("sk_sandbox", "")).headers["X-Total-Count"])
    assert total == 250  # 245 seeded here + the 5 the demo organisation starts with
    repo.write(
        "a.yaml",
        "version: 1\nassignments:\n  - key: jan\n    select: {id: asgmt-klJ23j4L23j43}\n"
        "    metadata: {crew: north}\n",
    )
    repo.forget_requests()


def test_250_assignments_cost_one_request_where_pages_of_1000_are_served(
    repo: Repo, cli: Run, http: httpx.Client
) -> None:
    """api-contract.md, Previsto — Pagination: the newer pages allow `size` up to 1000 [doc]."""
    repo.sandbox.context.settings = replace(repo.sandbox.settings, previsto_max_page_size=1000)
    seed_250_assignments(repo, http)
    cli("plan", repo.root)
    walks = repo.lists("/previsto/assignments")
    assert [(record.query, record.status) for record in walks] == [("page=0&size=1000", 200)]


def test_250_assignments_cost_three_pages_of_100_after_one_refusal(
    repo: Repo, cli: Run, http: httpx.Client
) -> None:
    """api-contract.md, Previsto — Pagination: a server that allows 100 (the seed) refuses
    `size=1000` with 400 `param: size`; the client falls back once for the run."""
    seed_250_assignments(repo, http)
    cli("plan", repo.root)
    walks = [(record.query, record.status) for record in repo.lists("/previsto/assignments")]
    assert walks[:2] == [("page=0&size=1000", 400), ("page=0&size=100", 200)]
    # Pages after the first are read a few at a time: in any order.
    assert sorted(walks[2:]) == [("page=1&size=100", 200), ("page=2&size=100", 200)]
