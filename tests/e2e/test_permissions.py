"""A read-only key or user at apply time: the refusal is named a permission refusal (403), not
bad credentials, with its exit code, and nothing is written.

api-contract.md: Prospero — Permissions [doc: a user whose permission level is below what an
operation needs is denied; the emulator models a read-only user]; Previsto — Auth [doc: key
without rights → 403].
"""

from __future__ import annotations

import pytest

from tests.fixtures.faults import assignment, event
from tests.fixtures.repo import Repo, Run


def test_a_read_only_prospero_user_is_denied_permission_at_apply_time(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan reads fine; the create is refused 403: the outcome and the final table say
    permission denied, never "authentication failed", and the run exits 1."""
    monkeypatch.setenv("PROSPERO_EMAIL", "readonly@prospero.test")
    monkeypatch.setenv("PROSPERO_PASSWORD", "sandbox-prospero-readonly-password")
    repo.write("events.yaml", "version: 1\nevents:\n" + event("e-one", "One", 5))
    cli("plan", repo.root, "--detailed-exitcode", expect=2)
    result = cli("apply", repo.root, "--auto-approve", expect=1)
    assert (
        "✗ events.e-one: create failed: permission denied by prospero: POST /events "
        "answered 403 Insufficient permissions: your level for entities.events is read, "
        "this operation needs write (the key or user may be read-only, or lack a scope)"
    ) in result.stdout
    assert "authentication failed" not in result.output
    assert "Apply complete: 0 applied, 1 failed, 0 not attempted." in result.stdout
    assert not repo.sandbox.store.query(
        "prospero.events", where={"customFields.reconciler_key": "e-one"}
    ).documents


def test_a_read_only_previsto_key_is_denied_permission_at_apply_time(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Previsto's key without rights: the metadata write is refused 403, named so; the other
    writes to Previsto would be refused alike, so they are not sent (not attempted)."""
    monkeypatch.setenv("PREVISTO_API_KEY", "sk_sandbox_readonly")
    idents = [a["id"] for a in repo.sandbox.store.query("previsto.assignments").documents][:3]
    repo.write(
        "assignments.yaml",
        "version: 1\nassignments:\n"
        + "".join(assignment(f"a-{n}", ident, "north") for n, ident in enumerate(idents)),
    )
    result = cli("apply", repo.root, "--auto-approve", "--parallelism", "1", expect=1)
    assert "permission denied by previsto: PUT /assignments/" in result.stdout
    assert "authentication failed" not in result.output
    assert "Apply complete: 0 applied, 1 failed, 2 not attempted." in result.stdout
    (refused,) = repo.writes()
    assert refused.status == 403
