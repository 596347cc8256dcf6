"""Plan, apply and plan again against a Prevail that answers only as its public docs show.

The server is `tests/fixtures/docs_prevail.py`, not the sandbox: no `request_id`, no
`{"session": ...}` envelope, a request's state only under `session_state`. Each step asserts the
exact requests the server saw.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.docs_prevail import API_KEY, COMPANY_ID, DocsPrevail, Seen
from tests.fixtures.repo import Run

STACK = "depositions"
# The marker the client writes: the scope's line, then the key's (api-contract.md, Prevail:
# identity marker on the last lines of additional_details).
MARKER = f"reconciler-scope: {STACK}\nreconciler-key: "


def schedule_yaml(docs: DocsPrevail, sessions: str) -> str:
    listed = f"sessions:\n{sessions}" if sessions else "sessions: []\n"
    return f"""version: 1
providers:
  stack: {STACK}
  prevail:
    base_url: {docs.url}
    company_id: ${{PREVAIL_COMPANY_ID}}
    api_key: ${{PREVAIL_API_KEY}}
{listed}"""


SMITH = """  - key: smith
    title: Deposition of J. Smith
    case: 2027-CV-0142
    start: 2027-06-01T09:00
    time_zone: America/New_York
    duration_hours: 1.5
    deponent: {name: Jane Smith, email: jane@example.com, role: witness}
    invites: [counsel@example.com]
    interpreter: ""
    details: Bring exhibits A-F.
"""
JONES = """  - key: jones
    title: Hearing of B. Jones
    case: 2027-CV-0198
    start: 2027-06-02T14:30
    time_zone: Pacific Time (US & Canada)
"""
CHEN = """  - key: chen
    title: Deposition of J. Chen
    case: Chen v. Harbor Freight Lines
    start: 2027-06-03T09:00
    time_zone: (GMT-06:00) Central Time (US & Canada)
    via: request
