"""`--target ADDRESS`: plan and apply only the named objects, prune only among them (against the
sandbox over HTTP, asserting on the writes it saw)."""

from __future__ import annotations

import json

from tests.fixtures.repo import Repo, Run

SESSION = """  - key: {key}
    title: Hearing {key}
    case: 2027-CV-0142
    start: {start}
    time_zone: America/New_York
    duration_hours: 1
    invites: [counsel@example.com]
"""


def sessions(repo: Repo, starts: dict[str, str], extra: str = "") -> None:
    body = "".join(SESSION.format(key=key, start=start) for key, start in starts.items())
    repo.write("sessions.yaml", f"version: 1\nsessions:\n{body}{extra}")


def hearings(count: int, hour: int) -> dict[str, str]:
    return {f"h{n}": f"2027-03-{n + 2:02d}T{hour:02d}:00" for n in range(count)}


def test_a_target_plans_and_applies_only_its_object(repo: Repo, cli: Run):
    sessions(repo, hearings(10, 9))
    cli("apply", repo.root, "--auto-approve")
    sessions(repo, hearings(10, 10))  # all ten move: 100 % of them, past the 30 % rail

    full = cli("plan", repo.root, "--format", "json").stdout
    assert any("apply will refuse" in w for w in json.loads(full)["warnings"])

    planned = json.loads(cli("plan", repo.root, "--target", "sessions.h3", "--format",
                             "json").stdout)
    assert [change["address"] for change in planned["changes"]] == ["sessions.h3"]
    assert not any("apply will refuse" in w for w in planned["warnings"])
    assert any(w.startswith("--target sessions.h3: this plan covers only") for w in
               planned["warnings"])

    repo.forget_requests()
    cli("apply", repo.root, "--auto-approve", "--target", "sessions.h3")
    writes = repo.writes()
    assert len(writes) == 1 and writes[0].method == "PATCH"
    remaining = json.loads(cli("plan", repo.root, "--format", "json").stdout)
    assert len(remaining["changes"]) == 9
    assert "sessions.h3" not in [change["address"] for change in remaining["changes"]]


def test_prune_with_targets_removes_only_among_them(repo: Repo, cli: Run):
    sessions(repo, hearings(4, 9))
    cli("apply", repo.root, "--auto-approve")
    sessions(repo, {"h3": hearings(4, 9)["h3"]})  # h0, h1 and h2 no longer declared

    repo.forget_requests()
    result = cli("apply", repo.root, "--auto-approve", "--prune", "--target", "sessions.h1")
    assert "sessions.h1: cancelled" in result.stdout
    writes = repo.writes()
    assert len(writes) == 1 and writes[0].path.endswith("/cancel")
    left = json.loads(cli("plan", repo.root, "--prune", "--format", "json").stdout)
    assert sorted(change["address"] for change in left["changes"]) == [
        "sessions.h0", "sessions.h2"]


SERIES = """  - key: status
    title: Status conference
    case: 2027-CV-0142
    start: 2027-03-08T16:00
    time_zone: America/New_York
    duration_hours: 0.5
    invites: [counsel@example.com]
    recurrence: {rrule: "FREQ=WEEKLY;BYDAY=MO;COUNT=3"}
"""


def test_a_series_target_takes_its_occurrences(repo: Repo, cli: Run):
    sessions(repo, hearings(2, 9))
    cli("apply", repo.root, "--auto-approve")
    sessions(repo, hearings(2, 9), extra=SERIES)
    planned = json.loads(cli("plan", repo.root, "--target", "sessions.status", "--target",
                             "sessions.h0", "--format", "json").stdout)
    assert [change["address"] for change in planned["changes"]] == [
        "sessions.status@2027-03-08", "sessions.status@2027-03-15", "sessions.status@2027-03-22"]
    assert "--target: nothing to change for sessions.h0" in planned["warnings"]


def test_a_bad_target_or_a_saved_plan_beyond_the_targets_is_refused(repo: Repo, cli: Run):
    sessions(repo, hearings(2, 9))
    bad = cli("plan", repo.root, "--target", "hearing-1", expect=1)
    assert "--target 'hearing-1': write KIND.KEY" in bad.stderr
    cli("plan", repo.root, "-o", "plan.json")
    repo.forget_requests()
    refused = cli("apply", "plan.json", "--auto-approve", "--target", "sessions.h0", expect=1)
    assert "changes sessions.h1, which --target does not name" in refused.stderr
    assert repo.writes() == []


def test_a_saved_targeted_plan_is_verified_and_applies_only_its_changes(repo: Repo, cli: Run):
    sessions(repo, hearings(3, 9))
    cli("apply", repo.root, "--auto-approve")
    sessions(repo, hearings(3, 10))
    cli("plan", repo.root, "--target", "sessions.h1", "-o", "plan.json")
    repo.forget_requests()
    # As the Action passes the same args to the saved plan's apply.
    applied = cli("apply", "plan.json", "--auto-approve", "--target", "sessions.h1")
    assert "sessions.h1: updated" in applied.stdout
    writes = repo.writes()
    assert len(writes) == 1 and writes[0].method == "PATCH"
    assert len(json.loads(cli("plan", repo.root, "--format", "json").stdout)["changes"]) == 2
