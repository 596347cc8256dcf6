"""Against a Prospero that answers only as its docs show (no `total`, no paging, no filters), a
delivery still costs one list request: the documented window."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.cli.watching import watched
from reconciler.watch import (
    ApplySettings,
    Debouncer,
    Delivery,
    Watcher,
    WatchMetrics,
    WatchSettings,
    read_delivery,
)
from tests.fixtures.docs_prospero import DocsRepo
from tests.fixtures.repo import Run
from tests.watch.conftest import SCHEDULE


def test_a_delivery_reads_the_documented_window_once_from_a_docs_shaped_server(
    docs_repo: DocsRepo, cli: Run, tmp_path: Path
):
    docs_repo.write("schedule.yaml", SCHEDULE)
    cli("apply", docs_repo.root, "--auto-approve")
    server = docs_repo.server
    events: list[dict[str, Any]] = []
    with watched(docs_repo.root, on_drift="keep", metrics=WatchMetrics()) as scope:
        watcher = Watcher(
            [scope],
            settings=WatchSettings(apply=ApplySettings(journal=tmp_path / "journal.jsonl")),
            emit=events.append,
            debouncer=Debouncer(quiet=0),
        )
        watcher.step()
        gala = server.by_key()["gala"]
        gala["start"], gala["end"] = "2027-03-09T18:00:00Z", "2027-03-09T23:00:00Z"
        server.forget()

        watcher.receive(_delivery(gala))
        watcher.step()

    (listed,) = server.lists()
    # The old and the new place; the filter the reader also sends is checked by the reader.
    assert (listed.query["window_start"], listed.query["window_end"]) == (
        "2027-03-09T17:59:59Z",
        "2027-03-10T23:00:01Z",
    )
    (found,) = [event for event in events if event["event"] == "drift.found"]
    assert (found["address"], found["via"]) == ("events.gala", "webhook")


def _delivery(event: dict[str, Any]) -> Delivery:
    body = {"id": "d-1", "type": "event.updated", "data": {"event": event}}
    return read_delivery(json.dumps(body).encode())
