"""What a run prints is safe to act on: a next step copied as printed goes where the run went and
plans what it planned; warnings are repeated below the plan; a mistyped `--target` is an error."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from reconciler.sandbox.faults import Fault
from tests.fixtures.faults import FAST, event
from tests.fixtures.repo import EXAMPLES, SANDBOX_ENV, Repo, Run


def next_step(output: str, after: str) -> list[str]:
    """The command line printed in backticks after `after`, split as a shell would."""
    found = re.search(re.escape(after) + r"[^`]*`reconciler ([^`]+)`", output)
    assert found, output
    return shlex.split(found[1])


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with no provider credentials, as on a new user's machine."""
    for name in SANDBOX_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_import_hint_keeps_the_sandbox_it_read(elsewhere: Path, cli: Run):
    configuration = elsewhere / "our schedule"  # a space: the step quotes it for a shell
    shutil.copytree(EXAMPLES, configuration, ignore=shutil.ignore_patterns(".*"))
    database = elsewhere / "demo.db"
    imported = configuration / "imported.yaml"
    said = cli(
        "import",
        configuration,
        "--sandbox",
        "--sandbox-db",
        database,
        "--kind",
        "events",
        "-o",
        imported,
    ).stderr
    step = next_step(said, f"to {imported}; ")
    assert step == [
        "apply",
        str(configuration),
        "--adopt",
        "--sandbox",
        "--sandbox-db",
        str(database),
    ]
    assert f"# `reconciler {shlex.join(step)}` marks them" in imported.read_text()

    # Run as printed, it goes to the same sandbox: this folder has no credentials for the real
    # providers, so a run that went there would stop with an error.
    adopted = cli(*step, "--auto-approve").stdout
    assert "Apply complete:" in adopted
    cli(
        "plan",
        configuration,
        "--sandbox",
        "--sandbox-db",
        database,
        "--detailed-exitcode",
        expect=0,
    )


def test_the_import_hint_says_to_move_a_file_written_outside_the_configuration(
    elsewhere: Path, cli: Run
):
    outside = elsewhere / "events.yaml"
    said = cli("import", EXAMPLES, "--sandbox", "--kind", "events", "-o", outside).stderr
    assert f"to {outside}; move it into {EXAMPLES}, then `reconciler apply {EXAMPLES} " in said


def test_the_saved_plan_hint_applies_it_with_the_options_it_was_made_with(
    elsewhere: Path, cli: Run
):
    database = elsewhere / "demo.db"
    said = cli(
        "plan",
        EXAMPLES,
        "--sandbox",
        "--sandbox-db",
        database,
        "--max-change-percent",
        "100",
        "-o",
        "plan.json",
    ).stdout
    step = next_step(said, "Saved the plan to plan.json")
    assert step[:2] == ["apply", "plan.json"]
    assert " ".join(step[2:]) in (
        f"--max-change-percent 100.0 --sandbox --sandbox-db {database}",
        f"--sandbox --sandbox-db {database} --max-change-percent 100.0",
    )
    applied = cli(*step, "--auto-approve").stdout
    assert "Apply complete:" in applied


def test_the_apply_again_hint_carries_the_run_options(repo: Repo, cli: Run):
    repo.write(
        "e.yaml", "version: 1\nevents:\n" + event("p-one", "One", 3) + event("p-two", "Two", 4)
    )
    cli(*FAST, "apply", repo.root, "--auto-approve")
    repo.write("e.yaml", "version: 1\nevents:\n" + event("p-one", "One again", 3))
    repo.sandbox.faults.add(
        Fault(kind="status", status=500, path=r"/events/[^/]+$", method="PATCH", times=5)
    )
    failed = cli(
        *FAST, "apply", repo.root, "--auto-approve", "--prune", "--target", "events.p-one", expect=1
    ).stdout
    assert next_step(failed, "Run ") == [
        "apply",
        str(repo.root),
        "--prune",
        "--target",
        "events.p-one",
    ]


def test_a_mistyped_target_is_an_error_that_names_the_address_meant(repo: Repo, cli: Run):
    repo.write("e.yaml", "version: 1\nevents:\n" + event("winter-gala", "Gala", 3))
    cli("apply", repo.root, "--auto-approve")
    repo.write("e.yaml", "version: 1\nevents:\n" + event("winter-gala", "Gala moved", 3))

    refused = cli("plan", repo.root, "--target", "events.winter-galla", expect=1)
    assert (
        "Error: --target events.winter-galla names no declared or managed object (did you "
        "mean events.winter-gala?)"
    ) in refused.stderr
    assert "nothing to change" not in refused.output

    repo.forget_requests()
    cli("apply", repo.root, "--auto-approve", "--target", "events.winter-galla", expect=1)
    assert repo.writes() == []
    # A managed object no longer declared is still a target (for --prune).
    repo.write("e.yaml", "version: 1\nevents: []\n")
    cli("plan", repo.root, "--prune", "--target", "events.winter-gala")


def test_warnings_are_repeated_below_the_plan_line(repo: Repo, cli: Run):
    repo.write("e.yaml", "version: 1\nevents:\n" + event("one", "One", 3) + event("two", "Two", 4))
    lines = cli("plan", repo.root, "--target", "events.one").stdout.splitlines()
    warning = next(line for line in lines if line.startswith("Warning: --target events.one"))
    summary = next(index for index, line in enumerate(lines) if line.startswith("Plan: "))
    assert lines.index(warning) < summary  # above the changes, as before
    assert warning in lines[summary + 1 :]  # and again where the reader is when it ends
