"""The sandbox as api-contract.md's "The sandbox" section pins it, where no other test did.

Each test names its point; the emulators' own behaviour is tested in the per-provider packages.
"""

from __future__ import annotations

import re
import time
import warnings
from pathlib import Path

import httpx
import jwt
import pytest

from reconciler.sandbox import SandboxSettings, create_app
from reconciler.sandbox.app import Sandbox
from reconciler.sandbox.server import running
from tests.fixtures.faults import unmanaged_snapshot
from tests.fixtures.repo import EXAMPLES, SANDBOX_ENV, Repo, Run

ROOT = Path(__file__).resolve().parents[2]
# The README's tour and the sandbox's page in the documentation both list the credentials.
CREDENTIAL_PAGES = (ROOT / "README.md", ROOT / "docs" / "guides" / "sandbox.md")
PLAN_SUMMARY = re.compile(r"Plan: (\d+) to create, (\d+) to update, (\d+) to cancel/delete\.")
EVENT = {"event": {"title": "Kept?", "start": "2027-01-01T10:00:00Z",
                   "end": "2027-01-01T11:00:00Z"}}
PROSPERO_TOKEN = {"Authorization": "Bearer sandbox-prospero-token"}


def prevail_token(company_id: str, api_key: str) -> str:
    with warnings.catch_warnings():
        # The documented sandbox key is shorter than PyJWT's recommended 32 bytes.
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        return jwt.encode(
            {"exp": int(time.time()) + 300, "slug": company_id}, api_key, algorithm="HS256"
        )


def test_every_credential_printed_at_start_up_is_in_the_readme_and_works(
    sandbox: Sandbox, http: httpx.Client
) -> None:
    """api-contract.md, The sandbox: fixed credentials, printed at start-up and documented in the
    README (Prevail `sandbox-co`/`sandbox-prevail-key`, Prospero's user, password, access and
    refresh tokens, Previsto `sk_sandbox`), and on the sandbox's documentation page; each one is
    accepted by its emulator."""
    printed = {name: emulator.credentials for name, emulator in sandbox.emulators.items()}
    for page in CREDENTIAL_PAGES:
        text = page.read_text(encoding="utf-8")
        missing = [value for values in printed.values() for value in values.values()
                   if f"`{value}`" not in text]
        assert missing == [], page.name

    prevail, prospero, previsto = printed["prevail"], printed["prospero"], printed["previsto"]
    assert (prevail["company_id"], prevail["api_key"]) == ("sandbox-co", "sandbox-prevail-key")
    token = prevail_token(prevail["company_id"], prevail["api_key"])
    sessions = http.get("/prevail/sessions", headers={"Authorization": f"Bearer {token}"})
    assert sessions.status_code == 200

    assert set(prospero.values()) == {
        "sandbox@prospero.test", "sandbox-prospero-password", "sandbox-prospero-token",
        "sandbox-prospero-refresh", "readonly@prospero.test", "sandbox-prospero-readonly-password",
    }
    read_only = http.post("/prospero/auth/login", json={
        "email": "readonly@prospero.test", "password": "sandbox-prospero-readonly-password"})
    assert read_only.status_code == 200
    login = http.post("/prospero/auth/login", json={
        "email": "sandbox@prospero.test", "password": "sandbox-prospero-password"})
    assert login.status_code == 200
    whoami = http.get("/prospero/auth/whoami",
                      headers={"Cookie": "access_token=sandbox-prospero-token"})
    assert whoami.status_code == 200
    refreshed = http.get("/prospero/auth/refresh",
                         headers={"Cookie": "refresh_token=sandbox-prospero-refresh"})
    assert refreshed.status_code == 200

    assert previsto["api_key"] == "sk_sandbox"
    assert http.get("/previsto/account", auth=("sk_sandbox", "")).status_code == 200


