"""Notifications end to end: the CLI against the sandbox, Apprise delivering to an endpoint on
loopback; the tests read the payloads exactly as a webhook receives them."""

from __future__ import annotations

from reconciler.sandbox.faults import Fault
from tests.fixtures.faults import FAST, event
from tests.fixtures.repo import Repo, Run
from tests.notify.conftest import Inbox, notify_to

TWO_EVENTS = "version: 1\nevents:\n" + event("n-one", "One", 3) + event("n-two", "Two", 4)
THREE_EVENTS = TWO_EVENTS + event("n-three", "Three", 5)


def numbered(count: int) -> str:
    """`count` events; the safety rails judge a mass change from 10 managed objects of a kind."""
    return "version: 1\nevents:\n" + "".join(
        event(f"n-{day}", f"Event {day}", day) for day in range(1, count + 1)
    )


def test_one_message_per_run_with_changes_and_none_without(repo: Repo, cli: Run, inbox: Inbox):
    notify_to(repo)
    repo.write("events.yaml", TWO_EVENTS)
    cli("apply", repo.root, "--auto-approve")
    assert inbox.first_lines == ["2 events created"]
    (payload,) = inbox.payloads
    assert payload["title"] == "reconciler apply in schedule: apply-succeeded"
    assert payload["type"] == "success"
    assert "✓ events.n-one: created" in payload["message"]
    assert "Scope: schedule" in payload["message"]

    cli("apply", repo.root, "--auto-approve")  # no changes: nothing happened
    cli("plan", repo.root)
    assert len(inbox.payloads) == 1


def test_the_first_line_says_what_happened_to_the_schedule(repo: Repo, cli: Run, inbox: Inbox):
    repo.write("events.yaml", THREE_EVENTS)
    cli("apply", repo.root, "--auto-approve")
    notify_to(repo)
    # n-one moves two days later, n-two is renamed, n-three is gone (pruned).
    repo.write(
        "events.yaml",
        "version: 1\nevents:\n" + event("n-one", "One", 5) + event("n-two", "Two renamed", 4),
    )
    cli("apply", repo.root, "--auto-approve", "--prune", "--max-change-percent", "100")
    assert inbox.first_lines == ["1 event rescheduled, 1 updated, 1 deleted"]


def test_a_partial_apply_names_what_failed(repo: Repo, cli: Run, inbox: Inbox):
    repo.write("events.yaml", TWO_EVENTS)
    cli("apply", repo.root, "--auto-approve")
    notify_to(repo)
    repo.write(
        "events.yaml",
        "version: 1\nevents:\n" + event("n-one", "One again", 3) + event("n-two", "Two again", 4),
    )
    broken = repo.sandbox.store.query(
        "prospero.events", where={"customFields.reconciler_key": "n-one"}
    ).documents[0]["id"]
    repo.sandbox.faults.add(
        Fault(kind="status", status=500, path=f"/events/{broken}$", method="PATCH", times=5)
    )
    cli(*FAST, "apply", repo.root, "--auto-approve", expect=1)
    (payload,) = inbox.payloads
    assert payload["title"] == "reconciler apply in schedule: apply-partial"
    assert payload["type"] == "warning"
    body = payload["message"].splitlines()
    assert body[0] == "1 event updated; failed: 1 event to update"
    assert any(
        line.startswith("✗ events.n-one: update failed: ") and "500" in line for line in body
    ), body
    assert "✓ events.n-two: updated" in body


def test_a_refused_apply_is_notified_and_still_exits_1(repo: Repo, cli: Run, inbox: Inbox):
    repo.write("events.yaml", numbered(10))
    cli("apply", repo.root, "--auto-approve")
    notify_to(repo, ["plan-refused"])
    repo.write("events.yaml", numbered(6))
    repo.forget_requests()
    refused = cli("apply", repo.root, "--auto-approve", "--prune", expect=1)
    assert "refusing to apply" in refused.stderr
    (payload,) = inbox.payloads
    assert payload["title"] == "reconciler apply in schedule: plan-refused"
    assert payload["type"] == "failure"
    lines = payload["message"].splitlines()
    assert lines[0] == "Refused: 4 events to delete"
    assert any(line.startswith("refusing to apply: ") for line in lines), lines
    assert repo.writes() == []


