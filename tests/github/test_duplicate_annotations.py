"""The Action warns about duplicates: a key that several live objects carry, in plan and drift."""

from __future__ import annotations

from pathlib import Path

import httpx

from reconciler.github.publish import publish
from reconciler.github.report import read_report
from tests.fixtures.faults import event
from tests.fixtures.repo import SCOPE, Repo, Run


def test_plan_and_drift_duplicates_become_warning_annotations(
    repo: Repo, cli: Run, http: httpx.Client, tmp_path: Path
):
    repo.write("e.yaml", "version: 1\nevents:\n" + event("e-a", "Alpha", 1))
    cli("apply", repo.root, "--auto-approve")
    seeded = http.post("/_sandbox/prospero/seed", json={"events": [{
        "title": "Alpha", "start": "2027-07-01T10:00:00Z", "end": "2027-07-01T11:00:00Z",
        "capacity": 10, "customFields": {"reconciler_key": "e-a", "managed_by": "reconciler",
                                         "reconciler_scope": SCOPE}}]})
    assert seeded.status_code == 201, seeded.text
    events = repo.sandbox.store.query("prospero.events").documents
    ids = sorted((e["createdAt"], e["id"]) for e in events
                 if (e.get("customFields") or {}).get("reconciler_key") == "e-a")
    kept, extra = ids[0][1], ids[1][1]

    for command in ("plan", "drift"):
        saved = tmp_path / f"{command}.json"
        cli(command, repo.root, "-o", saved, expect=0 if command == "plan" else 2)
        report = read_report(command=command, exitcode=2, plan_file=saved, markdown=None)
        lines = publish(report, environ={}).lines
        warnings = [line for line in lines if line.startswith("::warning")]
        title = f"title=reconciler {command}%3A duplicate"
        expected = (
            f"::warning {title}::events.e-a: 2 live objects carry this key (kept: {kept}; the "
            "others are removed by apply)"
            if command == "plan"
            else f"::warning {title}::events.e-a#{extra}: a duplicate of a managed object (id "
            f"{extra}); apply removes it"
        )
        assert warnings == [expected]
