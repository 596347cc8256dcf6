"""Renames against servers that answer only as the providers' public docs show: Prospero takes
the new key in the documented merge patch; Prevail, whose documented edit cannot touch
additional_details, is edited (or left alone) and keeps being found by the old key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.docs_prevail import API_KEY, COMPANY_ID, DocsPrevail
from tests.fixtures.docs_prospero import DocsRepo
from tests.fixtures.repo import Run

GALA = """  - key: gala
    title: Winter Gala
    start: 2027-02-01T18:00:00Z
    end: 2027-02-01T23:00:00Z
"""
SMITH = """  - key: smith
    title: Deposition of J. Smith
    case: 2027-CV-0142
    start: 2027-06-01T09:00
    time_zone: America/New_York
    invites: [counsel@example.com]
"""


@pytest.fixture(autouse=True)
def _now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2027-01-04T00:00:00Z")


def renamed(entry: str, old: str, new: str) -> str:
    return entry.replace(f"  - key: {old}\n", f"  - key: {new}\n    previous_keys: [{old}]\n", 1)


def test_a_renamed_event_is_one_documented_merge_patch(docs_repo: DocsRepo, cli: Run) -> None:
    server = docs_repo.server
    docs_repo.write("events.yaml", "version: 1\nevents:\n" + GALA)
    cli("apply", docs_repo.root, "--auto-approve")
    ident = server.by_key()["gala"]["id"]

    moved = renamed(GALA, "gala", "gala-2027").replace("Winter Gala", "Winter Gala 2027")
    docs_repo.write("events.yaml", "version: 1\nevents:\n" + moved)
    server.forget()
    cli("apply", docs_repo.root, "--auto-approve", "--prune")
    [patch] = [
        seen
        for seen in server.requests()
        if seen.method != "GET" and not seen.path.startswith("/auth/")
    ]
    assert (patch.method, patch.path, patch.body, patch.content_type) == (
        "PATCH",
        f"/events/{ident}",
        {"title": "Winter Gala 2027", "customFields": {"reconciler_key": "gala-2027"}},
        "application/merge-patch+json",
    )
    assert list(server.by_key()) == ["gala-2027"] and server.archive == {}
    assert "No changes" in cli("plan", docs_repo.root, "--prune", "--detailed-exitcode").stdout


def test_a_renamed_session_is_edited_in_place_and_found_by_its_old_key(
    docs_prevail: DocsPrevail, tmp_path: Path, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREVAIL_COMPANY_ID", COMPANY_ID)
    monkeypatch.setenv("PREVAIL_API_KEY", API_KEY)
    monkeypatch.chdir(tmp_path)
    providers = (
        "version: 1\nproviders:\n  stack: depositions\n  prevail:\n"
        f"    base_url: {docs_prevail.url}\n"
        "    company_id: ${PREVAIL_COMPANY_ID}\n    api_key: ${PREVAIL_API_KEY}\nsessions:\n"
    )
    schedule = tmp_path / "schedule.yaml"
    schedule.write_text(providers + SMITH)
    cli("apply", schedule, "--auto-approve")
    [session] = docs_prevail.sessions
    ident = session["remote_session_id"]

    schedule.write_text(
        providers
        + renamed(SMITH, "smith", "smith-2027").replace(
            "counsel@example.com]", "counsel@example.com, second@example.com]"
        )
    )
    docs_prevail.forget()
    planned = cli("apply", schedule, "--auto-approve", "--prune").stdout
    assert "~ sessions.smith-2027 (moved from sessions.smith)" in planned
    assert [(seen.method, seen.path, seen.body) for seen in docs_prevail.writes()] == [
        (
            "PATCH",
            f"/sessions/{ident}",
            {
                "remote_session": {
                    "invites": [{"email": "second@example.com", "access_level": "participant"}]
                }
            },
        ),
    ]
    assert [s["state"] for s in docs_prevail.sessions] == ["ready"]
    assert session["session_details"]["additional_details"].endswith("reconciler-key: smith")

    docs_prevail.forget()
    again = cli("apply", schedule, "--auto-approve", "--prune").stdout
    assert "it keeps the key smith, which identifies it" in again
    assert docs_prevail.writes() == []
