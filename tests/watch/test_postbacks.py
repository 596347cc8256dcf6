"""Prevail's postbacks: a session request applied with the provider's postback_url, which points
at the watch's receiver; Prevail staff schedule it (the sandbox's promote posts the signed
JWT), and the watch reads the scope's sessions again. Over real HTTP on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.cli.watching import watched
from reconciler.sandbox import SandboxSettings, create_app
from reconciler.sandbox.prevail.auth import SANDBOX_ORGANISATION, Organisation, sign
from reconciler.watch import ApplySettings, Watcher, WatchMetrics, WatchSettings, receiver_app
from reconciler.watch.serving import bind, serving
from tests.fixtures.clock import FakeClock
from tests.fixtures.loopback import LoopbackServers
from tests.fixtures.repo import Repo, Run
from tests.watch.test_receiver import metric

TOKEN = "postback-token-0123456789abcdef"

PROVIDERS = """version: 1
providers:
  prevail:
    base_url: {origin}/prevail
    company_id: ${{PREVAIL_COMPANY_ID}}
    api_key: ${{PREVAIL_API_KEY}}
    postback_url: {watch}/hooks/prevail/${{RECONCILER_WEBHOOK_TOKEN}}
"""

SESSIONS = """sessions:
  - key: okafor
    via: request
    title: Deposition of M. Okafor
    case: 2027-CV-0917
    start: 2027-06-01T09:00
    time_zone: America/New_York
    duration_hours: 2
    deponent: {name: Mary Okafor, email: m.okafor@example.test, role: witness}
    invites: [counsel@okafor-law.test]
"""


@dataclass
class Postbacks:
    """The watcher, the records it wrote, its receiver's origin, and the sandbox behind it."""

    watcher: Watcher
    metrics: WatchMetrics
    events: list[dict[str, Any]]
    origin: str
    repo: Repo
    http: httpx.Client
    clock: FakeClock
    applied: list[Any] = field(default_factory=list)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["event"] == kind]

    def bearer(self) -> dict[str, str]:
        claims = {"exp": int(self.clock.time()) + 300, "slug": SANDBOX_ORGANISATION.company_id}
        return {"Authorization": f"Bearer {sign(claims, SANDBOX_ORGANISATION)}"}

    def pending_request(self) -> dict[str, Any]:
        listed = self.http.get("/prevail/session_requests", headers=self.bearer()).json()
        (found,) = [
            request
            for request in listed["session_requests"]
            if request["session_details"]["additional_details"].endswith("reconciler-key: okafor")
        ]
        return dict(found)

    def post(self, body: dict[str, Any], *, token: str = TOKEN) -> httpx.Response:
        with httpx.Client(base_url=self.origin, timeout=10) as client:
            return client.post(f"/hooks/prevail/{token}", json=body)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """The receiver's socket, bound first: its address goes into the configuration."""
    bound = bind("127.0.0.1", 0)
    yield bound
    bound.close()


@pytest.fixture
def watch_origin(listener: socket.socket) -> str:
    host, port = listener.getsockname()[:2]
    return f"http://{host}:{port}"


@pytest.fixture
def requests_repo(
    repo: Repo, cli: Run, sandbox_url: str, watch_origin: str, monkeypatch: pytest.MonkeyPatch
) -> Repo:
    monkeypatch.setenv("RECONCILER_WEBHOOK_TOKEN", TOKEN)
    repo.write("providers.yaml", PROVIDERS.format(origin=sandbox_url, watch=watch_origin))
    repo.write("sessions.yaml", SESSIONS)
    return repo


