"""The Prospero emulator on api-contract.md's Prospero points that no other test covered."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

TYPES = ["event.created", "event.updated", "event.deleted"]


@pytest.fixture
def api(sandbox_url: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": "Bearer sandbox-prospero-token"}
    with httpx.Client(base_url=f"{sandbox_url}/prospero/", headers=headers) as client:
        yield client


def test_every_documented_event_type_registers_on_an_https_url(api: httpx.Client) -> None:
    """api-contract.md, Prospero — Webhooks [doc]: types `event.created`, `event.updated`,
    `event.deleted`, delivered to a public HTTPS URL; [model] `POST /webhooks {"url",
    "events"}` → 201, and the webhook is listed until it is removed."""
    body = {"url": "https://hooks.example.com/prospero", "events": TYPES}
    created = api.post("webhooks", json=body)
    assert created.status_code == 201, created.text
    webhook = created.json()["webhook"]
    assert (webhook["url"], sorted(webhook["events"])) == (body["url"], sorted(TYPES))
    assert [hook["id"] for hook in api.get("webhooks").json()["webhooks"]] == [webhook["id"]]

    plain = api.post("webhooks", json={**body, "url": "http://hooks.example.com/prospero"})
    assert plain.status_code == 400
    assert plain.json() == {"status": 400, "error": plain.json()["error"]}
    assert plain.json()["error"].startswith("url: ")
    assert len(api.get("webhooks").json()["webhooks"]) == 1
    assert api.delete(f"webhooks/{webhook['id']}").status_code == 204
    assert api.get("webhooks").json()["webhooks"] == []


EVENT = {"title": "Gala", "start": "2027-03-01T18:00:00Z", "end": "2027-03-01T22:00:00Z"}


def test_a_create_may_ask_for_a_notification_which_is_recorded(
    api: httpx.Client, sandbox_url: str
) -> None:
    """api-contract.md, Prospero — POST /events [doc]: either body may carry an optional
    `notification` object (one per event in bulk) asking Prospero to e-mail the participants;
    the emulator accepts and records it, and refuses one that is not an object."""
    notice = {"subject": "You are invited", "message": "See you there."}
    single = api.post("events", json={"event": EVENT, "notification": notice})
    assert single.status_code == 201, single.text
    bulk = api.post("events", json={"events": [EVENT, EVENT], "notifications": [None, notice]})
    assert bulk.status_code == 201, bulk.text
    first = single.json()["event"]["id"]
    second = bulk.json()["events"][1]["id"]
    recorded = httpx.get(f"{sandbox_url}/_sandbox/prospero/notifications").json()
    assert recorded == {"notifications": [
        {"eventId": first, "notification": notice},
        {"eventId": second, "notification": notice},
    ]}
    refused = api.post("events", json={"event": EVENT, "notification": "yes"})
    assert refused.status_code == 400
    assert refused.json()["error"] == "notification: must be an object"
    uneven = api.post("events", json={"events": [EVENT], "notifications": []})
    assert uneven.status_code == 400
