"""A commit-then-drop on every create path leaves exactly one object, in one apply."""

from __future__ import annotations

import pytest

from reconciler.sandbox.faults import Fault
from tests.fixtures.faults import FAST, event, managed_keys, session
from tests.fixtures.repo import Repo, Run

CREATE_PATHS = {
    "prevail-session": (r"^/prevail/sessions$", "sessions:\n" + session("s-new", "New", 5)),
    "prevail-session-request": (
        r"^/prevail/session_requests$",
        "sessions:\n" + session("s-req", "Requested", 6) + "    via: request\n",
    ),
    "prospero-single": (r"^/prospero/events$", "events:\n" + event("e-new", "New", 5)),
    "prospero-bulk": (
        r"^/prospero/events$",
        "events:\n" + "".join(event(f"e-bulk-{n}", f"Bulk {n}", 10 + n) for n in range(3)),
    ),
}


@pytest.mark.parametrize("path_name", sorted(CREATE_PATHS))
def test_drop_after_commit_on_create_leaves_one_object(repo: Repo, cli: Run, path_name: str):
    """api-contract.md, The sandbox — fault: commit-then-drop (stored, the response lost)."""
    route, objects = CREATE_PATHS[path_name]
    repo.write("objects.yaml", "version: 1\n" + objects)
    fault = repo.sandbox.faults.add(Fault(kind="drop", path=route, method="POST", times=1))
    result = cli(*FAST, "apply", repo.root, "--auto-approve")
    assert fault.fired == 1
    assert "found after a lost response" in result.stdout
    keys = managed_keys(repo)
    if path_name == "prevail-session-request":
        requests = repo.sandbox.store.query("prevail.session_requests").documents
        keys += [
            "sessions." + r["session_details"]["additional_details"].rsplit(": ", 1)[1]
            for r in requests
            if "reconciler-key: " in (r.get("session_details") or {}).get("additional_details", "")
        ]
    declared = [line.split("key: ")[1] for line in objects.splitlines() if "- key: " in line]
    for key in declared:
        assert sum(1 for k in keys if k.endswith("." + key)) == 1, keys
    cli(*FAST, "plan", repo.root, "--detailed-exitcode", expect=0)
