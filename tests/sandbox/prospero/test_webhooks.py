"""Prospero's webhook deliveries from the sandbox, observed by a receiver on loopback.

api-contract.md, Prospero — Webhooks [doc]: a change is POSTed to the registered URL, which must
answer 200 within 5 s; a failed delivery is retried after 1 min, 1 h and 6 h. The deliveries are
pumped through the admin API after the test moves the sandbox's clock, so nothing waits.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from reconciler.sandbox import SandboxSettings, create_app
from reconciler.sandbox.app import Sandbox
from reconciler.sandbox.server import running
from tests.fixtures.clock import FakeClock
from tests.fixtures.loopback import LoopbackServers
from tests.fixtures.webhook_receiver import WebhookReceiver

AUTH = {"Authorization": "Bearer sandbox-prospero-token"}
TYPES = ["event.created", "event.updated", "event.deleted"]
EVENT = {"title": "Gala", "start": "2027-03-01T18:00:00Z", "end": "2027-03-01T22:00:00Z"}
DELIVERY_ID = re.compile(r"whd_[0-9a-f]{32}")
SPEC = Path(__file__).resolve().parents[3] / "schemas" / "api" / "prospero.openapi.yaml"


@pytest.fixture
def api(sandbox_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{sandbox_url}/prospero/", headers=AUTH, timeout=30) as client:
        yield client


def register(api: httpx.Client, url: str, types: list[str] = TYPES) -> str:
    response = api.post("webhooks", json={"url": url, "events": types})
    assert response.status_code == 201, response.text
    return str(response.json()["webhook"]["id"])


def pump(http: httpx.Client) -> list[dict[str, Any]]:
    """Send what is due now on the sandbox clock; the attempts made."""
    response = http.post("/_sandbox/prospero/webhooks/deliver")
    assert response.status_code == 200, response.text
    attempts: list[dict[str, Any]] = response.json()["attempts"]
    return attempts


def first_event(api: httpx.Client) -> dict[str, Any]:
    event: dict[str, Any] = api.get("events").json()["events"][0]
    return event


def utc(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_patch_delivers_one_event_updated_with_the_documented_body(
    api: httpx.Client, http: httpx.Client, webhook_receiver: WebhookReceiver, clock: FakeClock
) -> None:
    """A PATCH through the API is POSTed once, as JSON with Prospero's User-Agent, in the body
    the contract fixes: the delivery id, the type, when it happened, the webhook, and the event
    as `GET /events/{id}` answers it."""
    webhook_id = register(api, webhook_receiver.url)
    event_id = first_event(api)["id"]
    changed_at = clock.time()
    assert api.patch(f"events/{event_id}", json={"title": "Renamed"}).status_code == 200

    [attempt] = pump(http)
    [delivery] = webhook_receiver.received
    assert delivery.headers["content-type"] == "application/json"
    assert delivery.headers["user-agent"] == "Prospero-Webhooks/1.0"
    body = delivery.body
    assert DELIVERY_ID.fullmatch(body["id"])
    assert body == {
        "id": body["id"],
        "type": "event.updated",
        "createdAt": utc(changed_at),
        "webhookId": webhook_id,
        "data": {"event": api.get(f"events/{event_id}").json()["event"]},
    }
    assert body["data"]["event"]["title"] == "Renamed"
    assert (attempt["deliveryId"], attempt["attempt"], attempt["outcome"], attempt["status"]) == (
        body["id"],
        1,
        "delivered",
        200,
    )
    assert pump(http) == []
    assert len(webhook_receiver.received) == 1


def test_a_patch_that_changes_nothing_delivers_nothing(
    api: httpx.Client, http: httpx.Client, webhook_receiver: WebhookReceiver
) -> None:
    """One delivery per change: a PATCH that leaves the event as it was is no change."""
    register(api, webhook_receiver.url)
    event = first_event(api)
    assert api.patch(f"events/{event['id']}", json={"title": event["title"]}).status_code == 200
    assert pump(http) == []
    assert webhook_receiver.received == []


def test_creates_and_bulk_deletes_deliver_created_and_deleted_with_the_last_state(
    api: httpx.Client, http: httpx.Client, webhook_receiver: WebhookReceiver
) -> None:
    """A create delivers `event.created` with the new event; a (bulk) delete delivers
    `event.deleted` whose event is the last state before the deletion."""
    register(api, webhook_receiver.url)
    created = api.post("events", json={"event": EVENT}).json()["event"]
    last = api.patch(f"events/{created['id']}", json={"capacity": 40}).json()["event"]
    assert api.request("DELETE", "events", json={"ids": [created["id"]]}).status_code == 204

    pump(http)
    assert [(body["type"], body["data"]["event"]) for body in webhook_receiver.bodies] == [
        ("event.created", created),
        ("event.updated", last),
        ("event.deleted", last),
    ]
    assert len({body["id"] for body in webhook_receiver.bodies}) == 3


def test_every_delivery_is_described_by_the_spec_webhooks(
    api: httpx.Client, http: httpx.Client, webhook_receiver: WebhookReceiver
) -> None:
    """Each delivered body validates against the request body of the OpenAPI `webhooks`
    entry for its type, and carries the User-Agent the spec names."""
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    register(api, webhook_receiver.url)
    created = api.post("events", json={"event": {**EVENT, "customFields": {"k": 1}}})
    event_id = created.json()["event"]["id"]
    api.patch(f"events/{event_id}", json={"location": {"name": "Hall"}})
    api.delete(f"events/{event_id}")
    pump(http)
    entries = {
        "event.created": "eventCreated",
        "event.updated": "eventUpdated",
        "event.deleted": "eventDeleted",
    }
    assert sorted(body["type"] for body in webhook_receiver.bodies) == sorted(entries)
    for delivery in webhook_receiver.received:
        operation = spec["webhooks"][entries[delivery.body["type"]]]["post"]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        validator = jsonschema.Draft202012Validator({**schema, "components": spec["components"]})
        assert list(validator.iter_errors(delivery.body)) == []
        [agent] = operation["parameters"]
        assert delivery.headers["user-agent"] == agent["schema"]["const"]
    wrong_type = {**webhook_receiver.bodies[0], "type": "event.updated"}
    first_schema = spec["webhooks"]["eventCreated"]["post"]["requestBody"]["content"]
    assert list(
        jsonschema.Draft202012Validator(
            {**first_schema["application/json"]["schema"], "components": spec["components"]}
        ).iter_errors(wrong_type)
    )


def test_a_webhook_registered_for_deletions_only_gets_no_creates_or_updates(
    api: httpx.Client, http: httpx.Client, webhook_receiver: WebhookReceiver
) -> None:
    """Only the types a webhook's `events` list names are delivered to it."""
    register(api, webhook_receiver.url, ["event.deleted"])
    created = api.post("events", json={"event": EVENT}).json()["event"]
    api.patch(f"events/{created['id']}", json={"title": "Renamed"})
    assert pump(http) == []
    assert api.delete(f"events/{created['id']}").status_code == 204
    pump(http)
    assert [body["type"] for body in webhook_receiver.bodies] == ["event.deleted"]