"""


@pytest.fixture
def schedule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, docs_prevail: DocsPrevail) -> Path:
    monkeypatch.setenv("PREVAIL_COMPANY_ID", COMPANY_ID)
    monkeypatch.setenv("PREVAIL_API_KEY", API_KEY)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "schedule.yaml"


Request = tuple[str, str, dict[str, str], object]

DAY = 86_400
WINDOW_START = 1_799_020_800 - DAY  # 2027-01-04T00:00:00Z, the pinned now, less a day
WINDOW_END = 1_799_020_800 + 36_526 * DAY  # a century and a day on


def in_order(requests: list[Request]) -> list[Request]:
    """A fixed order for requests that apply may send side by side."""
    return sorted(requests, key=lambda request: json.dumps(request, sort_keys=True))


def writes(docs: DocsPrevail) -> list[Request]:
    return in_order([(seen.method, seen.path, seen.query, seen.body) for seen in docs.writes()])


def session_id(docs: DocsPrevail, key: str) -> str:
    [found] = [
        session["remote_session_id"] for session in [*docs.sessions, *docs.requests]
        if session["session_details"]["additional_details"].endswith(MARKER + key)
    ]
    return str(found)


def lists(docs: DocsPrevail) -> list[Seen]:
    return [seen for seen in docs.seen if seen.method == "GET"]


def test_sessions_are_created_edited_and_cancelled_with_the_documented_calls(
    docs_prevail: DocsPrevail, schedule: Path, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """api-contract.md, Prevail: create, list (pagy, over the `start_time`/`end_time` window
    [doc] from a day before now to a century ahead), edit (subset, start trio) and cancel."""
    monkeypatch.setenv("RECONCILER_NOW", "2027-01-04T00:00:00Z")
    schedule.write_text(schedule_yaml(docs_prevail, SMITH + JONES))
    cli("plan", schedule, "--detailed-exitcode", expect=2)
    cli("apply", schedule, "--auto-approve")
    assert writes(docs_prevail) == in_order([
        ("POST", "/sessions", {}, {"session_request": {
            "invites": [],
            "remote_session": {
                "title": "Hearing of B. Jones", "case": "2027-CV-0198",
                "start_date": "2027-06-02", "start_time": "02:30 PM",
                "time_zone": "America/Los_Angeles",
            },
            "session_details": {"additional_details": f"{MARKER}jones"},
        }}),
        ("POST", "/sessions", {}, {"session_request": {
            "invites": [{"email": "counsel@example.com", "access_level": "participant"}],
            "remote_session": {
                "title": "Deposition of J. Smith", "case": "2027-CV-0142",
                "estimated_duration": 1.5, "start_date": "2027-06-01", "start_time": "09:00 AM",
                "time_zone": "America/New_York",
            },
            "session_details": {"interpreter": "",
                                "additional_details": f"Bring exhibits A-F.\n{MARKER}smith"},
            "deponent": {"name": "Jane Smith", "email": "jane@example.com", "role": "witness"},
        }}),
    ])
    assert [session["state"] for session in docs_prevail.sessions] == ["ready", "ready"]

    docs_prevail.forget()
    cli("plan", schedule, "--detailed-exitcode", expect=0)
    assert [(seen.path, seen.query) for seen in docs_prevail.seen] == [
        ("/sessions", {"page": "1", "per_page": "1000", "start_time": str(WINDOW_START),
                       "end_time": str(WINDOW_END)})
    ]

    smith_id, jones_id = session_id(docs_prevail, "smith"), session_id(docs_prevail, "jones")
    moved = SMITH.replace("Deposition of J. Smith", "Deposition of J. Smith (day 1)").replace(
        "2027-06-01T09:00", "2027-06-01T10:00"
    )
    schedule.write_text(schedule_yaml(docs_prevail, moved))
    docs_prevail.forget()
    cli("apply", schedule, "--auto-approve", "--prune")
    assert writes(docs_prevail) == in_order([
        ("PATCH", f"/sessions/{jones_id}/cancel", {"cancel_without_email": "false"}, None),
        ("PATCH", f"/sessions/{smith_id}", {}, {"remote_session": {
            "title": "Deposition of J. Smith (day 1)", "start_date": "2027-06-01",
            "start_time": "10:00 AM", "time_zone": "America/New_York",
        }}),
    ])
    states = {session["title"]: session["state"] for session in docs_prevail.sessions}
    assert states == {"Hearing of B. Jones": "canceled", "Deposition of J. Smith (day 1)": "ready"}

    docs_prevail.forget()
    cli("plan", schedule, "--detailed-exitcode", "--prune", expect=0)
    assert writes(docs_prevail) == []


def test_a_pending_request_is_found_again_by_its_session_state(
    docs_prevail: DocsPrevail, schedule: Path, cli: Run
) -> None:
    """api-contract.md, Prevail: a request's state is `session_state`; it is not submitted twice.

    Also: a zone declared in Rails' display form is sent as its IANA name and read back as the
    same zone.
    """
    schedule.write_text(schedule_yaml(docs_prevail, CHEN))
    cli("apply", schedule, "--auto-approve")
    assert writes(docs_prevail) == [
        ("POST", "/session_requests", {}, {"session_request": {
            "invites": [],
            "remote_session": {
                "title": "Deposition of J. Chen", "case": "Chen v. Harbor Freight Lines",
                "start_date": "2027-06-03", "start_time": "09:00 AM",
                "time_zone": "America/Chicago",
            },
            "session_details": {"additional_details": f"{MARKER}chen"},
        }}),
    ]
    [pending] = docs_prevail.requests
    assert pending["session_state"] == "initial" and pending["remote_session_id"] is None

    docs_prevail.forget()
    cli("plan", schedule, "--detailed-exitcode", expect=0)
    cli("apply", schedule, "--auto-approve")
    assert writes(docs_prevail) == []
    assert {seen.path for seen in lists(docs_prevail)} == {"/sessions", "/session_requests"}


def test_a_pending_request_without_an_id_is_held_back_until_scheduled(
    docs_prevail: DocsPrevail, schedule: Path, cli: Run
) -> None:
    """api-contract.md, Prevail: edit and cancel go by `remote_session_id`, which a request
    gets only when staff schedule it; then it is edited and cancelled like any session."""
    schedule.write_text(schedule_yaml(docs_prevail, CHEN))
    cli("apply", schedule, "--auto-approve")
    renamed = CHEN.replace("Deposition of J. Chen", "Deposition of James Chen")
    schedule.write_text(schedule_yaml(docs_prevail, renamed))

    docs_prevail.forget()
    held = cli("plan", schedule, "--detailed-exitcode", expect=0)
    assert "Skipped sessions.chen" in held.stdout
    assert "no remote_session_id until Prevail staff schedule it" in held.stdout
    cli("apply", schedule, "--auto-approve")
    assert writes(docs_prevail) == []

    session = docs_prevail.schedule()
    docs_prevail.forget()
    cli("apply", schedule, "--auto-approve")
    assert writes(docs_prevail) == [
        ("PATCH", f"/sessions/{session['remote_session_id']}", {},
         {"remote_session": {"title": "Deposition of James Chen"}}),
    ]
    docs_prevail.forget()
    cli("plan", schedule, "--detailed-exitcode", expect=0)

    # Another session stays declared: a configuration that declares no sessions prunes none.
    schedule.write_text(schedule_yaml(docs_prevail, JONES))
    cli("apply", schedule, "--auto-approve", "--prune")
    assert (
        "PATCH", f"/sessions/{session['remote_session_id']}/cancel",
        {"cancel_without_email": "false"}, None,
    ) in writes(docs_prevail)
    assert docs_prevail.sessions[0]["state"] == "canceled"


def test_a_pending_request_of_before_scopes_is_held_back_not_adopted(
    docs_prevail: DocsPrevail, schedule: Path, cli: Run
) -> None:
    """api-contract.md, Prevail: cancel goes by `remote_session_id`, which a pending request
    lacks: adopting one from before scopes (cancel, then schedule anew) waits as any change
    to it does, rather than planning a cancel that has no id to name."""
    schedule.write_text(schedule_yaml(docs_prevail, CHEN))
    cli("apply", schedule, "--auto-approve")
    [pending] = docs_prevail.requests
    pending["session_details"]["additional_details"] = "reconciler-key: chen"  # no scope line

    docs_prevail.forget()
    held = cli("apply", schedule, "--auto-approve", "--adopt-unscoped")
    assert "Skipped sessions.chen: managed before scopes" in held.stdout
    assert "no remote_session_id until Prevail staff schedule it" in held.stdout
    assert "/cancel" not in held.stdout
    assert writes(docs_prevail) == []


def test_the_plan_json_records_the_documented_request_shapes(
    docs_prevail: DocsPrevail, schedule: Path, cli: Run
) -> None:
    """api-contract.md, Prevail create: `estimated_duration` left out when not declared."""
    schedule.write_text(schedule_yaml(docs_prevail, JONES))
    planned = json.loads(cli("plan", schedule, "--format", "json").stdout)
    [change] = planned["changes"]
    [request] = change["requests"]
    assert "estimated_duration" not in request["body"]["session_request"]["remote_session"]
    assert docs_prevail.writes() == []
