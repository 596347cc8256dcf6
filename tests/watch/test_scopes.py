"""Several configurations in one process: a delivery is read again only by the scope whose
event it names."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from reconciler.cli.watching import watched
from reconciler.watch import ApplySettings, Debouncer, Watcher, WatchMetrics, WatchSettings
from reconciler.watch.deliveries import Delivery
from tests.fixtures.repo import Repo, Run
from tests.watch.conftest import BEARER, PROVIDERS

OTHER = """events:
  - key: recital
    title: Spring Recital
    start: 2027-05-01T18:00:00Z
    end: 2027-05-01T20:00:00Z
"""


def test_a_delivery_is_read_again_by_the_scope_that_owns_the_event_only(
    events_repo: Repo, cli: Run, sandbox_url: str, tmp_path: Path, http: httpx.Client
):
    other = tmp_path / "recitals"
    other.mkdir()
    (other / "providers.yaml").write_text(PROVIDERS.format(origin=sandbox_url))
    (other / "schedule.yaml").write_text(OTHER)
    cli("apply", other, "--auto-approve")
    events: list[dict[str, Any]] = []
    with ExitStack() as stack:
        scopes = [
            stack.enter_context(watched(path, on_drift="keep", metrics=WatchMetrics()))
            for path in (events_repo.root, other)
        ]
        watcher = Watcher(
            scopes,
            settings=WatchSettings(apply=ApplySettings(journal=tmp_path / "journal.jsonl")),
            emit=events.append,
            debouncer=Debouncer(quiet=0),
        )
        watcher.step()
        (recital,) = http.get(
            "/prospero/events",
            params={"customFields.reconciler_key": "recital"},
            headers=BEARER,
        ).json()["events"]
        moved = http.patch(
            f"/prospero/events/{recital['id']}", json={"title": "Recital"}, headers=BEARER
        ).json()["event"]
        events_repo.forget_requests()

        watcher.receive(Delivery(id="d-1", type="event.updated", event=moved))
        watcher.step()

    assert len(events_repo.lists("/prospero/events")) == 1
    (reread,) = [event for event in events if event["event"] == "reread.done"]
    assert reread["scope"] == "recitals"
    (found,) = [event for event in events if event["event"] == "drift.found"]
    assert (found["scope"], found["address"]) == ("recitals", "events.recital")