@pytest.fixture
def postbacks(
    requests_repo: Repo,
    cli: Run,
    listener: socket.socket,
    http: httpx.Client,
    clock: FakeClock,
    tmp_path: Path,
) -> Iterator[Postbacks]:
    cli("apply", requests_repo.root, "--auto-approve")
    applied = [record.body for record in requests_repo.writes()]
    requests_repo.forget_requests()
    metrics = WatchMetrics()
    events: list[dict[str, Any]] = []
    with ExitStack() as stack:
        scope = stack.enter_context(watched(requests_repo.root, on_drift="keep", metrics=metrics))
        watcher = Watcher(
            [scope],
            settings=WatchSettings(apply=ApplySettings(journal=tmp_path / "journal.jsonl")),
            emit=events.append,
            metrics=metrics,
        )
        origin = stack.enter_context(serving(receiver_app(watcher, token=TOKEN), listener))
        watcher.step()  # the first sweep: the baseline
        requests_repo.forget_requests()
        yield Postbacks(
            watcher=watcher,
            metrics=metrics,
            events=events,
            origin=origin,
            repo=requests_repo,
            http=http,
            clock=clock,
            applied=applied,
        )


def test_a_session_request_is_created_with_the_providers_postback_url(
    postbacks: Postbacks, watch_origin: str
):
    (created,) = postbacks.applied
    assert created["session_request"]["postback_url"] == f"{watch_origin}/hooks/prevail/{TOKEN}"


def test_a_scheduled_request_has_the_watch_read_the_sessions_again(postbacks: Postbacks):
    request = postbacks.pending_request()
    promoted = postbacks.http.post(
        f"/_sandbox/prevail/session_requests/{request['request_id']}/promote"
    ).json()
    assert promoted["postback"]["delivered"] is True
    # Scheduled, a colleague renames it in Prevail before the watch has read it again.
    session_id = promoted["session"]["remote_session_id"]
    edited = postbacks.http.patch(
        f"/prevail/sessions/{session_id}",
        json={"remote_session": {"title": "Okafor (moved room)"}},
        headers=postbacks.bearer(),
    )
    assert edited.status_code == 200, edited.text

    postbacks.watcher.step()
    assert postbacks.of("reread.done") == []  # debounced, as Prospero's deliveries are
    postbacks.clock.advance(5)
    postbacks.watcher.step()

    (done,) = postbacks.of("reread.done")
    assert (done["scope"], done["kind"], done["deliveries"]) == ("schedule", "sessions", 1)
    assert postbacks.repo.lists("/prevail/sessions")  # the sessions' kind read, nothing else
    assert not postbacks.repo.lists("/prospero/events")
    (found,) = postbacks.of("drift.found")
    assert (found["address"], found["via"], found["status"]) == (
        "sessions.okafor",
        "webhook",
        "drifted",
    )
    assert [change["field"] for change in found["fields"]] == ["title"]
    text = httpx.get(f"{postbacks.origin}/metrics").text
    assert metric(text, 'reconciler_webhooks_received_total{provider="prevail"}') == 1


@pytest.mark.parametrize(
    ("organisation", "lifetime"),
    [
        pytest.param(Organisation(company_id="sandbox-co", api_key="another-key"), 300, id="key"),
        pytest.param(SANDBOX_ORGANISATION, -3600, id="expired"),
    ],
)
def test_a_postback_signed_with_another_key_or_expired_is_ignored(
    postbacks: Postbacks, organisation: Organisation, lifetime: int
):
    claims = {"exp": int(postbacks.clock.time()) + lifetime, "slug": "sandbox-co"}
    answer = postbacks.post({"jwt_payload": sign(claims, organisation)})
    # The sender is not told whether it was believed.
    assert (answer.status_code, answer.json()) == (200, {"status": "accepted"})

    postbacks.clock.advance(5)
    postbacks.watcher.step()

    assert postbacks.of("reread.done") == []
    assert postbacks.repo.requests() == []
    (rejected,) = postbacks.of("webhook.rejected")
    assert (rejected["api"], rejected["count"]) == ("prevail", 1)
    text = httpx.get(f"{postbacks.origin}/metrics").text
    assert metric(text, 'reconciler_webhooks_rejected_total{provider="prevail"}') == 1
    assert metric(text, 'reconciler_webhooks_received_total{provider="prevail"}') == 0


