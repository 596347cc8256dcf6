"""What a terminal gets and what a pipe gets: colour per --color, NO_COLOR and FORCE_COLOR, and
long values shortened only on a terminal (plans made against the sandbox over HTTP)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

from tests.fixtures.repo import Repo, Run

ESC = "\x1b["
INVITES = ", ".join(f"reviewer{n:02d}@okafor-partners.example" for n in range(12))

SESSION = f"""version: 1
sessions:
  - key: okafor-deposition
    title: Deposition of Dr. Okafor
    case: 2027-CV-0142
    start: 2027-03-02T09:00
    time_zone: America/New_York
    duration_hours: 2
    invites: [{INVITES}]
"""


@pytest.fixture(autouse=True)
def _no_colour_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


@pytest.mark.parametrize(
    ("environ", "args", "coloured"),
    [
        ({}, [], False),  # not a terminal
        ({"FORCE_COLOR": "1"}, [], True),
        ({"NO_COLOR": "", "FORCE_COLOR": "1"}, [], True),  # an empty NO_COLOR does not count
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, [], False),
        ({"NO_COLOR": "1"}, ["--color", "always"], True),
        ({"FORCE_COLOR": "1"}, ["--color", "never"], False),
        ({}, ["--color", "always"], True),
    ],
)
def test_colour_follows_the_option_then_no_color_then_force_color(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str], args: list[str], coloured: bool,
):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    repo.write("sessions.yaml", SESSION)
    out = cli(*args, "plan", repo.root).stdout
    assert (ESC in out) is coloured
    assert "sessions.okafor-deposition will be created" in out


def run_on_terminal(*args: str) -> str:
    """The command run with its stdout on a pseudo-terminal, as a person at a shell sees it."""
    leader, follower = pty.openpty()
    with subprocess.Popen([sys.executable, "-m", "reconciler", *args], stdout=follower,
                          stderr=subprocess.PIPE, env=os.environ.copy()) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    os.close(leader)
    assert process.returncode == 0
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def test_a_terminal_gets_long_values_shortened_and_a_pipe_gets_them_whole(repo: Repo, cli: Run):
    repo.write("sessions.yaml", SESSION)
    on_terminal = run_on_terminal("--color", "never", "plan", str(repo.root))
    invites = next(line for line in on_terminal.splitlines() if "+ invites" in line)
    assert "reviewer11@" not in invites
    assert invites.rstrip().endswith("characters)") and "… (+" in invites
    assert ESC not in on_terminal

    piped = cli("plan", repo.root).stdout
    invites = next(line for line in piped.splitlines() if "+ invites" in line)
    assert "reviewer11@okafor-partners.example" in invites and "…" not in invites