def test_each_registered_webhook_gets_its_own_delivery(
    api: httpx.Client, http: httpx.Client, webhook_receiver: WebhookReceiver
) -> None:
    """One delivery per change per registered webhook, each naming its webhook."""
    first = register(api, webhook_receiver.url)
    second = register(api, webhook_receiver.url + "?second", ["event.updated"])
    api.patch(f"events/{first_event(api)['id']}", json={"flagged": False})
    pump(http)
    assert sorted(body["webhookId"] for body in webhook_receiver.bodies) == sorted([first, second])


def test_out_of_band_edits_through_the_admin_api_are_delivered(
    api: httpx.Client, sandbox: Sandbox, http: httpx.Client, webhook_receiver: WebhookReceiver
) -> None:
    """A colleague's edit in the web UI (the admin API: no credentials, not an API request) is
    announced as any change is: a seeded event is created, an edit updates, a removal deletes."""
    register(api, webhook_receiver.url)
    seeded = http.post("/_sandbox/prospero/seed", json={"events": [EVENT]})
    [event_id] = seeded.json()["ids"]
    edited = http.patch(f"/_sandbox/prospero/events/{event_id}", json={"title": "Moved"})
    assert edited.status_code == 200
    unchanged = http.patch(f"/_sandbox/prospero/events/{event_id}", json={"title": "Moved"})
    assert unchanged.status_code == 200
    assert http.delete(f"/_sandbox/prospero/events/{event_id}").status_code == 204

    pump(http)
    assert [(body["type"], body["data"]["event"]["title"]) for body in webhook_receiver.bodies] == [
        ("event.created", "Gala"),
        ("event.updated", "Moved"),
        ("event.deleted", "Moved"),
    ]
    assert webhook_receiver.bodies[1]["data"]["event"] == edited.json()["event"]
    api_requests = [r.path for r in sandbox.requests.snapshot() if "/events" in r.path]
    assert api_requests == []