def test_without_a_db_file_nothing_outlives_the_sandbox(tmp_path: Path) -> None:
    """api-contract.md, The sandbox: a sandbox's state is a SQLite file, or memory when it is
    built without one (`reconciler sandbox --db :memory:`): two sandboxes without one share
    nothing, two on one file share everything."""
    def created_and_seen(first: Sandbox, second: Sandbox) -> bool:
        with running(first) as origin:
            created = httpx.post(f"{origin}/prospero/events", json=EVENT, headers=PROSPERO_TOKEN)
            assert created.status_code == 201, created.text
        event_id = created.json()["event"]["id"]
        first.store.close()
        with running(second) as origin:
            found = httpx.get(f"{origin}/prospero/events/{event_id}", headers=PROSPERO_TOKEN)
        second.store.close()
        return found.status_code == 200

    assert SandboxSettings().db_path == ":memory:"
    assert not created_and_seen(create_app(SandboxSettings()), create_app(SandboxSettings()))
    on_file = SandboxSettings(db_path=str(tmp_path / "sandbox.db"))
    assert created_and_seen(create_app(on_file), create_app(on_file))


def test_the_fault_api_is_served_only_when_asked_for(cli: Run) -> None:
    """api-contract.md, The sandbox: faults are injectable for tests, not exposed by default:
    a sandbox built with the defaults has no `/_sandbox` API, and `reconciler sandbox --help`
    offers no switch for it."""
    plain = create_app(SandboxSettings())
    with running(plain) as origin:
        refused = httpx.post(f"{origin}/_sandbox/faults",
                             json={"kind": "status", "path": "^/prospero/events$", "status": 500})
        assert refused.status_code == 404
        assert httpx.get(f"{origin}/prospero/events", headers=PROSPERO_TOKEN).status_code == 200
    plain.store.close()
    with running(create_app(SandboxSettings(admin=True))) as origin:
        armed = httpx.post(f"{origin}/_sandbox/faults",
                           json={"kind": "status", "path": "^/prospero/events$", "status": 500})
        assert armed.status_code == 201, armed.text
        assert httpx.get(f"{origin}/prospero/events", headers=PROSPERO_TOKEN).status_code == 500
    shown = " ".join(cli("sandbox", "--help").stdout.split())
    assert "--admin" not in shown
    # The served sandbox's state is the file --sandbox runs use, unless asked for memory.
    assert ("--db TEXT SQLite file for the state: by default the one `--sandbox` runs use, so "
            "both see one state; `:memory:` keeps none. [default: .reconciler/sandbox.db]"
            ) in shown


def test_the_demo_plan_shows_creates_and_updates_and_leaves_the_rest(
    examples_repo: Repo, cli: Run
) -> None:
    """api-contract.md, The sandbox: the seed data includes unmanaged objects and Previsto
    assignments, so that a demo plan shows creates, updates and untouched objects."""
    untouched = unmanaged_snapshot(examples_repo)
    planned = cli("plan", examples_repo.root, "--detailed-exitcode", expect=2).stdout
    summary = PLAN_SUMMARY.search(planned)
    assert summary, planned
    creates, updates, removals = map(int, summary.groups())
    assert creates > 0 and updates > 0 and removals == 0
    cli("apply", examples_repo.root, "--auto-approve")
    after = unmanaged_snapshot(examples_repo)
    left = {ident: text for ident, text in untouched.items() if after.get(ident) == text}
    # The updated assignments were unmanaged before the apply; everything else stays as it was.
    assert len(untouched) - len(left) == updates
    assert len(left) >= 6  # sessions, a request and events of the demo organisation


def test_the_embedded_sandbox_plans_applies_and_converges_from_its_default_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Run
) -> None:
    """api-contract.md, The sandbox: `--sandbox` on plan/apply/drift/import runs the same app
    in-process, persisted in `.reconciler/sandbox.db`: a fresh checkout plans, applies and then
    sees no changes, with no server and no credentials."""
    for name in SANDBOX_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    cli("plan", EXAMPLES, "--sandbox", "--detailed-exitcode", expect=2)
    database = tmp_path / ".reconciler" / "sandbox.db"
    assert database.is_file()
    cli("apply", EXAMPLES, "--sandbox", "--auto-approve")
    again = cli("plan", EXAMPLES, "--sandbox", "--detailed-exitcode", expect=0)
    assert "No changes" in again.stdout
    cli("drift", EXAMPLES, "--sandbox", expect=0)
    imported = tmp_path / "imported.yaml"
    cli("import", EXAMPLES, "--sandbox", "--kind", "events", "-o", imported)
    assert "Quarterly all-hands" in imported.read_text(encoding="utf-8")  # a seeded event
