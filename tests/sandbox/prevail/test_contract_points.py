"""The Prevail emulator on api-contract.md's Prevail points that no other test covered."""

from __future__ import annotations

import time
import warnings
from typing import Any

import httpx
import jwt
import pytest

STATES = ("initial", "scheduled", "ready", "active", "canceled")


def auth() -> dict[str, str]:
    with warnings.catch_warnings():
        # The documented sandbox key is shorter than PyJWT's recommended 32 bytes.
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        token = jwt.encode({"exp": int(time.time()) + 300, "slug": "sandbox-co"},
                           "sandbox-prevail-key", algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


def flat_session(title: str, state: str) -> dict[str, Any]:
    return {"title": title, "case": "State v. Filter", "start_date": "2027-09-01",
            "start_time": "09:00 AM", "time_zone": "UTC", "state": state}


def listed(http: httpx.Client, path: str, state: str) -> list[dict[str, Any]]:
    response = http.get(path, params={"state": state, "per_page": 1000}, headers=auth())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["pagy"]["count"] == len(body[path.rsplit("/", 1)[1]])
    items: list[dict[str, Any]] = body[path.rsplit("/", 1)[1]]
    return items


def test_every_documented_state_is_a_state_and_filters_the_lists(http: httpx.Client) -> None:
    """api-contract.md, Prevail — States [doc]: `initial`, `scheduled`, `ready`, `active`,
    `canceled`, and nothing else; `?state=` [model] lists exactly the objects in one of them."""
    seeded = http.post("/_sandbox/prevail/seed", json={
        "sessions": [flat_session(f"In {state}", state) for state in STATES],
        "session_requests": [flat_session("Pending", "initial")],
    })
    assert seeded.status_code == 201, seeded.text
    for state in STATES:
        sessions = listed(http, "/prevail/sessions", state)
        assert f"In {state}" in [session["title"] for session in sessions]
        assert {session["state"] for session in sessions} == {state}
        requests = listed(http, "/prevail/session_requests", state)
        assert {request["session_state"] for request in requests} <= {state}
    assert "Pending" in [r["title"] for r in listed(http, "/prevail/session_requests", "initial")]
    refused = http.post("/_sandbox/prevail/seed",
                        json={"sessions": [flat_session("Done", "completed")]})
    assert refused.status_code == 422
    assert "sessions[0].state" in refused.json()["details"]


@pytest.mark.parametrize("state", ["initial", "scheduled", "ready"])
def test_each_cancelable_state_cancels(http: httpx.Client, state: str) -> None:
    """api-contract.md, Prevail — Cancel [doc]: allowed in `initial`, `scheduled` and `ready`;
    the state becomes `canceled`."""
    seeded = http.post("/_sandbox/prevail/seed",
                       json={"sessions": [flat_session("To cancel", state)]})
    [session_id] = seeded.json()["sessions"]
    response = http.patch(f"/prevail/sessions/{session_id}/cancel",
                          params={"cancel_without_email": "true"}, headers=auth())
    assert response.status_code == 200, response.text
    assert response.json() == {"messages": "Session successfully canceled."}
    after = http.get(f"/prevail/sessions/{session_id}", headers=auth()).json()["session"]
    assert after["state"] == "canceled"
