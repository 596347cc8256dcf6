"""`reconciler doctor` against the sandbox over HTTP: one line per check, reads only.

api-contract.md: every provider's auth section (credentials), Prevail's `exp` ≤ now + 300 s
(clock), Previsto's 120 requests a minute (rate limit).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from reconciler.sandbox.faults import Fault
from reconciler.sandbox.server import running
from tests.fixtures.docs_prevail import API_KEY, COMPANY_ID, DocsPrevail
from tests.fixtures.docs_previsto import KEY as PREVISTO_KEY
from tests.fixtures.docs_previsto import ServeDocsPrevisto, documented_assignments
from tests.fixtures.docs_prospero import DocsRepo
from tests.fixtures.repo import SANDBOX_ENV, Repo, Run


def test_every_check_holds_on_the_sandbox_and_nothing_is_written(repo: Repo, cli: Run) -> None:
    result = cli("doctor", repo.root)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    checks = lines[:-1]
    assert all(line.startswith("ok ") for line in checks), result.stdout
    for provider in ("prevail", "prospero", "previsto"):
        names = {line.split()[2] for line in checks if line.split()[1] == provider}
        assert {"credentials", "clock", "rate"} <= names, (provider, result.stdout)
    assert "all that the client relies on hold" in lines[-1]
    assert not repo.writes()
    assert {r.method for r in repo.requests()} <= {"GET", "POST"}  # POST: Prospero's login


def test_wrong_credentials_differ_exit_1_and_no_secret_is_printed(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREVISTO_API_KEY", "sk_wrong_key_for_the_test")
    result = cli("doctor", repo.root, "--format", "json", expect=1)
    document = json.loads(result.stdout)
    previsto = [c for c in document["checks"] if c["provider"] == "previsto"]
    assert previsto == [
        {
            "provider": "previsto",
            "check": "credentials",
            "ok": False,
            "seen": previsto[0]["seen"],
            "required": True,
        }
    ]
    assert "401" in previsto[0]["seen"]
    assert document["ok"] is False
    others = [c for c in document["checks"] if c["provider"] != "previsto"]
    assert others and all(c["ok"] for c in others if c["required"])
    for secret in (*SANDBOX_ENV.values(), "sk_wrong_key_for_the_test"):
        if secret not in ("sandbox-co", "sandbox@prospero.test"):
            assert secret not in result.output


def test_the_rate_limit_line_names_the_pace_the_client_keeps(repo: Repo, cli: Run) -> None:
    result = cli("doctor", repo.root, "--format", "json")
    rate = next(
        c
        for c in json.loads(result.stdout)["checks"]
        if c["provider"] == "previsto" and c["check"] == "rate limit"
    )
    assert "120 requests a minute" in rate["seen"]
    assert rate["required"] is False


# -- against servers shaped exactly as the public docs show ----------------------------------------


def test_docs_shaped_prospero_holds_and_its_window_listing_is_named(
    docs_repo: DocsRepo, cli: Run
) -> None:
    """api-contract.md, Prospero: `GET /events` answers `{"events": [...]}` and documents only
    the window, no `total`: the client lists by windows, which doctor names."""
    docs_repo.server.add(
        {"title": "Board dinner", "start": "2030-01-10T18:00:00Z", "end": "2030-01-10T21:00:00Z"}
    )
    result = cli("doctor", docs_repo.root, "--format", "json")
    checks = {c["check"]: c for c in json.loads(result.stdout)["checks"]}
    assert all(c["ok"] for c in checks.values()), checks
    assert "time windows" in checks["paging"]["seen"]
    assert not docs_repo.server.writes()


def test_docs_shaped_previsto_holds_and_the_smaller_page_is_named(
    serve_docs_previsto: ServeDocsPrevisto, tmp_path: Path, cli: Run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """api-contract.md, Previsto: pages of at most 100 in the reference (400 naming `size`
    above), a bare JSON array with `X-Total-Count`, `GET /account`."""
    server = serve_docs_previsto()
    root = previsto_config(tmp_path, server.url, monkeypatch)
    result = cli("doctor", root)
    assert "pages of 1000 refused (400): the client reads pages of 100" in result.stdout
    assert "differs" not in result.stdout
    assert {(r.method, r.path) for r in server.requests} == {
        ("GET", "/account"), ("GET", "/assignments")
    }


def test_objects_without_the_fields_the_client_reads_differ(
    serve_docs_previsto: ServeDocsPrevisto, tmp_path: Path, cli: Run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Previsto whose assignments carry no `meta` (the docs' name for the metadata object)."""
    assignments = documented_assignments()
    for assignment in assignments:
        assignment.pop("meta", None)
    server = serve_docs_previsto(assignments)
    root = previsto_config(tmp_path, server.url, monkeypatch)
    result = cli("doctor", root, expect=1)
    assert "differs previsto  fields" in result.stdout
    assert "lack meta" in result.stdout


