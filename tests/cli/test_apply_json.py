"""`apply --format json`: one document on stdout, valid against the published schema, with each
change's result under the plan's address; the text goes to stderr and the exit code is kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from click.testing import Result

from reconciler.cli.apply_json import SCHEMA_ID
from reconciler.sandbox.faults import Fault
from tests.fixtures.faults import FAST, event
from tests.fixtures.repo import SANDBOX_ENV, Repo, Run
from tests.fixtures.terminal import Terminal

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "apply.schema.json"


def document_of(result: Result) -> dict[str, Any]:
    """The run's stdout as one JSON document, checked against the published schema: every apply
    JSON this suite makes goes through here."""
    document = json.loads(result.stdout)
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)
    assert isinstance(document, dict)
    return document


def events(title: str, count: int = 2) -> str:
    return "version: 1\nevents:\n" + "".join(
        event(f"p-{n}", f"{title} {n}", n + 3) for n in range(count)
    )


def results(document: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["address"]: (c["action"], c["result"]) for c in document["changes"]}


def test_the_schema_is_a_valid_2020_12_schema_published_under_an_https_id() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == SCHEMA_ID and SCHEMA_ID.startswith("https://")


def test_a_successful_apply_reports_each_change_applied_under_the_plans_address(
    repo: Repo, cli: Run, tmp_path: Path
) -> None:
    repo.write("e.yaml", events("Gala"))
    saved = tmp_path / "plan.json"
    cli("plan", repo.root, "-o", saved)
    planned = json.loads(saved.read_text(encoding="utf-8"))
    result = cli("apply", saved, "--auto-approve", "--format", "json")
    document = document_of(result)
    assert document["$schema"] == SCHEMA_ID
    assert document["exit_code"] == 0 and document["error"] is None
    assert document["summary"] == planned["summary"]
    assert [c["address"] for c in document["changes"]] == [c["address"] for c in planned["changes"]]
    assert results(document) == {
        "events.p-0": ("create", "applied"),
        "events.p-1": ("create", "applied"),
    }
    assert all(c["remote_id"] for c in document["changes"])  # the ids the creates were given
    assert document["results"] == {"applied": 2, "failed": 0, "not attempted": 0, "left out": 0}
    assert sorted(document["read_back"]["verified"]) == ["events.p-0", "events.p-1"]
    # The text a person reads is on stderr, not mixed into the document.
    assert "Apply complete: 2 applied, 0 failed, 0 not attempted." in result.stderr


def test_a_partial_failure_exits_1_with_the_failed_change_and_its_message(
    repo: Repo, cli: Run
) -> None:
    repo.write("e.yaml", events("Before"))
    cli(*FAST, "apply", repo.root, "--auto-approve")
    repo.write("e.yaml", events("After"))
    page = repo.sandbox.store.query("prospero.events", where={"customFields.reconciler_key": "p-0"})
    broken = page.documents[0]["id"]
    repo.sandbox.faults.add(
        Fault(kind="status", status=500, path=f"/events/{broken}$", method="PATCH", times=5)
    )
    result = cli(*FAST, "apply", repo.root, "--auto-approve", "--format", "json", expect=1)
    document = document_of(result)
    assert document["exit_code"] == 1 and document["error"] is None
    by_result = {c["result"] for c in document["changes"]}
    assert by_result == {"applied", "failed"}
    (failed,) = [c for c in document["changes"] if c["result"] == "failed"]
    assert failed["address"] == "events.p-0" and failed["action"] == "update"
    assert "500" in failed["message"] and failed["remote_id"] == broken
    assert document["results"]["applied"] == 1 and document["results"]["failed"] == 1


def test_fail_fast_leaves_the_rest_not_attempted(repo: Repo, cli: Run) -> None:
    repo.write("e.yaml", events("One", count=1))
    cli(*FAST, "apply", repo.root, "--auto-approve")
    # Creates run before updates: the create fails, the update is never sent.
    repo.write("e.yaml", events("Again", count=1) + event("p-new", "New", 9))
    repo.sandbox.faults.add(
        Fault(kind="status", status=422, path=r"^/prospero/events$", method="POST", times=1)
    )
    result = cli(
        *FAST, "apply", repo.root, "--auto-approve", "--fail-fast", "--format", "json", expect=1
    )
    document = document_of(result)
    assert results(document) == {
        "events.p-0": ("update", "not attempted"),
        "events.p-new": ("create", "failed"),
    }
    assert document["results"]["not attempted"] == 1


def test_a_refused_plan_is_reported_with_its_error_and_nothing_attempted(
    repo: Repo, cli: Run
) -> None:
    # Every one of 10 managed events updated: more than --max-change-percent allows.
    repo.write("e.yaml", events("Before", count=10))
    cli("apply", repo.root, "--auto-approve")
    repo.write("e.yaml", events("After", count=10))
    repo.forget_requests()
    result = cli("apply", repo.root, "--auto-approve", "--format", "json", expect=1)
    document = document_of(result)
    assert document["exit_code"] == 1
    assert document["error"].startswith("refusing to apply")
    assert document["error"] in result.stderr  # as stderr says it
    assert {c["result"] for c in document["changes"]} == {"not attempted"}
    assert document["summary"]["update"] == 10
    assert repo.writes() == []


def test_a_configuration_error_still_prints_a_document(repo: Repo, cli: Run) -> None:
    repo.write("e.yaml", "version: 1\nevents:\n  - key: broken\n")
    document = document_of(cli("apply", repo.root, "--auto-approve", "--format", "json", expect=1))
    assert document["summary"] is None and document["changes"] == []
    assert "broken" in document["error"] or "e.yaml" in document["error"]


def test_a_message_that_repeats_the_credentials_is_redacted(repo: Repo, cli: Run) -> None:
    repo.write("e.yaml", events("Gala", count=1))
    repo.sandbox.faults.add(
        Fault(kind="echo", status=400, path=r"^/prospero/events$", method="POST")
    )
    result = cli(*FAST, "apply", repo.root, "--auto-approve", "--format", "json", expect=1)
    document = document_of(result)
    (change,) = document["changes"]
    assert change["result"] == "failed" and change["message"]
    for secret in SANDBOX_ENV.values():
        assert secret not in result.stdout


def test_every_apply_result_is_audited_against_the_schema(
    repo: Repo, cli: Run, plan_schema_audit: Path
) -> None:
    """The suite's audit hook sees each result the CLI prints (in the Action's child processes
    too), so any test that makes one fails on a document the schema refuses."""
    repo.write("e.yaml", events("Gala"))
    cli("apply", repo.root, "--auto-approve", "--format", "json")
    lines = plan_schema_audit.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [{"schema": "apply.schema.json", "problems": []}]


def test_nothing_to_do_is_an_empty_document_with_exit_0(repo: Repo, cli: Run) -> None:
    repo.write("e.yaml", events("Gala"))
    cli("apply", repo.root, "--auto-approve")
    document = document_of(cli("apply", repo.root, "--auto-approve", "--format", "json"))
    assert document["changes"] == [] and document["exit_code"] == 0
    assert document["results"] == {"applied": 0, "failed": 0, "not attempted": 0, "left out": 0}


def test_a_removal_found_already_gone_before_the_first_write_is_left_out(
    repo: Repo, cli: Run
) -> None:
    """A colleague deletes the event the plan prunes while the plan is read; the confirmation
    question goes to stderr with the rest of the text."""
    repo.write("e.yaml", events("Gala", count=2))
    cli("apply", repo.root, "--auto-approve")
    repo.write("e.yaml", events("Gala", count=1) + event("p-2", "Gala two", 5))

    def colleague() -> None:
        page = repo.sandbox.store.query(
            "prospero.events", where={"customFields.reconciler_key": "p-1"}
        )
        repo.sandbox.store.delete("prospero.events", str(page.documents[0]["id"]))

    result = cli(
        "apply", repo.root, "--prune", "--format", "json", input=Terminal("yes\n", colleague)
    )
    document = document_of(result)
    assert results(document) == {
        "events.p-1": ("delete", "left out"),
        "events.p-2": ("create", "applied"),
    }
    (left_out,) = [c for c in document["changes"] if c["result"] == "left out"]
    assert "already gone" in left_out["message"]
    assert document["results"]["left out"] == 1 and document["exit_code"] == 0
    assert "Apply these changes?" in result.stderr
