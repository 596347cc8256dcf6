"""Policies judge every plan: the example rules, counts, the clock, commands, every format."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from reconciler.github.publish import policy_annotations
from tests.fixtures.clock import FakeClock
from tests.fixtures.repo import Repo, Run
from tests.policy.conftest import EXAMPLE_POLICIES, policy_folder

SCHEDULE = """version: 1
sessions:
  - key: early-depo
    title: Deposition of J. Smith
    case: 2027-CV-0142
    start: 2027-03-02T07:30
    time_zone: Eastern Time (US & Canada)
    duration_hours: 1.5
    invites: [counsel@example.com]
    session_type: remote_deposition
    languages: English
  - key: spanish-hearing
    title: Hearing in Spanish
    case: 2027-CV-0143
    start: 2027-03-03T10:00
    time_zone: Europe/Madrid
    duration_hours: 1
    invites: [counsel@example.com]
    session_type: remote_hearing
    languages: Spanish
  - key: late-depo
    title: Deposition of A. Jones
    case: 2027-CV-0144
    start: 2027-03-04T09:00
    time_zone: America/New_York
    duration_hours: 2
    invites: [counsel@example.com]
    session_type: remote_deposition
    languages: French
    interpreter: French
events:
  - key: gala
    title: Winter Gala
    start: 2027-01-15T18:00:00+01:00
    end: 2027-01-15T23:00:00+01:00
    capacity: 100
    custom_fields: {{invitees: "{invitees}"}}
"""


def events_only(*, invitees: int) -> str:
    """The schedule without its sessions."""
    text = SCHEDULE.format(invitees=invitees)
    return "version: 1\n" + text[text.index("events:") :]


def findings(document: dict[str, object]) -> set[tuple[str, str, str | None]]:
    policy = document["policy"]
    assert isinstance(policy, dict)
    return {(f["rule"], f["level"], f["address"]) for f in policy["findings"]}


def test_the_example_rules_find_an_early_deposition_a_missing_interpreter_and_a_small_room(
    repo: Repo, cli: Run
) -> None:
    """08:00 is read on the deponent's own clock (a Rails zone name included), a session in
    Spanish without an interpreter is refused, one in French with one is not, and an event
    smaller than its invitees is a warning; the plan itself succeeds."""
    repo.write("schedule.yaml", SCHEDULE.format(invitees=150))
    result = cli("plan", repo.root, "--format", "json", "--policy", EXAMPLE_POLICIES)
    document = json.loads(result.stdout)
    assert findings(document) == {
        ("no-early-depositions", "mandatory", "sessions.early-depo"),
        ("interpreter-for-other-languages", "mandatory", "sessions.spanish-hearing"),
        ("capacity-for-every-invitee", "advisory", "events.gala"),
    }
    assert document["policy"]["sets"] == [str(EXAMPLE_POLICIES)]


def test_findings_are_shown_in_the_text_and_markdown_plans(repo: Repo, cli: Run) -> None:
    repo.write("schedule.yaml", SCHEDULE.format(invitees=150))
    text = cli("plan", repo.root, "--policy", EXAMPLE_POLICIES).stdout
    assert (
        "Policy: mandatory policy no-early-depositions: sessions.early-depo: the deposition "
        "starts before 08:00 in the deponent's zone"
    ) in text
    markdown = cli("plan", repo.root, "--format", "markdown", "--policy", EXAMPLE_POLICIES).stdout
    assert (
        "> ⚠️ **advisory** policy `capacity-for-every-invitee` on `events.gala`: the event's "
        "capacity is below its number of invitees"
    ) in markdown
    assert "> ⛔ **mandatory** policy `interpreter-for-other-languages`" in markdown


def test_an_advisory_finding_warns_and_apply_goes_ahead(repo: Repo, cli: Run) -> None:
    repo.write("schedule.yaml", events_only(invitees=150))
    result = cli("apply", repo.root, "--auto-approve", "--policy", EXAMPLE_POLICIES)
    assert "Policy: advisory policy capacity-for-every-invitee: events.gala" in result.stdout
    assert [r.method for r in repo.writes()] == ["POST"]


def test_a_count_rule_refuses_more_changes_than_it_allows(
    repo: Repo, cli: Run, tmp_path: Path
) -> None:
    folder = policy_folder(
        tmp_path,
        "limits",
        """rules:
  - name: at-most-2-new-sessions
    level: mandatory
    kinds: [sessions]
    actions: [create]
    max_changes: 2
    message: at most 2 new sessions per pull request
""",
    )
    repo.write("schedule.yaml", SCHEDULE.format(invitees=10))
    document = json.loads(cli("plan", repo.root, "--format", "json", "--policy", folder).stdout)
    (finding,) = document["policy"]["findings"]
    assert finding == {
        "rule": "at-most-2-new-sessions",
        "level": "mandatory",
        "address": None,
        "message": "at most 2 new sessions per pull request (3 changes, at most 2)",
    }


@pytest.mark.parametrize(
    ("now", "frozen"), [("2026-12-26T12:00:00Z", True), ("2027-01-04T00:00:00Z", False)]
)
def test_the_freeze_reads_the_runs_clock(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch, now: str, frozen: bool
) -> None:
    """`context.now` is the run's clock: pinned here, as the rails read it."""
    monkeypatch.setenv("RECONCILER_NOW", now)
    monkeypatch.setenv("RECONCILER_ALLOW_PINNED_CLOCK", "1")
    repo.write("schedule.yaml", events_only(invitees=10))
    document = json.loads(
        cli("plan", repo.root, "--format", "json", "--policy", EXAMPLE_POLICIES).stdout
    )
    assert (("quarter-end-freeze", "mandatory", None) in findings(document)) is frozen