def test_a_list_of_another_shape_differs_and_nothing_is_written(
    tmp_path: Path, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Previsto that wraps its list in an object instead of the documented bare array."""
    seen: list[str] = []

    async def wrapped(request: Request) -> JSONResponse:
        seen.append(request.method)
        return JSONResponse({"assignments": documented_assignments()})

    async def account(request: Request) -> JSONResponse:
        seen.append(request.method)
        return JSONResponse({"id": "acct-1"})

    app = Starlette(routes=[Route("/assignments", wrapped), Route("/account", account)])
    with running(app) as origin:
        root = previsto_config(tmp_path, origin, monkeypatch)
        result = cli("doctor", root, expect=1)
    assert "did not answer a JSON array" in result.stdout
    assert set(seen) == {"GET"}


def test_a_list_that_is_not_json_names_its_endpoint(repo: Repo, cli: Run) -> None:
    """A Prevail list answered with cut-off JSON: the check says which request it was."""
    # The probe (one session) and then the sessions list are answered with cut-off JSON; the
    # probe does not read its body.
    repo.sandbox.faults.add(
        Fault(kind="malformed", path=r"^/prevail/sessions$", method="GET", times=2)
    )
    result = cli("doctor", repo.root, expect=1)
    assert "prevail GET /sessions: the response body is not valid JSON" in result.stdout


def previsto_config(tmp_path: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PREVISTO_API_KEY", PREVISTO_KEY)
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "schedule"
    root.mkdir()
    (root / "providers.yaml").write_text(
        f"version: 1\nproviders:\n  previsto:\n    base_url: {url}\n"
        "    api_key: ${PREVISTO_API_KEY}\n",
        encoding="utf-8",
    )
    return root


def test_docs_shaped_prevail_holds_with_its_display_form_zone(
    docs_prevail: DocsPrevail, tmp_path: Path, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """api-contract.md, Prevail: `pagy` pages, a request's state under `session_state`, zones
    in Rails' display form; doctor reads them all and writes nothing."""
    monkeypatch.setenv("PREVAIL_COMPANY_ID", COMPANY_ID)
    monkeypatch.setenv("PREVAIL_API_KEY", API_KEY)
    monkeypatch.chdir(tmp_path)
    schedule = tmp_path / "schedule.yaml"
    schedule.write_text(
        f"""version: 1
providers:
  prevail:
    base_url: {docs_prevail.url}
    company_id: ${{PREVAIL_COMPANY_ID}}
    api_key: ${{PREVAIL_API_KEY}}
sessions:
  - key: chen
    title: Deposition of J. Chen
    case: Chen v. Harbor Freight Lines
    start: 2030-06-03T09:00
    time_zone: (GMT-06:00) Central Time (US & Canada)
    via: request
  - key: jones
    title: Hearing of B. Jones
    case: 2030-CV-0198
    start: 2030-06-02T14:30
    time_zone: Pacific Time (US & Canada)
""",
        encoding="utf-8",
    )
    cli("apply", schedule, "--auto-approve")
    docs_prevail.forget()
    result = cli("doctor", schedule, "--format", "json")
    checks = {c["check"]: c for c in json.loads(result.stdout)["checks"]}
    assert all(c["ok"] for c in checks.values()), checks
    assert checks["request state"]["seen"] == "requests carry their state as session_state"
    assert docs_prevail.seen and not docs_prevail.writes()


# -- write permission, learnt without writing --------------------------------------------------


def test_a_read_only_prospero_user_differs_and_nothing_is_written(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """api-contract.md, Prospero — Permissions [doc]: a user whose level is below what an
    operation needs is denied; the sandbox models a read-only user, whose `whoami` shows its
    scopes. Doctor says so (exit 1) without a write; Prevail and Previsto document no way to
    ask, and their lines say it cannot be told."""
    monkeypatch.setenv("PROSPERO_EMAIL", "readonly@prospero.test")
    monkeypatch.setenv("PROSPERO_PASSWORD", "sandbox-prospero-readonly-password")
    monkeypatch.setenv("PREVISTO_API_KEY", "sk_sandbox_readonly")
    result = cli("doctor", repo.root, "--format", "json", expect=1)
    checks = {(c["provider"], c["check"]): c for c in json.loads(result.stdout)["checks"]}
    prospero = checks[("prospero", "write access")]
    assert (prospero["ok"], prospero["required"]) == (False, True)
    assert prospero["seen"].startswith("the user is read-only (default: read)")
    for provider in ("prevail", "previsto"):
        assert checks[(provider, "write access")]["seen"].startswith(
            "cannot tell without writing"), checks[(provider, "write access")]
    assert [name for name, c in checks.items() if not c["ok"] and c["required"]] == [
        ("prospero", "write access")
    ]
    assert not repo.writes()


def test_the_sandbox_user_may_write(repo: Repo, cli: Run) -> None:
    result = cli("doctor", repo.root, "--format", "json")
    (line,) = [c for c in json.loads(result.stdout)["checks"]
               if (c["provider"], c["check"]) == ("prospero", "write access")]
    assert (line["ok"], line["seen"]) == (True, "the user may write events (default: write)")


def test_a_403_to_the_probe_is_permission_denied_not_bad_credentials(
    repo: Repo, cli: Run
) -> None:
    """A key the API knows but refuses even a read (403) is named a permission refusal."""
    repo.sandbox.faults.add(Fault(kind="status", status=403, path=r"^/previsto/account$",
                                  method="GET", times=1))
    result = cli("doctor", repo.root, expect=1)
    (line,) = [line for line in result.stdout.splitlines() if "previsto" in line]
    assert line.startswith("differs previsto  write access")
    assert "permission denied by previsto: GET /account answered 403" in line
    assert "authentication failed" not in result.stdout


def test_docs_shaped_prospero_refusing_the_modelled_paging_is_listed_by_window_first(
    docs_repo: DocsRepo, cli: Run
) -> None:
    """api-contract.md, Prospero: every caller, doctor included, lists the documented way
    first (the window alone); a server that refuses limit/offset (400) is no fault: the client
    lists by windows. Its whoami shows no scopes: write access cannot be told."""
    docs_repo.server.strict_query = True
    result = cli("doctor", docs_repo.root, "--format", "json")
    checks = {c["check"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["paging"]["seen"].startswith("limit/offset refused (400)")
    assert checks["write access"]["seen"] == (
        "cannot tell without writing: GET /auth/whoami shows no scopes for the user")
    first, second = docs_repo.server.lists()
    assert set(first.query) == {"window_start", "window_end"}
    assert set(second.query) == {"window_start", "window_end", "limit", "offset"}