def test_plan_says_in_advance_that_apply_will_refuse(repo: Repo, cli: Run, inbox: Inbox):
    repo.write("events.yaml", numbered(10))
    cli("apply", repo.root, "--auto-approve")
    notify_to(repo)
    repo.write("events.yaml", numbered(6))
    cli("plan", repo.root, "--prune")
    (payload,) = inbox.payloads
    assert payload["title"] == "reconciler plan in schedule: plan-refused"
    assert payload["message"].splitlines()[0] == "Refused: 4 events to delete"


def test_a_target_hears_only_its_triggers(repo: Repo, cli: Run, inbox: Inbox):
    notify_to(repo, ["apply-failed", "apply-partial"])
    repo.write("events.yaml", TWO_EVENTS)
    cli("apply", repo.root, "--auto-approve")
    assert inbox.payloads == []


def test_the_message_links_the_actions_run_and_the_pull_request(
    repo: Repo, cli: Run, inbox: Inbox, monkeypatch, tmp_path
):
    event_path = tmp_path / "event.json"
    event_path.write_text(
        '{"pull_request": {"number": 7, "head": {"sha": "abc"}}}', encoding="utf-8"
    )
    for name, value in {
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_REPOSITORY": "firm/schedule",
        "GITHUB_RUN_ID": "42",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event_path),
    }.items():
        monkeypatch.setenv(name, value)
    notify_to(repo)
    repo.write("events.yaml", TWO_EVENTS)
    cli("apply", repo.root, "--auto-approve")
    lines = inbox.bodies[0].splitlines()
    assert lines[-2:] == [
        "Pull request: https://github.example/firm/schedule/pull/7",
        "Run: https://github.example/firm/schedule/actions/runs/42",
    ]


def test_sandbox_runs_notify_no_one(repo: Repo, cli: Run, inbox: Inbox):
    notify_to(repo)
    repo.write("events.yaml", TWO_EVENTS)
    cli("apply", repo.root, "--auto-approve", "--sandbox", "--sandbox-db", "s.db")
    assert inbox.payloads == []


def test_an_apply_that_stops_on_an_error_is_a_failed_apply(
    repo: Repo, cli: Run, inbox: Inbox, monkeypatch
):
    notify_to(repo)
    repo.write("events.yaml", TWO_EVENTS)
    monkeypatch.setenv("PROSPERO_PASSWORD", "not-the-password")
    stopped = cli("apply", repo.root, "--auto-approve", expect=1)
    (payload,) = inbox.payloads
    assert payload["title"] == "reconciler apply in schedule: apply-failed"
    lines = payload["message"].splitlines()
    assert lines[0] == "Apply stopped"
    # The error the run printed, in the message too (without the password).
    assert f"Error: {lines[2]}" in stopped.stderr
    assert "not-the-password" not in payload["message"]


def deposition(key: str, day: int, hour: str) -> str:
    return (
        f"  - key: {key}\n    title: Deposition {key}\n    case: 2027-CV-0142\n"
        f"    start: 2027-03-{day:02d}T{hour}\n    time_zone: America/New_York\n"
        f"    duration_hours: 1\n    invites: [counsel@example.com]\n"
    )


def test_the_notifications_guide_example_three_sessions_rescheduled_one_cancelled(
    repo: Repo, cli: Run, inbox: Inbox, monkeypatch
):
    keys = ["smith", "jones", "okafor", "lee"]
    repo.write(
        "sessions.yaml",
        "version: 1\nsessions:\n"
        + "".join(deposition(key, 2 + day, "09:00") for day, key in enumerate(keys)),
    )
    cli("apply", repo.root, "--auto-approve")
    notify_to(repo, name="team-slack")
    for name, value in {
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "firm/schedule",
        "GITHUB_RUN_ID": "7712345",
    }.items():
        monkeypatch.setenv(name, value)
    # Three depositions move to 11:00; lee's is dropped.
    repo.write(
        "sessions.yaml",
        "version: 1\nsessions:\n"
        + "".join(deposition(key, 2 + day, "11:00") for day, key in enumerate(keys[:3])),
    )
    cli("apply", repo.root, "--auto-approve", "--prune", "--max-change-percent", "100")
    assert inbox.payloads == [
        {
            "version": "1.0",
            "title": "reconciler apply in schedule: apply-succeeded",
            "message": "3 sessions rescheduled, 1 cancelled\n\n✓ sessions.lee: cancelled\n"
            "✓ sessions.jones: rescheduled\n✓ sessions.okafor: rescheduled\n"
            "✓ sessions.smith: rescheduled\n\nScope: schedule\n"
            "Run: https://github.com/firm/schedule/actions/runs/7712345",
            "attachments": [],
            "type": "success",
        }
    ]
