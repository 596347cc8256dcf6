"""Client and sandbox agree on Prevail's spellings: zones, request states, older field names.

Sessions are seeded in the sandbox as another client (or Prevail's own app) would have made them,
then the CLI plans against a YAML that says the same thing another way.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fixtures.repo import SCOPE, Repo, Run


def seed_session(http: httpx.Client, key: str, **fields: Any) -> None:
    session = {
        "title": "Deposition of A. Nurlanova",
        "case": "2027-CV-0311",
        "start_date": "2027-03-02",
        "start_time": "09:00 AM",
        "estimated_duration": 2,
        "invites": [{"email": "counsel@example.com", "access_level": "participant"}],
        "session_details": {
            "additional_details": f"reconciler-scope: {SCOPE}\nreconciler-key: {key}"
        },
        **fields,
    }
    assert http.post("/_sandbox/prevail/seed", json={"sessions": [session]}).status_code == 201


def declare(repo: Repo, key: str, zone: str, *, start: str = "2027-03-02T09:00") -> None:
    repo.write("sessions.yaml", f"""version: 1
sessions:
  - key: {key}
    title: Deposition of A. Nurlanova
    case: 2027-CV-0311
    start: {start}
    time_zone: "{zone}"
    duration_hours: 2
    invites: [counsel@example.com]
""")


def test_astana_declared_as_asia_almaty_at_the_same_wall_clock_is_no_change(
    repo: Repo, cli: Run, http: httpx.Client
) -> None:
    """api-contract.md, Prevail time zones (acceptance): `Astana` → Asia/Almaty, not Dhaka."""
    seed_session(http, "nurlanova", time_zone="Astana")
    declare(repo, "nurlanova", "Asia/Almaty")
    repo.forget_requests()
    cli("plan", repo.root, "--detailed-exitcode", expect=0)
    declare(repo, "nurlanova", "Asia/Dhaka")  # an hour apart since March 2024
    assert "reason: start, time_zone differ" in cli(
        "plan", repo.root, "--detailed-exitcode", expect=2
    ).stdout


@pytest.mark.parametrize(
    ("remote", "declared"),
    [
        ("Asuncion", "America/Asuncion"),
        ("(GMT-05:00) Eastern Time (US & Canada)", "US/Eastern"),
        ("Eastern Time (US & Canada)", "(GMT-05:00) Eastern Time (US & Canada)"),
        # Etc/GMT+12 is refused in YAML (a fixed offset), but Prevail may hold it as sent.
        ("Etc/GMT+12", "International Date Line West"),
        ("Pacific Time (Canada)", "America/Vancouver"),
        ("Alberta", "America/Edmonton"),
    ],
)
def test_every_spelling_of_one_zone_plans_no_change(
    repo: Repo, cli: Run, http: httpx.Client, remote: str, declared: str
) -> None:
    """api-contract.md, Prevail time zones: every spelling of one zone is equal (no drift)."""
    seed_session(http, "spelled", time_zone=remote)
    declare(repo, "spelled", declared)
    cli("plan", repo.root, "--detailed-exitcode", expect=0)


def test_a_session_declared_in_asuncion_is_created_and_then_converged(
    repo: Repo, cli: Run
) -> None:
    """api-contract.md, Prevail time zones (acceptance): `Asuncion` accepted and understood."""
    declare(repo, "asuncion", "Asuncion", start="2027-07-01T10:00")
    cli("apply", repo.root, "--auto-approve")
    [create] = repo.writes()
    remote = create.body["session_request"]["remote_session"]  # type: ignore[index]
    assert (remote["start_date"], remote["start_time"]) == ("2027-07-01", "10:00 AM")
    assert remote["time_zone"] == "America/Asuncion"
    repo.forget_requests()
    cli("plan", repo.root, "--detailed-exitcode", expect=0)


def test_a_pending_request_is_not_submitted_again_and_fallbacks_show_at_v(
    repo: Repo, cli: Run
) -> None:
    """api-contract.md, Prevail: the client reads a request's `session_state`; a fallback
    (here the sandbox's `request_id`, which the docs do not show) is logged once at -v."""
    declare(repo, "pending", "Eastern Time (US & Canada)")
    with open(repo.root / "sessions.yaml", "a", encoding="utf-8") as yaml:
        yaml.write("    via: request\n")
    cli("apply", repo.root, "--auto-approve")
    assert [w.path for w in repo.writes()] == ["/prevail/session_requests"]
    repo.forget_requests()
    quiet = cli("plan", repo.root, "--detailed-exitcode", expect=0)
    assert "request_id" not in quiet.stderr
    verbose = cli("-v", "plan", repo.root, "--detailed-exitcode", expect=0)
    assert verbose.stderr.count("identified a pending request by `request_id`") == 1
    assert repo.writes() == []


def test_an_older_interpreter_false_is_sent_as_no_languages(repo: Repo, cli: Run) -> None:
    """api-contract.md, Prevail create: `interpreter` is a string; an old `false` means ""."""
    declare(repo, "no-interpreter", "America/New_York")
    with open(repo.root / "sessions.yaml", "a", encoding="utf-8") as yaml:
        yaml.write("    interpreter: false\n")
    cli("apply", repo.root, "--auto-approve")
    [create] = repo.writes()
    assert create.body["session_request"]["session_details"]["interpreter"] == ""  # type: ignore[index]
    cli("plan", repo.root, "--detailed-exitcode", expect=0)
