"""The clients on api-contract.md's points that no other test covered, against the sandbox."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import yaml

from reconciler.config import load_text
from reconciler.http import build_client
from reconciler.model import Location, ProviderSettings
from reconciler.providers.prevail import PrevailProvider
from tests.fixtures.clock import FakeClock
from tests.fixtures.repo import Repo, Run

SPECS = Path(__file__).resolve().parents[2] / "schemas" / "api"
PREVAIL_KEY = "sandbox-prevail-key"


@contextmanager
def prevail_client(base_url: str, sent: list[str]) -> Iterator[PrevailProvider]:
    """The Prevail provider as the CLI builds it; `sent` collects each request's bearer token."""
    settings = ProviderSettings(
        name="prevail",
        settings={"base_url": base_url, "company_id": "sandbox-co", "api_key": PREVAIL_KEY},
        secrets=frozenset({PREVAIL_KEY}),
        location=Location("providers.yaml", 1, 1),
    )

    def record(request: httpx.Request) -> None:
        sent.append(request.headers["Authorization"].removeprefix("Bearer "))

    with build_client("prevail", base_url, auth=PrevailProvider.auth(settings)) as client:
        client.event_hooks["request"].append(record)
        yield PrevailProvider(settings=settings, client=client)


def claims(token: str) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        decoded: dict[str, Any] = jwt.decode(
            token, PREVAIL_KEY, algorithms=["HS256"], options={"verify_exp": False}
        )
    return decoded


def test_the_prevail_base_url_defaults_to_the_documented_one() -> None:
    """api-contract.md, Prevail — Base URL [doc]: `https://prevail.ai/api/v1`, the default
    when a configuration names none, and the first server of the OpenAPI description."""
    text = ("providers:\n  prevail:\n    company_id: c\n    api_key: ${PREVAIL_API_KEY}\n")
    state = load_text(text, filename="providers.yaml", environ={"PREVAIL_API_KEY": "k"})
    assert state.providers["prevail"].settings["base_url"] == "https://prevail.ai/api/v1"
    spec = yaml.safe_load((SPECS / "prevail.openapi.yaml").read_text(encoding="utf-8"))
    assert spec["servers"][0]["url"] == "https://prevail.ai/api/v1"


def test_prevail_tokens_live_at_most_five_minutes_and_are_reminted_before_they_expire(
    sandbox_url: str, clock: FakeClock
) -> None:
    """api-contract.md, Prevail — Auth: an HS256 JWT over `{exp, slug: company_id}` signed with
    the API key, as `Authorization: Bearer` [doc]; [model] the client mints one per run with
    `exp` ≤ now + 300 s, keeps it while it is fresh and mints another before it expires."""
    sent: list[str] = []
    with prevail_client(f"{sandbox_url}/prevail", sent) as client:
        minted = clock.time()
        assert client.request("GET", "sessions").status_code == 200
        clock.advance(200)
        assert client.request("GET", "session_requests").status_code == 200
        clock.advance(50)  # less than a minute of the first token's life is left
        assert client.request("GET", "sessions").status_code == 200
    first, kept, reminted = sent
    assert jwt.get_unverified_header(first)["alg"] == "HS256"
    assert set(claims(first)) == {"exp", "slug"} and claims(first)["slug"] == "sandbox-co"
    assert 0 < claims(first)["exp"] - minted <= 300
    assert kept == first
    assert reminted != first
    assert claims(first)["exp"] > clock.time()  # the first one had not expired yet
    assert 0 < claims(reminted)["exp"] - clock.time() <= 300


def hearings(repo: Repo) -> list[dict[str, Any]]:
    documents = repo.sandbox.store.query("prevail.sessions").documents
    return [session for session in documents if session["title"] == "Hearing of B. Jones"]


SESSION = """version: 1
sessions:
  - key: hearing
    title: Hearing of B. Jones
    case: 2027-CV-0198
    start: 2027-06-02T14:30
    time_zone: America/New_York
    duration_hours: 1
    invites: [{invites}]
"""


def test_removing_an_invitee_cancels_the_session_and_schedules_it_anew(
    repo: Repo, cli: Run
) -> None:
    """api-contract.md, Prevail — Edit [doc]: invitees can be added but never removed; removing
    one means cancel and schedule anew. The plan says so, and apply cancels, then creates."""
    repo.write("sessions.yaml", SESSION.format(invites="a@example.com, b@example.com"))
    cli("apply", repo.root, "--auto-approve")
    [first] = hearings(repo)
    repo.write("sessions.yaml", SESSION.format(invites="a@example.com"))
    planned = cli("plan", repo.root, "--detailed-exitcode", expect=2).stdout
    assert "sessions.hearing will be cancelled and scheduled anew" in planned
    assert "invitees cannot be removed in place (b@example.com)" in planned

    repo.forget_requests()
    cli("apply", repo.root, "--auto-approve")
    writes = repo.writes()
    assert [(w.method, w.path) for w in writes] == [
        ("PATCH", f"/prevail/sessions/{first['remote_session_id']}/cancel"),
        ("POST", "/prevail/sessions"),
    ]
    assert writes[1].body["session_request"]["invites"] == [
        {"email": "a@example.com", "access_level": "participant"}
    ]
    assert sorted(session["state"] for session in hearings(repo)) == ["canceled", "ready"]
    cli("plan", repo.root, "--detailed-exitcode", expect=0)


def test_a_prospero_run_with_a_refresh_token_refreshes_once_and_never_logs_in(
    repo: Repo, cli: Run, sandbox_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """api-contract.md, Prospero — Auth: the client logs in (or refreshes) once per run: given
    only a refresh token, a run makes one `GET /auth/refresh` [doc] and no login."""
    monkeypatch.setenv("PROSPERO_REFRESH_TOKEN", "sandbox-prospero-refresh")
    repo.write("providers.yaml", "version: 1\nproviders:\n  prospero:\n"
               f"    base_url: {sandbox_url}/prospero\n"
               "    refresh_token: ${PROSPERO_REFRESH_TOKEN}\n")
    repo.write("events.yaml", "version: 1\nevents:\n  - key: gala\n    title: Gala\n"
               "    start: 2027-12-12T18:00:00Z\n    end: 2027-12-12T23:00:00Z\n")
    cli("apply", repo.root, "--auto-approve")
    auth = [r.path for r in repo.requests() if r.path.startswith("/prospero/auth/")]
    assert auth == ["/prospero/auth/refresh"]
    assert any(r.method == "POST" and r.path == "/prospero/events" and r.status == 201
               for r in repo.requests())