def test_the_configurations_policies_entry_is_read_relative_to_its_file(
    repo: Repo, cli: Run
) -> None:
    policy_folder(
        repo.root,
        "rules",
        """rules:
  - name: titles-are-short
    level: advisory
    deny: has(change.after.title) && size(change.after.title) > 12
    message: keep titles short
""",
    )
    providers = repo.root / "providers.yaml"
    providers.write_text(providers.read_text() + "policies: [rules]\n")
    repo.write("schedule.yaml", SCHEDULE.format(invitees=10))
    document = json.loads(cli("plan", repo.root, "--format", "json").stdout)
    assert document["policy"]["sets"] == [(repo.root / "rules").as_posix()]
    assert {address for _, _, address in findings(document)} == {
        "sessions.early-depo",
        "sessions.spanish-hearing",
        "sessions.late-depo",
    }


COMMAND = """import json, sys
plan = json.load(sys.stdin)
print(json.dumps([
    {"rule": "no-galas", "level": "mandatory", "address": c["address"],
     "message": "galas need the partners' approval (asked by " + str(plan["context"]["author"])
                + ")"}
    for c in plan["changes"] if c["key"] == "gala"
]))
"""

# conftest's `--output json` results for one input, and its exit code on failures.
CONFTEST = """import json, sys
plan = json.load(sys.stdin)
failures = [{"msg": "events need a capacity of at least 150",
             "metadata": {"address": c["address"]}}
            for c in plan["changes"]
            if c["kind"] == "events" and (c["after"] or {}).get("capacity", 0) < 150]
print(json.dumps([{"filename": "-", "namespace": "main", "successes": 0,
                   "failures": failures, "warnings": []}]))
sys.exit(1 if failures else 0)
"""


def test_a_command_reads_the_plan_and_its_context_and_prints_findings(
    repo: Repo, cli: Run, tmp_path: Path, processes_run: FakeClock
) -> None:
    folder = policy_folder(
        tmp_path,
        "external",
        f"""commands:
  - name: approvals
    run: [{sys.executable}, approvals.py]
    timeout: 30
""",
    )
    (folder / "approvals.py").write_text(COMMAND, encoding="utf-8")
    repo.write("schedule.yaml", SCHEDULE.format(invitees=10))
    document = json.loads(cli("plan", repo.root, "--format", "json", "--policy", folder).stdout)
    assert document["policy"]["findings"] == [
        {
            "rule": "no-galas",
            "level": "mandatory",
            "address": "events.gala",
            "message": "galas need the partners' approval (asked by None)",
        }
    ]
    assert processes_run.waits_for("policy-command")  # waited on the product's clock


def test_conftests_own_output_and_exit_code_are_understood(
    repo: Repo, cli: Run, tmp_path: Path, processes_run: FakeClock
) -> None:
    """`conftest test - --output json` as it is: failures refuse, exit 1 is not a crash."""
    folder = policy_folder(
        tmp_path,
        "rego",
        f"""commands:
  - name: conftest
    run: [{sys.executable}, conftest.py, test, "-", --output, json]
""",
    )
    (folder / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    repo.write("schedule.yaml", SCHEDULE.format(invitees=10))
    result = cli("apply", repo.root, "--auto-approve", "--policy", folder, expect=1)
    assert (
        "refusing to apply: mandatory policy main: events.gala: events need a capacity "
        "of at least 150"
    ) in result.output
    assert repo.writes() == []


def test_in_the_action_findings_become_error_and_warning_annotations() -> None:
    lines = policy_annotations(
        [
            {
                "rule": "no-early-depositions",
                "level": "mandatory",
                "address": "sessions.a",
                "message": "too early",
            },
            {"rule": "capacity", "level": "advisory", "address": None, "message": "small room"},
        ],
        command="plan",
    )
    assert lines == [
        "::error title=reconciler plan%3A policy::mandatory policy no-early-depositions: "
        "sessions.a: too early",
        "::warning title=reconciler plan%3A policy::advisory policy capacity: small room",
    ]


def test_a_command_sees_no_credential_of_the_run(
    repo: Repo, cli: Run, tmp_path: Path, processes_run: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A policy folder may come in a pull request: its commands run without the run's
    credentials in their environment (the providers' keys, tokens, the plan key)."""
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_not_for_policies")
    assert "PREVISTO_API_KEY" in os.environ  # the configuration's own, set for the run
    folder = policy_folder(
        tmp_path,
        "snoop",
        f"""commands:
  - name: snoop
    run: [{sys.executable}, snoop.py]
""",
    )
    (folder / "snoop.py").write_text(
        "import json, os, sys\n"
        "seen = sorted(name for name in os.environ if 'KEY' in name or 'TOKEN' in name)\n"
        "print(json.dumps([{'rule': 'snoop', 'level': 'advisory', 'address': None,\n"
        "                   'message': ' '.join(seen) or 'nothing'}]))\n",
        encoding="utf-8",
    )
    repo.write("schedule.yaml", SCHEDULE.format(invitees=10))
    document = json.loads(cli("plan", repo.root, "--format", "json", "--policy", folder).stdout)
    assert [f["message"] for f in document["policy"]["findings"]] == ["nothing"]

