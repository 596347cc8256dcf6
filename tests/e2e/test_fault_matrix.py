"""The fault matrix: fault kind by operation by provider, each against the real sandbox.

Every case applies a baseline, then changes the configuration so that one operation (list,
create, update, cancel/delete) is needed, arms one fault on that operation's route and applies.
After at most one re-run: the remote state equals the declared state (`plan --detailed-exitcode
--prune` exits 0), no key has two objects, no unmanaged object changed, and the output says what
happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from reconciler.sandbox import SandboxSettings
from reconciler.sandbox.faults import Fault
from tests.fixtures.faults import (
    FAST,
    RATE,
    assignment,
    event,
    managed_keys,
    session,
    unmanaged_snapshot,
)
from tests.fixtures.repo import Repo, Run, providers_yaml


@pytest.fixture
def sandbox_settings() -> SandboxSettings:
    # Previsto's pages of 1000 (its newer docs): the client's first list request is then a page,
    # so a fault armed for "the next list request" fires mid-walk, not on a refused size.
    return SandboxSettings(
        admin=True, previsto_requests_per_minute=RATE, previsto_max_page_size=1000
    )


@dataclass(frozen=True)
class Operation:
    provider: str
    name: str
    method: str
    path: str  # regex over the sandbox path
    baseline: str  # YAML of the objects before
    changed: str  # YAML of the objects after (needing this operation)


SESSIONS_AB = "sessions:\n" + session("s-a", "Alpha", 1) + session("s-b", "Bravo", 2)
EVENTS_AB = "events:\n" + event("e-a", "Alpha", 1) + event("e-b", "Bravo", 2)
ASSIGN_AB = (
    "assignments:\n"
    + assignment("a-a", "asgmt-klJ23j4L23j43", "north")
    + assignment("a-b", "asgmt-Zp3Kw9Hs2Yb6D", "south")
)

OPERATIONS = [
    Operation("prevail", "list", "GET", r"^/prevail/sessions$", SESSIONS_AB,
              SESSIONS_AB.replace("title: Alpha", "title: Alpha II")),
    Operation("prevail", "create", "POST", r"^/prevail/sessions$", SESSIONS_AB,
              SESSIONS_AB + session("s-c", "Charlie", 3)),
    Operation("prevail", "update", "PATCH", r"^/prevail/sessions/[^/]+$", SESSIONS_AB,
              SESSIONS_AB.replace("title: Alpha", "title: Alpha II")),
    Operation("prevail", "cancel", "PATCH", r"^/prevail/sessions/[^/]+/cancel$", SESSIONS_AB,
              "sessions:\n" + session("s-a", "Alpha", 1)),
    Operation("prospero", "list", "GET", r"^/prospero/events$", EVENTS_AB,
              EVENTS_AB.replace("title: Alpha", "title: Alpha II")),
    Operation("prospero", "create", "POST", r"^/prospero/events$", EVENTS_AB,
              EVENTS_AB + event("e-c", "Charlie", 3)),
    Operation("prospero", "update", "PATCH", r"^/prospero/events/[^/]+$", EVENTS_AB,
              EVENTS_AB.replace("title: Alpha", "title: Alpha II")),
    Operation("prospero", "delete", "DELETE", r"^/prospero/events$", EVENTS_AB,
              "events:\n" + event("e-a", "Alpha", 1)),
    Operation("previsto", "list", "GET", r"^/previsto/assignments$", ASSIGN_AB,
              ASSIGN_AB.replace("crew: north", "crew: east")),
    Operation("previsto", "update", "PUT", r"^/previsto/assignments/[^/]+$", ASSIGN_AB,
              ASSIGN_AB.replace("crew: north", "crew: east")),
    Operation("previsto", "delete", "PUT", r"^/previsto/assignments/[^/]+$", ASSIGN_AB,
              "assignments:\n" + assignment("a-a", "asgmt-klJ23j4L23j43", "north")),
]

FAULTS: dict[str, dict[str, Any]] = {
    "429-storm-retry-after": {"kind": "status", "status": 429, "retry_after": 1, "times": 2},
    "429-storm": {"kind": "status", "status": 429, "times": 2},
    "500": {"kind": "status", "status": 500, "times": 2},
    "502": {"kind": "status", "status": 502, "times": 2},
    "503": {"kind": "status", "status": 503, "times": 2},
    "latency-past-timeout": {"kind": "latency", "seconds": 1.6, "times": 1},
    "reset-before-commit": {"kind": "reset", "times": 1},
    "drop-after-commit": {"kind": "drop", "times": 1},
    "malformed-json": {"kind": "malformed", "times": 1},
}

# What a proxy or a misbehaving server answers a write with: nothing happened, whatever the status
# class says. A redirect on every write (never followed); a success without the created object on
# every create.
WRITE_ANSWERS: dict[str, dict[str, Any]] = {
    "redirect-307": {"kind": "answer", "status": 307, "times": 1},
    "redirect-302": {"kind": "answer", "status": 302, "times": 1},
}
CREATE_ANSWERS: dict[str, dict[str, Any]] = {
    "200-empty-object": {"kind": "answer", "status": 200, "body": {}, "times": 2},
    "200-no-body": {"kind": "answer", "status": 200, "times": 2},
}
FAULTS.update(WRITE_ANSWERS)
FAULTS.update(CREATE_ANSWERS)


def applies(operation: Operation, fault: str) -> bool:
    if fault in WRITE_ANSWERS:
        return operation.name != "list"
    if fault in CREATE_ANSWERS:
        return operation.name == "create"
    return True


CASES = [
    pytest.param(operation, fault, id=f"{operation.provider}-{operation.name}-{fault}")
    for operation in OPERATIONS
    for fault in FAULTS
    if applies(operation, fault)
] + [
    pytest.param(operation, "list-changes-mid-walk",
                 id=f"{operation.provider}-{operation.name}-list-changes-mid-walk")
    for operation in OPERATIONS
    if operation.name == "list"
]

# Extra unmanaged objects so that a list spans two pages and a churn between them matters.
SECOND_PAGE = {"prevail": 1001, "prospero": 501, "previsto": 1001}


def seed_second_page(provider: str, http: httpx.Client) -> None:
    count = SECOND_PAGE[provider]
    if provider == "prevail":
        body: dict[str, Any] = {"sessions": [
            {"session_request": {"remote_session": {
                "title": f"Filler {n}", "start_date": "2027-08-01", "start_time": "09:00 AM",
                "time_zone": "UTC", "estimated_duration": 1}}}
            for n in range(count)
        ]}
        route = "/_sandbox/prevail/seed"
    elif provider == "prospero":
        body = {"events": [
            {"title": f"Filler {n}", "start": "2027-08-01T09:00:00Z",
             "end": "2027-08-01T10:00:00Z", "customFields": {"managed_by": "reconciler"}}
            for n in range(count)
        ]}
        route = "/_sandbox/prospero/seed"
    else:
        body = {"assignments": [{"meta": {}} for _ in range(count)]}
        route = "/_sandbox/previsto/assignments"
    assert http.post(route, json=body).status_code == 201


@pytest.mark.parametrize(("operation", "fault_name"), CASES)
def test_fault_matrix(repo: Repo, cli: Run, http: httpx.Client, operation: Operation,
                      fault_name: str) -> None:
    """api-contract.md, The sandbox — every injectable fault (status storms, latency, reset,
    commit-then-drop, malformed JSON, a page changing between reads), met by the client."""
    repo.write("providers.yaml", providers_yaml(repo_origin(http), previsto_rate=RATE))
    config = repo.root / "objects.yaml"
    config.write_text("version: 1\n" + operation.baseline, encoding="utf-8")
    if fault_name == "list-changes-mid-walk":
        seed_second_page(operation.provider, http)
    cli(*FAST, "apply", repo.root, "--auto-approve", "--force")
    before = unmanaged_snapshot(repo)

    config.write_text("version: 1\n" + operation.changed, encoding="utf-8")
    spec = FAULTS.get(fault_name, {"kind": "churn", "times": 1})
    fault = repo.sandbox.faults.add(Fault(path=operation.path, method=operation.method, **spec))
    repo.forget_requests()
    first = cli(*FAST, "apply", repo.root, "--auto-approve", "--prune", "--force", expect=None)
    assert first.exit_code in (0, 1), first.output
    assert fault.fired >= 1, "the fault never fired: the case tested nothing"
    if fault_name == "drop-after-commit" and operation.name == "create":
        assert "found after a lost response" in first.stdout, first.stdout
    assert "Traceback" not in first.output
    if fault_name in WRITE_ANSWERS or fault_name in CREATE_ANSWERS:
        # Nothing was made or changed: never reported as done.
        assert first.exit_code == 1, first.stdout
        assert "  ✓ " not in first.stdout, first.stdout
    if first.exit_code == 0:
        assert "0 failed, 0 not attempted" in first.stdout
    else:
        said = first.stdout + first.stderr
        assert ("failed" in said or "Error: " in said) and operation.provider in said, said
        cli(*FAST, "apply", repo.root, "--auto-approve", "--prune", "--force")

    cli(*FAST, "plan", repo.root, "--prune", "--detailed-exitcode", expect=0)
    keys = managed_keys(repo)
    assert len(keys) == len(set(keys)), f"duplicates: {sorted(keys)}"
    after = unmanaged_snapshot(repo)
    changed = [ident for ident, text in before.items() if after.get(ident) != text]
    assert changed == [], f"unmanaged objects changed: {changed}"


def repo_origin(http: httpx.Client) -> str:
    return str(http.base_url).rstrip("/")
