"""`drift` tells which side moved: an edit in the YAML not applied yet is not a remote change, and
`drift --write` never throws it away, nor rewrites a file holding work git has not kept."""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path

import httpx
import jwt
import jwt.warnings

from tests.fixtures.configs import SMITH_SCHEDULE
from tests.fixtures.repo import Repo, Run

SCHEDULE = SMITH_SCHEDULE

COLLEAGUES_TITLE = "Deposition of Jane Smith"


def colleague_retitles_session(http: httpx.Client) -> None:
    """An edit made in Prevail's web UI, outside git."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        bearer = jwt.encode(
            {"exp": int(time.time()) + 300, "slug": "sandbox-co"},
            "sandbox-prevail-key",
            algorithm="HS256",
        )
    headers = {"Authorization": f"Bearer {bearer}"}
    sessions = http.get("/prevail/sessions", params={"per_page": 1000}, headers=headers).json()
    (ours,) = [
        s
        for s in sessions["sessions"]
        if "reconciler-key: smith-depo" in (s["session_details"].get("additional_details") or "")
    ]
    edited = http.patch(
        f"/prevail/sessions/{ours['remote_session_id']}",
        json={"remote_session": {"title": COLLEAGUES_TITLE}},
        headers=headers,
    )
    assert edited.status_code == 200, edited.text


def applied(repo: Repo, cli: Run) -> tuple[Path, str]:
    """The schedule committed and applied: its file and the commit last applied."""
    schedule = repo.write("schedule.yaml", SCHEDULE.format(capacity=200))
    base = repo.commit_all("base")
    cli("apply", repo.root, "--auto-approve")
    return schedule, base


def line_of(report: str, address: str) -> str:
    (line,) = [line for line in report.splitlines() if line.startswith(f"{address}: ")]
    return line


def test_an_edit_in_the_yaml_not_applied_yet_is_not_reported_as_a_remote_change(
    repo: Repo, cli: Run, http: httpx.Client
):
    schedule, base = applied(repo, cli)
    colleague_retitles_session(http)
    schedule.write_text(SCHEDULE.format(capacity=250))  # the user's edit, not applied yet

    report = cli("drift", repo.root, expect=2).stdout
    assert line_of(report, "events.gala").startswith("events.gala: edited in git, not applied yet")
    assert "capacity: remote 200, declared 250" in report
    assert line_of(report, "sessions.smith-depo").startswith(
        "sessions.smith-depo: changed remotely"
    )
    assert "Drift: 1 changed remotely, 1 edited in git and not applied yet, 0 missing" in report

    # Committed, the edit is HEAD's too: the base ref (the commit last applied) still tells.
    repo.git("commit", "-q", "-am", "more seats")
    document = json.loads(
        cli("drift", repo.root, "--base-ref", base, "--format", "json", expect=2).stdout
    )
    directions = {
        item["address"]: [field["direction"] for field in item["fields"]]
        for item in document["items"]
    }
    assert directions == {"events.gala": ["git"], "sessions.smith-depo": ["remote"]}
    assert document["directions"] == {"remote": 1, "git": 1, "unknown": 0}


def test_drift_write_adopts_the_remote_edit_and_leaves_the_unapplied_one(
    repo: Repo, cli: Run, http: httpx.Client
):
    schedule, base = applied(repo, cli)
    schedule.write_text(SCHEDULE.format(capacity=250))
    repo.git("commit", "-q", "-am", "more seats")  # merged, not applied yet
    colleague_retitles_session(http)

    said = cli("drift", repo.root, "--write", "--base-ref", base, expect=2).stderr
    written = schedule.read_text()
    (title,) = [line for line in written.splitlines() if "title: Deposition" in line]
    assert title.startswith(f"    title: {COLLEAGUES_TITLE} ")
    assert title.endswith("# as agreed with opposing counsel")
    assert "capacity: 250   # the venue's limit" in written
    assert "Left as declared: events.gala capacity: edited in git, not applied yet" in said
    assert (
        f"What is edited in git is never overwritten: `reconciler apply {repo.root} "
        f"--base-ref {base}` sends it."
    ) in said

    # What is left to do is the user's edit, and apply sends it.
    planned = json.loads(cli("plan", repo.root, "--format", "json").stdout)
    assert [(c["address"], [f["field"] for f in c["fields"]]) for c in planned["changes"]] == [
        ("events.gala", ["capacity"])
    ]


def test_a_file_with_uncommitted_changes_is_rewritten_only_with_force(
    repo: Repo, cli: Run, http: httpx.Client
):
    schedule, _ = applied(repo, cli)
    colleague_retitles_session(http)
    # Work in progress, not committed: a note, and an edit not applied yet.
    edited = "# Venue to be confirmed.\n" + SCHEDULE.format(capacity=250)
    schedule.write_text(edited)

    said = cli("drift", repo.root, "--write", expect=2).stderr
    assert schedule.read_text() == edited
    assert (
        f"Not written: {schedule} has uncommitted changes; commit it (or pass --force to "
        f"write into it) and run `reconciler drift {repo.root} --write`"
    ) in said
    assert "Wrote" not in said

    forced = cli("drift", repo.root, "--write", "--force", expect=2).stderr
    assert f"Wrote remote values into {schedule}" in forced
    written = schedule.read_text()
    assert written.startswith("# Venue to be confirmed.\n")
    assert f"title: {COLLEAGUES_TITLE}" in written
    assert "capacity: 250" in written  # --force never overwrites an edit not applied yet
    assert "Left as declared: events.gala capacity: edited in git, not applied yet" in forced


def test_without_git_a_difference_has_no_direction_and_is_written_only_with_force(
    repo: Repo, cli: Run, http: httpx.Client
):
    schedule = repo.write("schedule.yaml", SCHEDULE.format(capacity=200))
    cli("apply", repo.root, "--auto-approve")
    colleague_retitles_session(http)

    report = cli("drift", repo.root, expect=2).stdout
    assert line_of(report, "sessions.smith-depo").startswith("sessions.smith-depo: differs")
    assert "changed remotely (" not in report
    assert (
        "Note: git cannot tell whether some fields were edited here or remotely: the "
        "configuration is not in a git repository"
    ) in report

    said = cli("drift", repo.root, "--write", expect=2).stderr
    assert "Deposition of J. Smith" in schedule.read_text()
    assert (
        "Left as declared: sessions.smith-depo title: differs, and git cannot tell which "
        "side changed it (--force writes the remote value)"
    ) in said
    cli("drift", repo.root, "--write", "--force", expect=2)
    assert COLLEAGUES_TITLE in schedule.read_text()


def test_a_file_git_does_not_track_only_differs(repo: Repo, cli: Run, http: httpx.Client):
    repo.commit_all("providers only")
    repo.write("schedule.yaml", SCHEDULE.format(capacity=200))  # never added
    cli("apply", repo.root, "--auto-approve")
    colleague_retitles_session(http)
    report = cli("drift", repo.root, expect=2).stdout
    assert line_of(report, "sessions.smith-depo").startswith("sessions.smith-depo: differs")
    assert "a file holding them is not committed" in report


def test_a_link_out_of_the_repository_at_the_base_ref_is_not_followed(
    repo: Repo, cli: Run, http: httpx.Client, tmp_path: Path
):
    """A configuration committed with a symbolic link that leads out of the repository: reading
    the base ref leaves the link out instead of following it (or failing)."""
    outside = tmp_path / "outside.yaml"
    outside.write_text(SCHEDULE.format(capacity=999))  # would declare every key a second time
    schedule, _ = applied(repo, cli)
    link = repo.root / "shared.yaml"
    link.symlink_to(os.path.relpath(outside, repo.root))
    base = repo.commit_all("a link out")
    link.unlink()  # the work tree no longer has it; the commit does
    colleague_retitles_session(http)

    planned = cli("plan", repo.root, "--base-ref", base, "--format", "json").stdout
    (change,) = json.loads(planned)["changes"]
    assert (change["address"], change["origin"]) == ("sessions.smith-depo", "drift")
    report = cli("drift", repo.root, "--base-ref", base, expect=2).stdout
    assert line_of(report, "sessions.smith-depo").startswith(
        "sessions.smith-depo: changed remotely"
    )
    assert schedule.read_text() == SCHEDULE.format(capacity=200)
