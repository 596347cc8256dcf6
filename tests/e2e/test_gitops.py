"""A pull request, end to end: changes labelled `config` or `drift`, drift found and adopted."""

from __future__ import annotations

import json
import subprocess
import time
import warnings
from pathlib import Path

import httpx
import jwt
import jwt.warnings

from tests.fixtures.configs import SMITH_SCHEDULE
from tests.fixtures.repo import Repo, Run

SCHEDULE = SMITH_SCHEDULE


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root, capture_output=True, text=True, check=True,
    )
    return done.stdout.strip()


def colleague_retitles_session(http: httpx.Client, title: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        bearer = jwt.encode({"exp": int(time.time()) + 300, "slug": "sandbox-co"},
                            "sandbox-prevail-key", algorithm="HS256")
    headers = {"Authorization": f"Bearer {bearer}"}
    sessions = http.get("/prevail/sessions", params={"per_page": 1000}, headers=headers).json()
    (ours,) = [s for s in sessions["sessions"]
               if "reconciler-key: smith-depo" in (s["session_details"].get("additional_details")
                                                   or "")]
    edited = http.patch(f"/prevail/sessions/{ours['remote_session_id']}",
                        json={"remote_session": {"title": title}}, headers=headers)
    assert edited.status_code == 200, edited.text


def test_pull_request_scenario(repo: Repo, cli: Run, http: httpx.Client):
    root = repo.root
    schedule = repo.write("schedule.yaml", SCHEDULE.format(capacity=200))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    cli("apply", root, "--auto-approve")

    # The pull request edits the event; meanwhile a colleague edits the session in Prevail's UI.
    git(root, "checkout", "-q", "-b", "pr")
    schedule.write_text(SCHEDULE.format(capacity=250))
    git(root, "commit", "-q", "-am", "more seats")
    colleague_retitles_session(http, "Deposition of Jane Smith")

    labelled = cli("plan", root, "--base-ref", "main", "--format", "json")
    changes = {c["address"]: c for c in json.loads(labelled.stdout)["changes"]}
    assert changes["events.gala"]["origin"] == "config"
    assert changes["sessions.smith-depo"]["origin"] == "drift"
    text = cli("plan", root, "--base-ref", "main").stdout
    assert "[config]" in text and "[drift]" in text

    # On main, the scheduled drift check finds the colleague's edit and adopts it into git.
    git(root, "checkout", "-q", "main")
    found = cli("drift", root, expect=2)
    assert "sessions.smith-depo" in found.stdout
    assert 'title: remote "Deposition of Jane Smith", declared "Deposition of J. Smith"' in (
        found.stdout
    )
    assert "events.gala" not in found.stdout
    cli("drift", root, "--write", expect=2)
    cli("drift", root, expect=0)
    rewritten = schedule.read_text()
    (title_line,) = [line for line in rewritten.splitlines() if "title: Deposition" in line]
    assert title_line.startswith("    title: Deposition of Jane Smith ")
    assert title_line.endswith("# as agreed with opposing counsel")
    assert "# Depositions for the Smith matter." in rewritten
    assert "capacity: 200   # the venue's limit" in rewritten
