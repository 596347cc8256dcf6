"""Files a run writes on this machine (`reconciler.local_files`): never through a symbolic link a
checkout could hold, and every path that cannot be written is one line that names it and what to
do, exit 1, with nothing sent to the API that the journal could not record."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.config import load
from reconciler.engine.apply import Journal, apply_plan
from reconciler.engine.plan import PlanOptions, build_plan
from reconciler.providers import Outcome, build_providers
from tests.fixtures.faults import event, session
from tests.fixtures.repo import Repo, Run

ONE_EVENT = "version: 1\nevents:\n" + event("e-one", "One", 3)
SESSIONS = "version: 1\nsessions:\n" + "".join(
    session(key, key.upper(), day) for day, key in enumerate(("s-a", "s-b", "s-c"), 3)
)
FULL = Path("/dev/full")
needs_dev_full = pytest.mark.skipif(not FULL.exists(), reason="no /dev/full on this system")


def victim(tmp_path: Path) -> Path:
    """A file of the user's that a planted link points at."""
    path = tmp_path / "victim.txt"
    path.write_text("the user's own file\n", encoding="utf-8")
    return path


def error_line(stderr: str) -> str:
    [line] = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    return line


def test_a_journal_that_is_a_link_is_refused_before_anything_is_sent(
    repo: Repo, cli: Run, tmp_path: Path
):
    repo.write("e.yaml", ONE_EVENT)
    target = victim(tmp_path)
    Path(".reconciler").mkdir()
    Path(".reconciler/journal.jsonl").symlink_to(target)

    result = cli("apply", repo.root, "--auto-approve", expect=1)
    assert error_line(result.stderr) == (
        "Error: .reconciler/journal.jsonl is a symbolic link, and the journal is never written "
        "through one (a link in a checkout could point at any file): remove the link, or "
        "choose another --journal"
    )
    assert target.read_text(encoding="utf-8") == "the user's own file\n"
    assert repo.writes() == []


def test_a_state_folder_that_is_a_link_is_refused(repo: Repo, cli: Run, tmp_path: Path):
    repo.write("e.yaml", ONE_EVENT)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    Path(".reconciler").symlink_to(elsewhere)

    result = cli("apply", repo.root, "--auto-approve", expect=1)
    assert error_line(result.stderr) == (
        "Error: .reconciler is a symbolic link, and the journal is never written through one "
        "(a link in a checkout could point at any file): remove the link, or choose another "
        "--journal"
    )
    assert list(elsewhere.iterdir()) == []
    assert repo.writes() == []


def test_a_sandbox_database_that_is_a_link_is_refused(cli: Run, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    Path("e.yaml").write_text(ONE_EVENT, encoding="utf-8")
    target = victim(tmp_path)
    Path(".reconciler").mkdir()
    Path(".reconciler/sandbox.db").symlink_to(target)

    result = cli("plan", "--sandbox", "e.yaml", expect=1)
    assert error_line(result.stderr) == (
        "Error: .reconciler/sandbox.db is a symbolic link, and the sandbox's database is never "
        "written through one (a link in a checkout could point at any file): remove the link, "
        "or choose another --sandbox-db"
    )
    assert target.read_text(encoding="utf-8") == "the user's own file\n"


def test_a_state_folder_that_is_a_file_is_one_line(repo: Repo, cli: Run):
    repo.write("e.yaml", ONE_EVENT)
    Path(".reconciler").write_text("", encoding="utf-8")

    applied = cli("apply", repo.root, "--auto-approve", expect=1)
    assert error_line(applied.stderr) == (
        "Error: .reconciler is a file, not a folder, so the journal cannot be kept below it: "
        "remove or rename it, or choose another --journal"
    )
    assert repo.writes() == []
    planned = cli("plan", "--sandbox", repo.root, expect=1)
    assert error_line(planned.stderr) == (
        "Error: .reconciler is a file, not a folder, so the sandbox's database cannot be kept "
        "below it: remove or rename it, or choose another --sandbox-db"
    )


@pytest.mark.skipif(not Path("/sys").is_dir(), reason="needs /sys, where no one creates folders")
@pytest.mark.parametrize(
    ("command", "option"),
    [(("apply", "--auto-approve"), "--journal"), (("plan", "--sandbox"), "--sandbox-db")],
    ids=["apply", "plan-sandbox"],
)
def test_an_unwritable_working_folder_is_one_line(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch, command: tuple[str, str], option: str
):
    # A folder no user may create anything in, root included (mode bits do not bind root).
    repo.write("e.yaml", ONE_EVENT)
    monkeypatch.chdir("/sys")
    result = cli(command[0], repo.root, command[1], expect=1)
    line = error_line(result.stderr)
    assert line.startswith("Error: cannot create the folder .reconciler (")
    assert line.endswith(f"): run where it can be written, or choose another {option}")
    assert repo.writes() == []


def test_a_lock_that_is_a_link_is_refused_and_its_target_untouched(
    repo: Repo, cli: Run, tmp_path: Path
):
    repo.write("e.yaml", ONE_EVENT)
    cli("apply", repo.root, "--auto-approve")
    [lock] = (tmp_path / "cache" / "reconciler" / "locks").glob("*.lock")
    lock.unlink()
    target = victim(tmp_path)
    lock.symlink_to(target)
    repo.write("e.yaml", ONE_EVENT.replace("One", "Renamed"))
    repo.forget_requests()

    result = cli("apply", repo.root, "--auto-approve", expect=1)
    assert error_line(result.stderr) == (
        f"Error: {lock} is a symbolic link, and the apply lock is never written through one (a "
        "link in a checkout could point at any file): remove the link, or set XDG_CACHE_HOME "
        "to another folder"
    )
    assert target.read_text(encoding="utf-8") == "the user's own file\n"
    assert repo.requests() == []  # refused before the refresh


def test_a_lock_folder_that_is_a_file_is_one_line(repo: Repo, cli: Run, tmp_path: Path):
    repo.write("e.yaml", ONE_EVENT)
    locks = tmp_path / "cache" / "reconciler" / "locks"
    locks.parent.mkdir(parents=True)
    locks.write_text("", encoding="utf-8")

    result = cli("apply", repo.root, "--auto-approve", expect=1)
    assert error_line(result.stderr) == (
        f"Error: {locks} is a file, not a folder, so the apply lock cannot be kept below it: "
        "remove or rename it, or set XDG_CACHE_HOME to another folder"
    )
    assert repo.requests() == []


def test_plan_out_through_a_link_is_refused(repo: Repo, cli: Run, tmp_path: Path):
    repo.write("e.yaml", ONE_EVENT)
    target = victim(tmp_path)
    Path("plan.json").symlink_to(target)

    result = cli("plan", repo.root, "-o", "plan.json", expect=1)
    assert error_line(result.stderr) == (
        "Error: plan.json is a symbolic link, and the plan file is never written through one "
        "(a link in a checkout could point at any file): remove the link, or choose another -o"
    )
    assert target.read_text(encoding="utf-8") == "the user's own file\n"


@needs_dev_full
def test_plan_out_to_a_full_disk_is_one_line(repo: Repo, cli: Run):
    repo.write("e.yaml", ONE_EVENT)
    result = cli("plan", repo.root, "-o", FULL, expect=1)
    assert error_line(result.stderr) == (
        "Error: cannot write the plan file /dev/full (No space left on device): free some "
        "space there, or choose another -o"
    )


@needs_dev_full
def test_a_journal_on_a_full_disk_stops_before_the_first_write_with_the_table(
    repo: Repo, cli: Run
):
    repo.write("e.yaml", ONE_EVENT)
    result = cli("apply", repo.root, "--auto-approve", "--journal", FULL, expect=1)
    assert "Apply complete: 0 applied, 0 failed, 1 not attempted." in result.stdout
    assert "  events.e-one                             create   not attempted" in result.stdout
    assert error_line(result.stderr) == (
        "Error: the apply stopped before its next write, as its journal could not be written: "
        "cannot write the journal /dev/full (No space left on device): free some space there, "
        "or choose another --journal"
    )
    assert repo.writes() == []


# Room for the first session's two lines (about 150 and 220 bytes) but not the third: the
# journal fails as the second session starts.
JOURNAL_BYTES = 420


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (JOURNAL_BYTES, JOURNAL_BYTES))