def test_a_receiver_answering_500_is_retried_after_1_min_1_h_and_6_h_then_given_up(
    api: httpx.Client, http: httpx.Client, webhook_receiver: WebhookReceiver, clock: FakeClock
) -> None:
    """A non-2xx answer fails the attempt; the same delivery (same id) is due again 1 min, 1 h
    and 6 h after each failure, on the sandbox's clock, and never after the fourth attempt."""
    webhook_receiver.status = 500
    register(api, webhook_receiver.url)
    api.patch(f"events/{first_event(api)['id']}", json={"capacity": 7})
    attempts = pump(http)
    for retry_after in (60, 3_600, 21_600):
        clock.advance(retry_after - 1)
        assert pump(http) == [], f"retried before {retry_after} s passed"
        clock.advance(1)
        attempts.extend(pump(http))
    clock.advance(30 * 86_400)
    assert pump(http) == []

    sent = [(attempt["attempt"], attempt["outcome"], attempt["status"]) for attempt in attempts]
    assert sent == [(1, "failed", 500), (2, "failed", 500), (3, "failed", 500), (4, "failed", 500)]
    assert len(webhook_receiver.received) == 4
    assert len({body["id"] for body in webhook_receiver.bodies}) == 1
    log = http.get("/_sandbox/prospero/webhooks/attempts").json()["attempts"]
    assert [entry["epoch"] - log[0]["epoch"] for entry in log] == [0, 60, 3_660, 25_260]
    assert log[-1]["retryAt"] is None
    [copy] = http.get("/_sandbox/prospero/webhooks/deliveries").json()["deliveries"]
    assert (copy["state"], copy["attempts"]) == ("given-up", 4)


def test_a_receiver_slower_than_5_s_has_failed_and_gets_the_retry(
    api: httpx.Client, http: httpx.Client, webhook_receiver: WebhookReceiver, clock: FakeClock
) -> None:
    """An answer that has not come within 5 s (on the sandbox's clock) is a failed attempt,
    whatever it would have said; the retry a minute later succeeds."""
    webhook_receiver.stall = 6
    register(api, webhook_receiver.url)
    api.patch(f"events/{first_event(api)['id']}", json={"capacity": 8})
    [slow] = pump(http)
    assert (slow["outcome"], slow["status"], slow["error"]) == (
        "failed",
        None,
        "no answer within 5 s",
    )

    webhook_receiver.stall = None
    clock.advance(60)
    [retry] = pump(http)
    assert (retry["attempt"], retry["outcome"], retry["status"]) == (2, "delivered", 200)
    assert [body["id"] for body in webhook_receiver.bodies] == [slow["deliveryId"]] * 2


