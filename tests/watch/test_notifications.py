"""Drift found by `watch` reaches the configuration's notifications, once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from reconciler.cli.watching import watched
from reconciler.watch import ApplySettings, Watcher, WatchMetrics, WatchSettings
from tests.fixtures.clock import FakeClock
from tests.fixtures.repo import Repo
from tests.notify.conftest import Inbox, notify_to
from tests.watch.conftest import BEARER


def test_drift_is_sent_to_the_notifications_once(
    events_repo: Repo, inbox: Inbox, tmp_path: Path, clock: FakeClock, http: httpx.Client
):
    notify_to(events_repo)
    events: list[dict[str, Any]] = []
    with watched(events_repo.root, on_drift="keep", metrics=WatchMetrics()) as scope:
        watcher = Watcher(
            [scope],
            settings=WatchSettings(apply=ApplySettings(journal=tmp_path / "journal.jsonl")),
            emit=events.append,
        )
        watcher.step()
        assert inbox.payloads == []
        (gala,) = http.get(
            "/prospero/events", params={"customFields.reconciler_key": "gala"}, headers=BEARER
        ).json()["events"]
        http.patch(f"/prospero/events/{gala['id']}", json={"capacity": 90}, headers=BEARER)
        for _ in range(2):  # two sweeps: the drift is the same
            clock.advance(900)
            watcher.step()

    (body,) = inbox.bodies
    assert "events.gala" in body
    assert [event["event"] for event in events].count("drift.found") == 1
    assert not [event for event in events if event["event"] == "notify.failed"]
