"""Red team: every way past a mandatory policy is a refusal, and nothing is written.

The schedule breaks one mandatory rule (a deposition at 07:00 on the deponent's clock) or a
policy set cannot judge it; each test tries one way round.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from reconciler import clock as product_clock
from tests.fixtures.clock import FakeClock
from tests.fixtures.repo import Repo, Run
from tests.policy.conftest import EXAMPLE_POLICIES, policy_folder

EARLY = """version: 1
sessions:
  - key: early-depo
    title: Deposition of J. Smith
    case: 2027-CV-0142
    start: 2027-03-02T07:00
    time_zone: America/New_York
    duration_hours: 1.5
    invites: [counsel@example.com]
    session_type: remote_deposition
    languages: English
"""
# The same object at a civil hour: no rule of the examples objects to it.
CIVIL = EARLY.replace("T07:00", "T10:00")


def refused(result_output: str, repo: Repo, *fragments: str) -> None:
    assert "refusing to apply: mandatory policy" in result_output, result_output
    for fragment in fragments:
        assert fragment in result_output, result_output
    assert repo.writes() == []


def test_a_crashing_rule_refuses(repo: Repo, cli: Run, tmp_path: Path) -> None:
    """A condition that fails on the plan (a division by zero) is not a pass."""
    folder = policy_folder(
        tmp_path,
        "broken",
        """rules:
  - name: broken
    level: advisory
    deny: 1 / 0 == 1
    message: never reached
""",
    )
    repo.write("schedule.yaml", CIVIL)
    result = cli("apply", repo.root, "--auto-approve", "--policy", folder, expect=1)
    refused(result.output, repo, "rule broken failed on sessions.early-depo")


def test_a_rule_that_does_not_compile_refuses(repo: Repo, cli: Run, tmp_path: Path) -> None:
    folder = policy_folder(
        tmp_path,
        "typo",
        """rules:
  - name: typo
    level: mandatory
    deny: change.after.title ==
    message: never reached
""",
    )
    repo.write("schedule.yaml", CIVIL)
    result = cli("apply", repo.root, "--auto-approve", "--policy", folder, expect=1)
    refused(result.output, repo, "rule typo: deny is not valid CEL")


@pytest.mark.parametrize("contents", ["", "notes.txt", "rules.yaml"])
def test_a_policy_folder_that_loads_no_rule_refuses(
    repo: Repo, cli: Run, tmp_path: Path, contents: str
) -> None:
    """An empty folder, one without policy files, one whose rules file is misnamed: 0 rules
    judged is a refusal, never "0 policies evaluated, passed"."""
    folder = tmp_path / "empty"
    folder.mkdir()
    if contents:
        (folder / contents).write_text("rules: []\n", encoding="utf-8")
    repo.write("schedule.yaml", CIVIL)
    result = cli("apply", repo.root, "--auto-approve", "--policy", folder, expect=1)
    refused(result.output, repo, "loaded no rule")


def test_a_missing_policy_folder_refuses(repo: Repo, cli: Run, tmp_path: Path) -> None:
    repo.write("schedule.yaml", CIVIL)
    result = cli("apply", repo.root, "--auto-approve", "--policy", tmp_path / "nowhere", expect=1)
    refused(result.output, repo, "no such policy folder")


@pytest.mark.parametrize(
    ("script", "why"),
    [
        ("import sys; sys.exit(3)", "exited 3"),
        ("print('all good!')", "not findings"),
        (
            "import json; print(json.dumps([{'rule': 'x', 'level': 'fatal', 'message': 'm'}]))",
            "not findings",
        ),
        ("import sys; print('[]'); sys.exit(2)", "exited 2 without a mandatory finding"),
    ],
)
def test_a_crashing_command_refuses(
    repo: Repo, cli: Run, tmp_path: Path, processes_run: FakeClock, script: str, why: str
) -> None:
    folder = policy_folder(
        tmp_path,
        "external",
        f"""commands:
  - name: checker
    run: [{sys.executable}, check.py]
""",
    )
    (folder / "check.py").write_text(script, encoding="utf-8")
    repo.write("schedule.yaml", CIVIL)
    result = cli("apply", repo.root, "--auto-approve", "--policy", folder, expect=1)
    refused(result.output, repo, "policy checker: policy command failed", why)


def test_a_command_that_cannot_start_refuses(repo: Repo, cli: Run, tmp_path: Path) -> None:
    folder = policy_folder(
        tmp_path,
        "external",
        """commands:
  - name: checker
    run: [./not-installed-anywhere]