def test_an_unreachable_receiver_is_a_failed_attempt(
    api: httpx.Client, http: httpx.Client, webhook_receiver: WebhookReceiver
) -> None:
    """A connection error fails the attempt (and schedules the retry) as a 500 does."""
    register(api, "http://127.0.0.1:9/hooks")
    api.patch(f"events/{first_event(api)['id']}", json={"capacity": 9})
    [attempt] = pump(http)
    assert (attempt["outcome"], attempt["status"]) == ("failed", None)
    assert attempt["error"]
    assert attempt["retryAt"] is not None


def test_unregistering_a_webhook_stops_its_pending_retries(
    api: httpx.Client, http: httpx.Client, webhook_receiver: WebhookReceiver, clock: FakeClock
) -> None:
    """A retry due after the webhook was removed is not sent."""
    webhook_receiver.status = 503
    webhook_id = register(api, webhook_receiver.url)
    api.patch(f"events/{first_event(api)['id']}", json={"capacity": 10})
    assert len(pump(http)) == 1
    assert api.delete(f"webhooks/{webhook_id}").status_code == 204
    clock.advance(60)
    assert pump(http) == []
    assert len(webhook_receiver.received) == 1


def test_a_pending_delivery_survives_a_restart_on_the_same_database(
    tmp_path: Path,
    loopback: LoopbackServers,
    webhook_receiver: WebhookReceiver,
    clock: FakeClock,
) -> None:
    """The outbox is in the sandbox's SQLite file: a change made before a restart is delivered
    by the sandbox that starts next on the same file."""
    settings = SandboxSettings(admin=True, db_path=str(tmp_path / "sandbox.db"))
    before = create_app(settings)
    before.context.clock = clock.time
    with httpx.Client(base_url=loopback.serve("sandbox", before.app), timeout=30) as http:
        register_on = http.post(
            "/prospero/webhooks", json={"url": webhook_receiver.url, "events": TYPES}, headers=AUTH
        )
        assert register_on.status_code == 201
        created = http.post("/prospero/events", json={"event": EVENT}, headers=AUTH)
        assert created.status_code == 201
    before.store.close()

    after = create_app(settings)
    after.context.clock = clock.time
    with httpx.Client(base_url=loopback.serve("sandbox", after.app), timeout=30) as http:
        [attempt] = pump(http)
    assert attempt["outcome"] == "delivered"
    assert webhook_receiver.bodies[0]["data"]["event"] == created.json()["event"]


def test_a_served_sandbox_delivers_on_its_own(
    webhook_receiver: WebhookReceiver, sandbox: Sandbox
) -> None:
    """Served with its background tasks on (as `reconciler sandbox` serves it), the sandbox
    sends a change without being pumped."""
    with (
        running(sandbox.app, background=True) as origin,
        httpx.Client(base_url=f"{origin}/prospero/", headers=AUTH, timeout=30) as api,
    ):
        register(api, webhook_receiver.url)
        api.patch(f"events/{first_event(api)['id']}", json={"capacity": 11})
        for _ in range(400):  # a short real poll while the server's worker sends
            if webhook_receiver.received:
                break
            time.sleep(0.01)
    assert [body["type"] for body in webhook_receiver.bodies] == ["event.updated"]


def test_loopback_receivers_may_be_plain_http_but_public_ones_may_not(api: httpx.Client) -> None:
    """[model] The sandbox also delivers to http:// on a loopback host (a receiver on the same
    machine); any other URL must be https://, as Prospero requires."""
    for url in ("http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]:1/h"):
        assert api.post("webhooks", json={"url": url, "events": TYPES}).status_code == 201, url
    refused = api.post("webhooks", json={"url": "http://10.0.0.1/hook", "events": TYPES})
    assert refused.status_code == 400
    assert refused.json()["error"].startswith("url: must be an absolute https:// URL")
