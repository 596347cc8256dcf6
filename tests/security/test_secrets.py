"""Secrets never leave the process: every command's output, plan files, the journal and the logs
are scanned for the credentials, their Basic-auth form and any minted JWT."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from tests.fixtures.repo import SANDBOX_ENV, Repo, Run

JWT = re.compile(r"eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]{5,}")


def secret_forms(secret: str) -> list[str]:
    forms = [secret, base64.b64encode(f"{secret}:".encode()).decode()]
    forms.append(base64.b64encode(f"sandbox@prospero.test:{secret}".encode()).decode())
    return forms


def scan(texts: dict[str, str], secrets: list[str]) -> list[str]:
    hits = []
    for where, text in texts.items():
        for secret in secrets:
            for form in secret_forms(secret):
                if form in text:
                    hits.append(f"{where}: {form[:6]}…")
        if JWT.search(text):
            hits.append(f"{where}: a JWT")
    return hits


def test_no_secret_in_any_output(examples_repo: Repo, cli: Run, tmp_path: Path):
    root = examples_repo.root
    secrets = [SANDBOX_ENV["PREVAIL_API_KEY"], SANDBOX_ENV["PROSPERO_PASSWORD"],
               SANDBOX_ENV["PREVISTO_API_KEY"], "sandbox-prospero-token"]
    plan_file = tmp_path / "plan.json"
    drift_file = tmp_path / "drift.json"
    outputs: dict[str, str] = {}
    runs = [
        ("validate", root),
        ("--debug", "plan", root),
        ("-v", "plan", root, "--format", "json", "-o", plan_file),
        ("plan", root, "--format", "markdown"),
        ("--debug", "apply", plan_file, "--auto-approve"),
        ("-v", "apply", root, "--auto-approve", "--prune"),
        ("drift", root, "--format", "json", "-o", drift_file),
        ("drift", root, "--format", "markdown"),
    ]
    for args in runs:
        result = cli(*args, expect=None)
        assert result.exit_code in (0, 1, 2), result.output
        outputs[" ".join(map(str, args))] = result.stdout + result.stderr
    for path in (plan_file, drift_file, Path(".reconciler/journal.jsonl")):
        outputs[str(path)] = path.read_text(encoding="utf-8")
    assert scan(outputs, secrets) == []


@pytest.mark.parametrize(
    ("variable", "canary"),
    [
        ("PREVAIL_API_KEY", "canary-prevail-8f3a1c"),
        ("PROSPERO_PASSWORD", "canary-prospero-71d0e2"),
        ("PREVISTO_API_KEY", "sk_canary_4b9e77"),
    ],
)
def test_no_canary_in_failures(examples_repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch,
                               variable: str, canary: str):
    monkeypatch.setenv(variable, canary)
    outputs = {}
    for args in (("-v", "plan", examples_repo.root), ("-v", "apply", examples_repo.root,
                                                             "--auto-approve")):
        result = cli(*args, expect=1)
        outputs[" ".join(map(str, args))] = result.stdout + result.stderr
        assert "authentication failed for" in result.stderr
    assert scan(outputs, [canary]) == []


def test_plain_http_is_refused_except_to_loopback(repo: Repo, cli: Run):
    """api-contract.md, Previsto — HTTPS only: the client refuses plain http except to loopback."""
    repo.write(
        "providers.yaml",
        "version: 1\nproviders:\n  previsto:\n    base_url: http://api.previsto.io\n"
        "    api_key: ${PREVISTO_API_KEY}\n",
    )
    result = cli("plan", repo.root, expect=1)
    assert "plain http" in result.stderr
