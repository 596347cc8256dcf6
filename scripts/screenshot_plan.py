#!/usr/bin/env python3
"""Make the screenshot of the HTML plan that the documentation shows (`docs/images/plan-html.png`).

The plan is the examples' as a pull request shows it, against the embedded sandbox: the base
commit holds every example file but the sessions, and is applied; the pull request adds the
sessions (`config` changes, created); meanwhile someone moved two events in Prospero itself
(`drift` changes, each drawn as a before → after row with its delta). The example files are
copied as they are into a temporary git repository, never edited. The page is then opened in a
headless Chromium (Debian's `chromium`, or any Chrome on PATH) and its first screen saved as PNG.

    python scripts/screenshot_plan.py [--output PNG] [--html PAGE] [--browser PATH]

Exit codes: 0 the screenshot is written; 1 a step failed (its output is shown); 3 no headless
browser was found (nothing is written).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import httpx

from reconciler.sandbox import SandboxSettings, create_app
from reconciler.sandbox.server import running

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
DEFAULT_OUTPUT = ROOT / "docs" / "images" / "plan-html.png"
# The screenshot's size in CSS pixels (and PNG pixels: the scale factor is forced to 1). The
# height holds the header, the chart and the first rows of the table.
WIDTH, HEIGHT = 1400, 1100
NO_BROWSER = 3
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome",
            "headless_shell")
# The examples' dates are in 2027: the plan is made as of this day, so that they stay in the
# future (the past is neither created nor changed) whenever the script runs.
NOW = "2026-12-01T00:00:00Z"
# The sandbox's published, fixed Prospero token (the README lists the sandbox's credentials).
PROSPERO_TOKEN = {"Authorization": "Bearer sandbox-prospero-token"}
# Edits made in Prospero, outside git: an event's title and where its start and end go.
MOVES = {
    "Winter Gala": ("2027-01-15T17:30:00Z", "2027-01-15T22:30:00Z"),  # 30 minutes later
    "CLE ethics seminar": ("2027-02-17T15:00:00Z", "2027-02-17T17:00:00Z"),  # a week later
}
# The flags keep Chromium off the network: no background fetches, updates, sync or QUIC probes.
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--force-device-scale-factor=1",
)


class StepFailed(Exception):
    """A command of the script failed; the message holds what it printed."""


def find_browser(given: str | None) -> str | None:
    if given:
        return shutil.which(given) or (given if Path(given).is_file() else None)
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def run(command: Sequence[str | Path], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise StepFailed(f"{' '.join(str(part) for part in command)} exited "
                         f"{done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout


def git(repo: Path, *args: str) -> None:
    run(["git", "-c", "user.name=reconciler docs", "-c", "user.email=docs@example.com",
         "-c", "commit.gpgsign=false", *args], cwd=repo)


def copy_examples(repo: Path, *, sessions: bool) -> None:
    for source in sorted(EXAMPLES.rglob("*")):
        relative = source.relative_to(EXAMPLES)
        if not source.is_file() or (relative.parts[0] == "sessions") is not sessions:
            continue
        (repo / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, repo / relative)


def move_events_in_prospero(db: Path) -> None:
    """Someone reschedules two events in Prospero (over its API, as its own UI would)."""
    sandbox = create_app(SandboxSettings(db_path=str(db)))
    try:
        with running(sandbox) as origin, httpx.Client(base_url=f"{origin}/prospero",
                                                     headers=PROSPERO_TOKEN, timeout=30) as api:
            events = api.get("/events").raise_for_status().json()["events"]
            for title, (start, end) in MOVES.items():
                found = [event for event in events if event["title"] == title]
                if len(found) != 1:
                    raise StepFailed(f"expected one event titled {title!r} in examples/ to move, "
                                     f"found {len(found)}")
                api.patch(f"/events/{found[0]['id']}", json={"start": start, "end": end},
                          headers={"Content-Type": "application/merge-patch+json"}
                          ).raise_for_status()
    finally:
        sandbox.store.close()


def plan_page(work: Path) -> str:
    """The HTML plan of the pull request, against the embedded sandbox in `work`."""
    # Named as in the repository, so the page's file names read as the README's do.
    repo, db = work / "examples", work / "sandbox.db"
    repo.mkdir()
    env = {**os.environ, "RECONCILER_NOW": NOW, "NO_COLOR": "1"}
    reconciler: list[str | Path] = [sys.executable, "-m", "reconciler"]
    sandbox: list[str | Path] = ["--sandbox", "--sandbox-db", db]
    git(repo, "init", "-q", "-b", "main")
    copy_examples(repo, sessions=False)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the firm's calendar")
    run([*reconciler, "apply", repo.name, *sandbox, "--auto-approve"], cwd=work, env=env)
    copy_examples(repo, sessions=True)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the Smith depositions and status conferences")
    move_events_in_prospero(db)
    return run([*reconciler, "plan", repo.name, *sandbox, "--base-ref", "HEAD~1",
                "--format", "html"], cwd=work, env=env)


def screenshot(browser: str, page: Path, png: Path, profile: Path) -> None:
    run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
         f"--window-size={WIDTH},{HEIGHT}", page.as_uri()], cwd=page.parent)
    if not png.is_file():
        raise StepFailed(f"{browser} wrote no screenshot to {png}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the PNG to write")
    parser.add_argument("--html", type=Path, help="also keep the plan's page here")
    parser.add_argument("--browser", help="the Chromium or Chrome to run (default: found on PATH)")
    options = parser.parse_args(argv)
    browser = find_browser(options.browser)
    if browser is None:
        print(f"no headless browser found (looked for {', '.join(BROWSERS)} on PATH); "
              "scripts/test-browser installs Debian's chromium", file=sys.stderr)
        return NO_BROWSER
    with tempfile.TemporaryDirectory(prefix="reconciler-screenshot-") as temporary:
        work = Path(temporary)
        try:
            page = work / "plan.html"
            page.write_text(plan_page(work), encoding="utf-8")
            shot = work / "plan.png"
            screenshot(browser, page, shot, work / "profile")
        except (StepFailed, subprocess.TimeoutExpired, httpx.HTTPError) as error:
            print(f"screenshot_plan: {error}", file=sys.stderr)
            return 1
        options.output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, options.output)
        if options.html:
            shutil.copyfile(page, options.html)
    print(f"wrote {options.output} ({WIDTH}x{HEIGHT})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
