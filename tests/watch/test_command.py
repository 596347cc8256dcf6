"""`reconciler watch` as a process: the event stream, a graceful stop on SIGTERM, exit codes."""

from __future__ import annotations

import json
import os
import signal

import pytest

from reconciler.sandbox.faults import Fault
from tests.fixtures.clock import FakeClock
from tests.fixtures.repo import Repo, Run
from tests.watch.conftest import TOKEN


def terminate_on_first_wait(clock: FakeClock) -> None:
    """SIGTERM arrives while the loop waits for its next piece of work."""

    def send(_: float) -> None:
        if clock.reasons[-1] == "watch":  # not a retry's wait
            os.kill(os.getpid(), signal.SIGTERM)

    clock.on_sleep = send


def test_sigterm_stops_watch_once_its_work_is_done_and_it_exits_0(
    events_repo: Repo, cli: Run, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("RECONCILER_WEBHOOK_TOKEN", TOKEN)
    before = signal.getsignal(signal.SIGTERM)
    terminate_on_first_wait(clock)

    result = cli("watch", events_repo.root, "--port", "0", "--log-format", "json")

    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [record["event"] for record in records] == [
        "watch.started",
        "webhook.manual",
        "sweep.done",
        "watch.stopped",
    ]
    started = records[0]
    assert started["scopes"] == ["schedule"]
    assert started["on_drift"] == {"schedule": "keep"}  # unattended: report, never undo unasked
    assert started["listening"].endswith("/hooks/prospero/<token>")
    assert TOKEN not in result.output
    assert clock.waits_for("watch"), "the loop waited on the injected clock"
    assert signal.getsignal(signal.SIGTERM) is before


def test_text_stream_says_the_same_for_a_person(
    events_repo: Repo, cli: Run, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("RECONCILER_WEBHOOK_TOKEN", TOKEN)
    terminate_on_first_wait(clock)
    lines = cli("watch", events_repo.root, "--port", "0").stdout.splitlines()
    assert lines[0].split(" ", 2)[1] == "watch.started"
    assert 'scopes=["schedule"]' in lines[0]
    assert lines[-1].split(" ", 2)[1] == "watch.stopped"


def test_a_public_url_without_a_token_is_refused_before_anything_starts(
    events_repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("RECONCILER_WEBHOOK_TOKEN", raising=False)
    result = cli("watch", events_repo.root, "--public-url", "https://watch.example.com", expect=1)
    assert "Error: --public-url needs the webhook token in RECONCILER_WEBHOOK_TOKEN" in (
        result.stderr
    )
    assert events_repo.requests() == []


def test_a_short_token_is_refused(events_repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RECONCILER_WEBHOOK_TOKEN", "short")
    result = cli("watch", events_repo.root, expect=1)
    assert "RECONCILER_WEBHOOK_TOKEN must be at least 16 characters" in result.stderr
    assert "short" not in result.stdout


def test_help_shows_examples(cli: Run):
    shown = cli("watch", "--help").stdout
    assert "Examples:" in shown
    assert "reconciler watch schedules/london" in shown


def test_json_logs_are_one_object_a_line_and_never_show_the_token(
    events_repo: Repo, cli: Run, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("RECONCILER_WEBHOOK_TOKEN", TOKEN)
    # The sweep's list is refused once: the retry is logged as a warning.
    events_repo.sandbox.faults.add(
        Fault(kind="status", path="^/prospero/events$", method="GET", status=429, retry_after=1)
    )
    terminate_on_first_wait(clock)

    result = cli("watch", events_repo.root, "--port", "0", "--log-format", "json")

    logs = [json.loads(line) for line in result.stderr.splitlines()]
    (retry,) = [entry for entry in logs if "Retry-After" in entry["message"]]
    assert (retry["level"], retry["logger"]) == ("warning", "reconciler.transport")
    assert clock.waits_for("retry") == [1.0]
    assert TOKEN not in result.output + result.stderr
    assert [json.loads(line)["event"] for line in result.stdout.splitlines()][-2:] == [
        "sweep.done",
        "watch.stopped",
    ]


def test_watch_puts_drift_back_only_where_the_configuration_or_the_flag_asks(
    events_repo: Repo
) -> None:
    """`defaults: on_drift: revert` in the YAML (or `--on-drift revert`) makes watch self-heal;
    without either it reports and keeps the colleague's edit."""
    from reconciler.cli.watching import load_scope
    from reconciler.engine.drift_policy import DriftPolicy
    from reconciler.watch import WatchMetrics

    def policy(flag: str | None) -> DriftPolicy:
        scope = load_scope(events_repo.root, on_drift=flag, metrics=WatchMetrics())
        scope.close()
        return scope.policy

    assert policy(None) is DriftPolicy.KEEP
    assert policy("revert") is DriftPolicy.REVERT
    events_repo.write("defaults.yaml", "version: 1\ndefaults:\n  on_drift: revert\n")
    assert policy(None) is DriftPolicy.REVERT
    assert policy("fail") is DriftPolicy.FAIL