def test_a_postback_to_a_wrong_token_is_not_found(postbacks: Postbacks):
    claims = {"exp": int(postbacks.clock.time()) + 300, "slug": "sandbox-co"}
    token = sign(claims, SANDBOX_ORGANISATION)
    answer = postbacks.post({"jwt_payload": token}, token="not-the-token-0123456789")
    assert answer.status_code == 404
    postbacks.clock.advance(5)
    postbacks.watcher.step()
    assert postbacks.of("reread.done") == []


def test_the_postback_url_never_appears_in_a_plan(requests_repo: Repo, cli: Run, tmp_path: Path):
    """Printed, saved or applied: the request is planned without the URL, which is added only
    as it is sent."""
    for output in ("text", "json", "markdown"):
        shown = cli("plan", requests_repo.root, "--format", output).output
        assert "sessions.okafor" in shown
        assert TOKEN not in shown and "/hooks/prevail/" not in shown
    saved = tmp_path / "plan.json"
    cli("plan", requests_repo.root, "-o", saved)
    applied = cli("apply", saved, "--auto-approve").output
    for shown in (saved.read_text(encoding="utf-8"), applied):
        assert "sessions.okafor" in shown
        assert TOKEN not in shown and "/hooks/prevail/" not in shown
    (created,) = [record.body for record in requests_repo.writes()]
    assert TOKEN in created["session_request"]["postback_url"]


def test_a_changed_postback_url_plans_nothing_for_existing_sessions(
    requests_repo: Repo, cli: Run, sandbox_url: str, monkeypatch: pytest.MonkeyPatch
):
    cli("apply", requests_repo.root, "--auto-approve")
    monkeypatch.setenv("RECONCILER_WEBHOOK_TOKEN", "another-token-0123456789abcdef")
    requests_repo.write(
        "providers.yaml", PROVIDERS.format(origin=sandbox_url, watch="https://watch.example.com")
    )
    shown = cli("plan", requests_repo.root, "--detailed-exitcode").output
    assert "No changes" in shown


def test_a_sandbox_run_needs_no_token_and_sends_no_postback_url(
    requests_repo: Repo,
    cli: Run,
    tmp_path: Path,
    loopback: LoopbackServers,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
):
    """`--sandbox` reads no environment: the postback URL, whose token comes from it, is left
    out of the requests instead of being sent unresolved."""
    monkeypatch.delenv("RECONCILER_WEBHOOK_TOKEN")
    db = tmp_path / "sandbox.db"
    cli("apply", requests_repo.root, "--auto-approve", "--sandbox", "--sandbox-db", db)
    embedded = create_app(SandboxSettings(db_path=str(db)))
    embedded.context.clock = clock.time
    origin = loopback.serve("embedded-sandbox", embedded.app)
    claims = {"exp": int(clock.time()) + 300, "slug": SANDBOX_ORGANISATION.company_id}
    bearer = {"Authorization": f"Bearer {sign(claims, SANDBOX_ORGANISATION)}"}
    listed = httpx.get(f"{origin}/prevail/session_requests", headers=bearer).json()
    (okafor,) = [
        request
        for request in listed["session_requests"]
        if request["session_details"]["additional_details"].endswith("reconciler-key: okafor")
    ]
    assert okafor["postback_url"] is None


def test_a_body_without_a_verifiable_jwt_is_ignored_the_same_way(postbacks: Postbacks):
    unsigned = "eyJhbGciOiJub25lIn0.eyJzbHVnIjoic2FuZGJveC1jbyJ9."  # alg none
    with httpx.Client(base_url=postbacks.origin, timeout=10) as client:
        answers = [
            client.post(f"/hooks/prevail/{TOKEN}", content=b"not json"),
            client.post(f"/hooks/prevail/{TOKEN}", json={"session": {"title": "x"}}),
            client.post(f"/hooks/prevail/{TOKEN}", json={"jwt_payload": unsigned}),
        ]
    assert [answer.status_code for answer in answers] == [200, 200, 200]

    postbacks.clock.advance(5)
    postbacks.watcher.step()

    assert postbacks.repo.requests() == []
    (rejected,) = postbacks.of("webhook.rejected")
    assert rejected["count"] == 3
