"""A watched configuration on the sandbox: two Prospero events applied, a watcher over them in
this process (its receiver served on loopback), and a colleague who edits events in the web UI."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.cli.watching import watched
from reconciler.watch import (
    ApplySettings,
    DriftIssues,
    IssuesApi,
    Watcher,
    WatchMetrics,
    WatchSettings,
    receiver_app,
)
from tests.fixtures.clock import FakeClock
from tests.fixtures.loopback import LoopbackServers
from tests.fixtures.repo import Repo, Run
from tests.notify.conftest import inbox  # noqa: F401  (a notification endpoint, shared)

TOKEN = "hook-token-0123456789abcdef"
SWEEP = 900.0

PROVIDERS = """version: 1
providers:
  prospero:
    base_url: {origin}/prospero
    email: ${{PROSPERO_EMAIL}}
    password: ${{PROSPERO_PASSWORD}}
"""

SCHEDULE = """events:
  - key: gala
    title: Winter Gala
    start: 2027-03-10T18:00:00Z
    end: 2027-03-10T23:00:00Z
    capacity: 200
  - key: brunch
    title: Spring Brunch
    start: 2027-04-02T10:00:00Z
    end: 2027-04-02T12:00:00Z
"""

BEARER = {"Authorization": "Bearer sandbox-prospero-token"}


@dataclass
class Watched:
    """The watcher under test, what it wrote on its event stream, and its receiver's origin."""

    watcher: Watcher
    events: list[dict[str, Any]]
    origin: str
    repo: Repo
    clock: FakeClock
    journal: Path
    http: httpx.Client
    sent: list[str] = field(default_factory=list)

    def step(self) -> None:
        self.watcher.step()

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["event"] == kind]

    def event(self, key: str) -> dict[str, Any]:
        """The event as Prospero answers `GET /events/{id}` now."""
        listed = self.http.get(
            "/prospero/events", params={"customFields.reconciler_key": key}, headers=BEARER
        ).json()["events"]
        (found,) = listed
        return dict(
            self.http.get(f"/prospero/events/{found['id']}", headers=BEARER).json()["event"]
        )

    def colleague_edits(self, key: str, **changes: Any) -> dict[str, Any]:
        """An edit made in Prospero's web UI: the event as it is afterwards."""
        event_id = self.event(key)["id"]
        answer = self.http.patch(f"/prospero/events/{event_id}", json=changes, headers=BEARER)
        assert answer.status_code == 200, answer.text
        return dict(answer.json()["event"])

    def deliver(
        self,
        event: dict[str, Any] | None = None,
        *,
        kind: str = "event.updated",
        delivery_id: str | None = None,
        token: str = TOKEN,
        body: bytes | None = None,
    ) -> httpx.Response:
        """POST a delivery to the receiver as Prospero does (real HTTP, on loopback)."""
        delivery_id = delivery_id or str(uuid.uuid1())
        self.sent.append(delivery_id)
        document = {
            "id": delivery_id,
            "type": kind,
            "createdAt": "2027-03-01T09:00:00Z",
            "webhookId": "wh-1",
            "data": {"event": event},
        }
        with httpx.Client(base_url=self.origin, timeout=10) as client:
            if body is not None:
                return client.post(f"/hooks/prospero/{token}", content=body)
            return client.post(f"/hooks/prospero/{token}", json=document)

    def event_lists(self) -> list[Any]:
        return self.repo.lists("/prospero/events")


@pytest.fixture
def events_repo(repo: Repo, cli: Run, sandbox_url: str) -> Repo:
    """The schedule applied: both events exist as declared, and the requests are forgotten."""
    repo.write("providers.yaml", PROVIDERS.format(origin=sandbox_url))
    repo.write("schedule.yaml", SCHEDULE)
    cli("apply", repo.root, "--auto-approve")
    repo.forget_requests()
    return repo


@pytest.fixture
def on_drift() -> str:
    """The policy the watched configuration runs with (a test module may override it)."""
    return "keep"


@pytest.fixture
def issues_api() -> IssuesApi | None:
    """Where the watcher keeps its drift issues (None: it keeps none; a test module may
    override it)."""
    return None


@pytest.fixture
def watching(
    events_repo: Repo,
    loopback: LoopbackServers,
    clock: FakeClock,
    tmp_path: Path,
    http: httpx.Client,
    on_drift: str,
    issues_api: IssuesApi | None,
) -> Iterator[Watched]:
    metrics = WatchMetrics()
    events: list[dict[str, Any]] = []
    journal = tmp_path / "journal.jsonl"
    with ExitStack() as stack:
        scope = stack.enter_context(watched(events_repo.root, on_drift=on_drift, metrics=metrics))
        watcher = Watcher(
            [scope],
            settings=WatchSettings(sweep_interval=SWEEP, apply=ApplySettings(journal=journal)),
            emit=events.append,
            metrics=metrics,
            issues=None if issues_api is None else DriftIssues(api=issues_api, emit=events.append),
        )
        origin = loopback.serve("watch", receiver_app(watcher, token=TOKEN))
        yield Watched(
            watcher=watcher,
            events=events,
            origin=origin,
            repo=events_repo,
            clock=clock,
            journal=journal,
            http=http,
        )
        for current in watcher.scopes.values():  # those a reload made
            current.close()
