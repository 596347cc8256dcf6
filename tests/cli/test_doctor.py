"""`reconciler doctor` against the sandbox over HTTP: one line per check, reads only.

api-contract.md: every provider's auth section (credentials), Prevail's `exp` ≤ now + 300 s
(clock), Previsto's 120 requests a minute (rate limit).
"""

from __future__ import annotations

import json

import pytest

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
