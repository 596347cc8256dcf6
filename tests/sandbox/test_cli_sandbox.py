"""`reconciler sandbox` as a real process: start-up banner, persistence across restarts, Ctrl-C."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from reconciler.providers.prevail_auth import PrevailAuth
from reconciler.sandbox.server import free_port

TOKEN = {"Authorization": "Bearer sandbox-prospero-token"}


@contextmanager
def sandbox_process(db: Path, *options: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "--port", str(port), "--db", str(db),
         *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{origin}/prospero/", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "the sandbox did not start"
            time.sleep(0.05)
        yield origin, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=15)
        if process.stdout:
            process.stdout.close()


def test_sandbox_process_prints_urls_and_credentials_and_keeps_state(tmp_path: Path):
    """api-contract.md, The sandbox — `reconciler sandbox` serves one app: /prevail, /prospero,
    /previsto; `--db` is a SQLite file that keeps the state across restarts."""
    db = tmp_path / "sandbox.db"
    with sandbox_process(db) as (origin, process):
        created = httpx.post(
            f"{origin}/prospero/events",
            json={"event": {"title": "Kept", "start": "2027-01-01T10:00:00Z",
                            "end": "2027-01-01T11:00:00Z"}},
            headers=TOKEN,
        )
        assert created.status_code == 201, created.text
        event_id = created.json()["event"]["id"]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
        banner = process.stdout.read() if process.stdout else ""
    for expected in (
        f"{origin}/prevail",
        f"{origin}/prospero",
        f"{origin}/previsto",
        "sandbox-co",
        "sandbox-prevail-key",
        "sandbox@prospero.test",
        "sk_sandbox",
        "sandbox stopped",
    ):
        assert expected in banner, banner
    assert "Traceback" not in banner

    with sandbox_process(db) as (origin, _):
        again = httpx.get(f"{origin}/prospero/events/{event_id}", headers=TOKEN)
        assert again.status_code == 200
        assert again.json()["event"]["title"] == "Kept"
        listed = httpx.get(f"{origin}/prospero/events", headers=TOKEN).json()
        # The demo events were seeded once, on first start, not again on restart.
        assert sum(1 for e in listed["events"] if e["title"] == "Quarterly all-hands") == 1


def test_no_seed_starts_every_emulator_empty_with_working_credentials(tmp_path: Path):
    """api-contract.md, The sandbox — `reconciler sandbox` serves one app: /prevail, /prospero,
    /previsto."""
    token = PrevailAuth("sandbox-co", "sandbox-prevail-key").token()
    prevail = {"Authorization": f"Bearer {token}"}
    previsto = httpx.BasicAuth("sk_sandbox", "")
    with sandbox_process(tmp_path / "empty.db", "--no-seed") as (origin, _):
        events = httpx.get(f"{origin}/prospero/events", headers=TOKEN)
        sessions = httpx.get(f"{origin}/prevail/sessions", headers=prevail)
        assignments = httpx.get(f"{origin}/previsto/assignments", auth=previsto)
        assert (events.status_code, sessions.status_code, assignments.status_code) == (200,) * 3
        assert events.json()["events"] == []
        assert sessions.json()["sessions"] == []
        assert assignments.json() == []
    with sandbox_process(tmp_path / "demo.db") as (origin, _):  # the default: the demo data
        assert httpx.get(f"{origin}/prospero/events", headers=TOKEN).json()["events"]
        assert httpx.get(f"{origin}/previsto/assignments", auth=previsto).json()


def test_a_taken_port_is_one_clear_error_before_any_banner(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "reconciler", "sandbox", "--port", str(port)],
            capture_output=True, text=True, timeout=60,
        )
    assert result.returncode == 1
    assert result.stdout == ""  # no banner naming URLs nothing answers on
    assert result.stderr == (
        f"Error: port {port} on 127.0.0.1 is already in use (another sandbox?): stop it, or "
        "choose another port with --port\n"
    )
