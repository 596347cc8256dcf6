"""The configuration fingerprint: files and account identities, never secrets, never places."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.config import load
from reconciler.engine.fingerprint import Fingerprint, configuration_fingerprint
from reconciler.providers import build_providers
from tests.fixtures.repo import Repo, Run


def fingerprint_of(path: Path, *, sandbox: bool = False) -> Fingerprint:
    state = load(path)
    providers = build_providers(state)
    try:
        return configuration_fingerprint(state, providers, sandbox=sandbox)
    finally:
        for provider in providers.values():
            provider.client.close()


def test_the_same_configuration_elsewhere_has_the_same_fingerprint(repo: Repo, tmp_path: Path):
    repo.write("events/a.yaml", "version: 1\nevents: []\n")
    copy = tmp_path / "another" / "schedule"  # the same folder name: the same derived scope
    shutil.copytree(repo.root, copy)
    here = fingerprint_of(repo.root)
    assert fingerprint_of(copy) == here
    assert sorted(here.files) == ["events/a.yaml", "providers.yaml"]


def test_a_copy_that_derives_another_scope_is_another_configuration(repo: Repo, tmp_path: Path):
    """Without `providers.stack` the scope comes from where the configuration lives: a copy
    elsewhere owns other objects, so a plan made for one is not the other's."""
    copy = tmp_path / "elsewhere" / "north"
    shutil.copytree(repo.root, copy)
    assert fingerprint_of(repo.root).differences(fingerprint_of(copy)) == [
        "the scope is 'north', the plan was made for 'schedule'"
    ]


def test_a_changed_file_a_new_file_and_a_lone_file_are_told_apart(repo: Repo):
    before = fingerprint_of(repo.root)
    repo.write("events.yaml", "version: 1\nevents: []\n")
    assert before.differences(fingerprint_of(repo.root)) == ["events.yaml is new"]
    lone = fingerprint_of(repo.root / "providers.yaml")
    assert list(lone.files) == ["providers.yaml"]


def test_rotating_a_secret_keeps_the_fingerprint(repo: Repo, monkeypatch: pytest.MonkeyPatch):
    before = fingerprint_of(repo.root)
    monkeypatch.setenv("PREVAIL_API_KEY", "a-rotated-prevail-key")
    monkeypatch.setenv("PROSPERO_PASSWORD", "a-rotated-password")
    assert fingerprint_of(repo.root) == before


@pytest.mark.parametrize(
    ("variable", "provider"),
    [("PREVAIL_COMPANY_ID", "prevail"), ("PROSPERO_EMAIL", "prospero")],
)
def test_another_account_changes_the_fingerprint(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, variable: str, provider: str
):
    before = fingerprint_of(repo.root)
    monkeypatch.setenv(variable, "another-account")
    assert before.differences(fingerprint_of(repo.root)) == [
        f"providers.{provider} endpoint or account differs"
    ]


def test_another_endpoint_changes_the_fingerprint(repo: Repo):
    before = fingerprint_of(repo.root)
    text = (repo.root / "providers.yaml").read_text()
    (repo.root / "providers.yaml").write_text(text.replace("/previsto", "/previsto/v2"))
    after = fingerprint_of(repo.root)
    assert before.differences(after) == [
        "providers.yaml changed", "providers.previsto endpoint or account differs"
    ]


def test_the_embedded_sandbox_is_one_endpoint_whatever_its_port(repo: Repo, cli: Run):
    """Each `--sandbox` run serves on a new port: a plan made in one run applies in the next.

    api-contract.md, The sandbox — `--sandbox` runs the same app in-process.
    """
    repo.write("events.yaml", "version: 1\nevents:\n  - key: gala\n    title: Gala\n"
               "    start: 2027-01-15T18:00:00Z\n    end: 2027-01-15T23:00:00Z\n")
    saved = repo.root.parent / "plan.json"
    cli("plan", repo.root, "--sandbox", "-o", saved)
    applied = cli("apply", saved, "--auto-approve")
    assert "1 applied" in applied.stdout
    assert fingerprint_of(repo.root, sandbox=True) != fingerprint_of(repo.root)
