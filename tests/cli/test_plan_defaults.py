"""The options a plan is made with may live in the configuration (`defaults:`), so that plan and
apply, run apart, read the same ones; a flag wins over its default, a saved plan records the
options in effect, and a bad `defaults:` is refused at its file and line."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.config import load
from tests.fixtures.repo import EXAMPLES, SANDBOX_ENV, Repo, Run

TWO_EVENTS = """version: 1
events:
  - key: board-dinner
    title: Board dinner
    start: 2030-03-01T18:00:00Z
    end: 2030-03-01T21:00:00Z
  - key: staff-lunch
    title: Staff lunch
    start: 2030-03-02T12:00:00Z
    end: 2030-03-02T13:00:00Z
"""
ONE_EVENT = TWO_EVENTS[: TWO_EVENTS.index("  - key: staff-lunch")]
# Pruning one of two events is half of them: past the built-in 30 % rail.
PRUNING = "defaults:\n  prune: true\n  max_change_percent: 100\n"


def one_left_undeclared(repo: Repo, cli: Run, defaults: str) -> None:
    """Both events applied, then one removed from the YAML; `defaults` added to providers.yaml."""
    repo.write("events.yaml", TWO_EVENTS)
    cli("apply", repo.root, "--auto-approve")
    repo.write("events.yaml", ONE_EVENT)
    providers = repo.root / "providers.yaml"
    providers.write_text(providers.read_text(encoding="utf-8") + defaults, encoding="utf-8")
    repo.forget_requests()


def planned(cli: Run, *args: str | Path) -> dict[str, object]:
    document: dict[str, object] = json.loads(cli("plan", *args, "--format", "json").stdout)
    return document


def actions(document: dict[str, object]) -> list[tuple[str, str]]:
    changes = document["changes"]
    assert isinstance(changes, list)
    return [(change["address"], change["action"]) for change in changes]


def test_defaults_prune_plans_the_removal_without_the_flag(repo: Repo, cli: Run):
    one_left_undeclared(repo, cli, PRUNING)

    document = planned(cli, repo.root)
    assert actions(document) == [("events.staff-lunch", "delete")]
    source = document["source"]
    assert isinstance(source, dict)
    assert source["prune"] is True
    assert source["max_change_percent"] == 100.0
    assert source["on_drift"] == "revert"


def test_a_flag_wins_over_its_default(repo: Repo, cli: Run):
    one_left_undeclared(repo, cli, PRUNING + "  on_drift: keep\n")

    document = planned(cli, repo.root, "--no-prune", "--on-drift", "revert",
                       "--max-change-percent", "10")
    assert actions(document) == []
    source = document["source"]
    assert isinstance(source, dict)
    assert (source["prune"], source["on_drift"], source["max_change_percent"]) == (
        False, "revert", 10.0)


def test_a_plan_saved_with_defaults_applies_with_the_same_defaults(repo: Repo, cli: Run):
    one_left_undeclared(repo, cli, PRUNING)
    saved = repo.root.parent / "plan.json"
    cli("plan", repo.root, "-o", saved)

    cli("apply", saved, "--auto-approve")
    assert [r.method for r in repo.writes()] == ["DELETE"]


def test_a_saved_plan_asked_for_other_options_names_both_jobs_and_the_fix(repo: Repo, cli: Run):
    one_left_undeclared(repo, cli, PRUNING)
    saved = repo.root.parent / "plan.json"
    cli("plan", repo.root, "-o", saved)
    repo.forget_requests()

    refused = cli("apply", saved, "--auto-approve", "--no-prune", expect=1)
    assert (
        "the plan job and the apply job pass different options: plan had --prune, apply has "
        "--no-prune; put shared options in providers.yaml's defaults: block"
    ) in refused.stderr
    assert str(saved) not in refused.stderr
    assert repo.requests() == []


def test_unknown_defaults_and_bad_values_are_refused_at_their_line(repo: Repo, cli: Run):
    providers = repo.root / "providers.yaml"
    lines = len(providers.read_text(encoding="utf-8").splitlines())
    providers.write_text(
        providers.read_text(encoding="utf-8")
        + "defaults:\n  prune: sometimes\n  purge: true\n  on_drift: ignore\n",
        encoding="utf-8",
    )

    refused = cli("validate", repo.root, expect=1)
    where = f"{providers.name}:"
    errors = refused.stderr
    assert f"{where}{lines + 2}:" in errors and "prune" in errors
    assert f"{where}{lines + 3}:" in errors and "purge" in errors
    assert f"{where}{lines + 4}:" in errors and "ignore" in errors


def test_defaults_set_in_two_files_are_refused_at_the_second(repo: Repo, cli: Run):
    providers = repo.root / "providers.yaml"
    providers.write_text(
        providers.read_text(encoding="utf-8") + "defaults:\n  prune: true\n", encoding="utf-8"
    )
    repo.write("events.yaml", "version: 1\ndefaults:\n  strict: true\n" + ONE_EVENT[11:])

    refused = cli("validate", repo.root, expect=1)
    assert "events.yaml:2:" in refused.stderr
    assert "defaults are set twice (first at" in refused.stderr


def test_the_examples_commented_defaults_uncommented_are_valid(tmp_path: Path, cli: Run):
    """The example providers.yaml offers a `defaults:` block in comments: as uncommented, it
    loads, with the values it shows."""
    text = (EXAMPLES / "providers.yaml").read_text(encoding="utf-8")
    start = text.index("# defaults:")
    block = text[start:].replace("\n# ", "\n").removeprefix("# ")
    assert "defaults:\n  prune: true" in block
    (tmp_path / "providers.yaml").write_text(text[:start] + block, encoding="utf-8")

    cli("validate", tmp_path)
    defaults = load(tmp_path, environ=SANDBOX_ENV).defaults
    assert (defaults.prune, defaults.on_drift, defaults.strict, defaults.max_change_percent) == (
        True, "revert", False, 30.0)
