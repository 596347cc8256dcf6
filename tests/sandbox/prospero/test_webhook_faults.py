"""Faults of the sandbox's Prospero webhook deliveries: drop, duplicate, reorder and delay.

api-contract.md, The sandbox — faults are injectable for tests; Prospero — Webhooks. A receiver
must cope with what real webhook senders do: lose a delivery, send one twice, send them out of
order, send late. The fractions are drawn from a seeded generator, so a run can be repeated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fixtures.clock import FakeClock
from tests.fixtures.webhook_receiver import WebhookReceiver

AUTH = {"Authorization": "Bearer sandbox-prospero-token"}
TYPES = ["event.created", "event.updated", "event.deleted"]
FAULTS = "/_sandbox/prospero/webhooks/faults"


@pytest.fixture
def api(sandbox_url: str, webhook_receiver: WebhookReceiver) -> Iterator[httpx.Client]:
    """A Prospero client, with the receiver registered for every type."""
    with httpx.Client(base_url=f"{sandbox_url}/prospero/", headers=AUTH, timeout=30) as client:
        registered = client.post("webhooks", json={"url": webhook_receiver.url, "events": TYPES})
        assert registered.status_code == 201
        yield client


def create_many(api: httpx.Client, count: int) -> list[str]:
    """`count` events in one bulk create (one `event.created` each); their ids in order."""
    events = [
        {"title": f"Slot {n}", "start": "2027-06-01T09:00:00Z", "end": "2027-06-01T10:00:00Z"}
        for n in range(count)
    ]
    response = api.post("events", json={"events": events})
    assert response.status_code == 201, response.text
    return [event["id"] for event in response.json()["events"]]


def pump(http: httpx.Client) -> list[dict[str, Any]]:
    response = http.post("/_sandbox/prospero/webhooks/deliver")
    assert response.status_code == 200, response.text
    attempts: list[dict[str, Any]] = response.json()["attempts"]
    return attempts


def arm(http: httpx.Client, **faults: Any) -> None:
    response = http.post(FAULTS, json=faults)
    assert response.status_code == 201, response.text


def received_event_ids(receiver: WebhookReceiver) -> list[str]:
    return [body["data"]["event"]["id"] for body in receiver.bodies]


def test_dropped_deliveries_are_never_sent_nor_retried(
    api: httpx.Client, http: httpx.Client, webhook_receiver: WebhookReceiver, clock: FakeClock
) -> None:
    """A dropped delivery is logged as `dropped`, never reaches the receiver, and is not
    retried: the sender believes it was delivered."""
    arm(http, drop=0.3, seed=11)
    ids = create_many(api, 40)
    attempts = pump(http)
    dropped = {a["eventId"] for a in attempts if a["outcome"] == "dropped"}
    delivered = {a["eventId"] for a in attempts if a["outcome"] == "delivered"}
    assert 0 < len(dropped) < 40
    assert dropped | delivered == set(ids)
    assert set(received_event_ids(webhook_receiver)) == delivered
    clock.advance(7 * 86_400)
    assert pump(http) == []
    states = Counter(
        c["state"] for c in http.get("/_sandbox/prospero/webhooks/deliveries").json()["deliveries"]
    )
    assert states == {"delivered": 40}


def test_duplicated_deliveries_arrive_twice_with_one_id(
    api: httpx.Client, http: httpx.Client, webhook_receiver: WebhookReceiver
) -> None:
    """A duplicated delivery is sent twice with the same delivery id; the others once."""
    arm(http, duplicate=0.5, seed=5)
    create_many(api, 30)
    pump(http)
    copies = Counter(body["id"] for body in webhook_receiver.bodies)
    assert len(copies) == 30
    assert set(copies.values()) == {1, 2}
    assert len(webhook_receiver.received) == 30 + sum(1 for n in copies.values() if n == 2)


def test_reordered_deliveries_arrive_shuffled(
    api: httpx.Client, http: httpx.Client, webhook_receiver: WebhookReceiver
) -> None:
    """Without faults due deliveries go out in the order of the changes; under `reorder` the
    same deliveries go out in another order."""
    in_order = create_many(api, 12)
    pump(http)
    assert received_event_ids(webhook_receiver) == in_order

    arm(http, reorder=True, seed=2)
    shuffled = create_many(api, 12)
    pump(http)
    sent = received_event_ids(webhook_receiver)[12:]
    assert sorted(sent) == sorted(shuffled)
    assert sent != shuffled


def test_delayed_deliveries_fall_due_that_much_later_on_the_sandbox_clock(
    api: httpx.Client, http: httpx.Client, webhook_receiver: WebhookReceiver, clock: FakeClock
) -> None:
    """`delay` adds seconds on the sandbox clock before a new delivery is due."""
    arm(http, delay=30)
    [event_id] = create_many(api, 1)
    assert pump(http) == []
    clock.advance(29)
    assert pump(http) == []
    clock.advance(1)
    [attempt] = pump(http)
    assert (attempt["eventId"], attempt["outcome"]) == (event_id, "delivered")
    assert webhook_receiver.bodies[0]["createdAt"] < attempt["at"]


def test_the_same_seed_gives_the_same_run(
    api: httpx.Client, http: httpx.Client, webhook_receiver: WebhookReceiver
) -> None:
    """Arming the same faults again restarts the seeded draws: the same changes are dropped and
    duplicated at the same positions (20 % dropped, 10 % duplicated, as a benchmark says)."""

    def run() -> list[tuple[str, int]]:
        arm(http, drop=0.2, duplicate=0.1, seed=42)
        ids = create_many(api, 100)
        position = {event_id: n for n, event_id in enumerate(ids)}
        return sorted((a["outcome"], position[a["eventId"]]) for a in pump(http))

    first, second = run(), run()
    assert first == second
    outcomes = Counter(outcome for outcome, _ in first)
    assert 0 < outcomes["dropped"] < 100
    assert len(first) > 100  # some were sent twice


def test_delivery_faults_are_listed_validated_and_cleared(http: httpx.Client) -> None:
    """The admin API shows the armed delivery faults, refuses a bad one in Prospero's error
    shape, and clears them."""
    assert http.get(FAULTS).json() == {
        "drop": 0.0,
        "duplicate": 0.0,
        "reorder": False,
        "delay": 0.0,
        "seed": 0,
    }
    arm(http, drop=0.25, delay=5, seed=9)
    assert http.get(FAULTS).json()["drop"] == 0.25
    for bad, message in (
        ({"drop": 1.5}, "drop: must be a fraction from 0 to 1"),
        ({"delay": -1}, "delay: must be a number of seconds, 0 or more"),
        ({"reorder": "yes"}, "reorder: must be true or false"),
        ({"lose": 0.1}, "lose: unknown delivery fault"),
    ):
        refused = http.post(FAULTS, json=bad)
        assert refused.json() == {"status": 400, "error": message}
    assert http.delete(FAULTS).status_code == 204
    assert http.get(FAULTS).json()["drop"] == 0.0