""",
    )
    repo.write("schedule.yaml", CIVIL)
    result = cli("apply", repo.root, "--auto-approve", "--policy", folder, expect=1)
    refused(result.output, repo, "could not start './not-installed-anywhere'")


def test_a_command_that_outlives_its_timeout_is_stopped_and_refuses(
    repo: Repo, cli: Run, tmp_path: Path, clock: FakeClock
) -> None:
    """The timeout runs on the product's clock: the test's clock lets it pass at once."""
    folder = policy_folder(
        tmp_path,
        "slow",
        f"""commands:
  - name: slow
    run: [{sys.executable}, -c, "import time; time.sleep(3600)"]
    timeout: 5
""",
    )
    repo.write("schedule.yaml", CIVIL)
    result = cli("apply", repo.root, "--auto-approve", "--policy", folder, expect=1)
    refused(result.output, repo, "did not finish within 5 s; it was stopped")
    assert round(sum(clock.waits_for("policy-command")), 6) == 5  # waited exactly its timeout


def test_force_does_not_override_a_mandatory_policy(repo: Repo, cli: Run) -> None:
    repo.write("schedule.yaml", EARLY)
    result = cli(
        "apply", repo.root, "--auto-approve", "--force", "--policy", EXAMPLE_POLICIES, expect=1
    )
    refused(result.output, repo, "no-early-depositions", "not overridden by --force")


def test_a_plan_saved_without_the_policy_is_judged_by_it_on_apply(
    repo: Repo, cli: Run, tmp_path: Path
) -> None:
    repo.write("schedule.yaml", EARLY)
    saved = tmp_path / "plan.json"
    cli("plan", repo.root, "-o", saved)
    result = cli("apply", saved, "--auto-approve", "--policy", EXAMPLE_POLICIES, expect=1)
    refused(result.output, repo, "no-early-depositions")


def test_a_plan_saved_with_the_policy_is_judged_again_without_naming_it(
    repo: Repo, cli: Run, tmp_path: Path
) -> None:
    repo.write("schedule.yaml", EARLY)
    saved = tmp_path / "plan.json"
    cli("plan", repo.root, "-o", saved, "--policy", EXAMPLE_POLICIES)
    result = cli("apply", saved, "--auto-approve", expect=1)
    refused(result.output, repo, "no-early-depositions")


def test_a_tampered_findings_field_is_not_trusted(repo: Repo, cli: Run, tmp_path: Path) -> None:
    """Emptying the saved findings changes nothing: apply judges the changes itself, by the
    configuration's own `policies:` (covered by the plan's configuration fingerprint)."""
    policies = repo.root / "policies"
    policies.mkdir()
    for source in EXAMPLE_POLICIES.iterdir():
        (policies / source.name).write_bytes(source.read_bytes())
    providers = repo.root / "providers.yaml"
    providers.write_text(providers.read_text() + "policies: [policies]\n")
    repo.write("schedule.yaml", EARLY)
    saved = tmp_path / "plan.json"
    cli("plan", repo.root, "-o", saved)
    document = json.loads(saved.read_text(encoding="utf-8"))
    assert document["policy"]["findings"]
    document["policy"] = {"sets": [], "findings": []}
    document["source"]["policies"] = []
    saved.write_text(json.dumps(document), encoding="utf-8")
    result = cli("apply", saved, "--auto-approve", expect=1)
    refused(result.output, repo, "no-early-depositions")


def test_a_rule_that_passes_lets_apply_write(repo: Repo, cli: Run) -> None:
    """The control: the same configuration at a civil hour goes through."""
    repo.write("schedule.yaml", CIVIL)
    cli("apply", repo.root, "--auto-approve", "--policy", EXAMPLE_POLICIES)
    assert [r.method for r in repo.writes()] == ["POST"]


class SlowRules(FakeClock):
    """The test's clock, on which every look the rules take at the time finds ten more seconds
    gone: rules that would take minutes on a slow machine. Only the rules' looks: the rest of
    the run (a body's read rate, a token's age) keeps the test's ordinary time, or a transfer
    would seem to crawl, as the number of chunks a body arrives in decides."""

    def monotonic(self) -> float:
        if sys._getframe(1).f_globals.get("__name__", "").startswith("reconciler.policy"):
            self.advance(10)
        return super().monotonic()


def test_rules_that_outlive_their_time_budget_refuse(repo: Repo, cli: Run) -> None:
    repo.write("schedule.yaml", CIVIL)
    with product_clock.installed(SlowRules()):
        result = cli("apply", repo.root, "--auto-approve", "--policy", EXAMPLE_POLICIES, expect=1)
    refused(result.output, repo, "ran out of the rules' time budget")