def test_a_journal_that_fails_mid_apply_stops_before_the_next_write_with_the_table(
    repo: Repo, tmp_path: Path
):
    """In its own process under a file-size limit (Python ignores SIGXFSZ, so a write past it
    fails with EFBIG, as on a full disk): the first session is sent and recorded, the journal
    then fails, and the other two are never sent."""
    repo.write("s.yaml", SESSIONS)
    journal = tmp_path / "journal.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "apply", str(repo.root), "--auto-approve",
         "--parallelism", "1", "--journal", str(journal)],
        capture_output=True, text=True, timeout=60, preexec_fn=_limit_file_size,
        env={**os.environ, "NO_COLOR": "1"}, check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Apply complete: 1 applied, 0 failed, 2 not attempted." in done.stdout
    table = [line.split() for line in done.stdout.splitlines() if line.startswith("  sessions.")]
    assert table == [
        ["sessions.s-a", "create", "applied"],
        ["sessions.s-b", "create", "not", "attempted"],
        ["sessions.s-c", "create", "not", "attempted"],
    ]
    assert error_line(done.stderr) == (
        "Error: the apply stopped before its next write, as its journal could not be written: "
        f"cannot write the journal {journal} (File too large): free some space there, or "
        "choose another --journal"
    )
    assert [(w.method, w.path) for w in repo.writes()] == [("POST", "/prevail/sessions")]
    recorded = [json.loads(line) for line in journal.read_text().splitlines()[:2]]
    assert [(entry["event"], entry["address"]) for entry in recorded] == [
        ("start", "sessions.s-a"), ("applied", "sessions.s-a")]


def test_a_journal_swapped_for_a_link_mid_apply_is_not_followed(repo: Repo, tmp_path: Path):
    """The journal is opened anew for every line, never through a link: one planted while the
    apply runs stops it before its next write, as a failed write does."""
    repo.write("s.yaml", SESSIONS)
    state = load(repo.root)
    providers = build_providers(state)
    journal = Journal(tmp_path / "journal.jsonl")
    target = victim(tmp_path)

    def plant_link(_: Outcome) -> None:
        if not journal.path.is_symlink():
            journal.path.unlink()
            journal.path.symlink_to(target)

    try:
        plan = build_plan(state, providers, PlanOptions()).plan
        report = apply_plan(plan, providers, parallelism=1, journal=journal,
                            on_outcome=plant_link)
    finally:
        for provider in providers.values():
            provider.client.close()
    assert [outcome.change.address.key for outcome in report.applied] == ["s-a"]
    assert [change.address.key for change in report.not_attempted] == ["s-b", "s-c"]
    assert not report.ok
    assert str(report.journal_failure) == (
        f"{journal.path} is a symbolic link, and the journal is never written through one (a "
        "link in a checkout could point at any file): remove the link, or choose another "
        "--journal"
    )
    assert target.read_text(encoding="utf-8") == "the user's own file\n"
    assert [(w.method, w.path) for w in repo.writes()] == [("POST", "/prevail/sessions")]
