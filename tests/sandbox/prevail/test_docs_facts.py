"""The Prevail emulator follows Prevail's public docs where they speak (api-contract.md, Prevail).

Each test posts what the docs show (or break a documented rule) to the served sandbox and reads
the answer and the lists back.
"""

from __future__ import annotations

import copy
import time
import warnings
from typing import Any

import httpx
import jwt
import pytest

from tests.fixtures.docs_prevail import DOCS_CREATE_EXAMPLE, DOCS_HOST_EXAMPLE

KEY = "sandbox-prevail-key"


def auth() -> dict[str, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        token = jwt.encode(
            {"exp": int(time.time()) + 300, "slug": "sandbox-co"}, KEY, algorithm="HS256"
        )
    return {"Authorization": f"Bearer {token}"}


def body(**changes: Any) -> dict[str, Any]:
    """The docs' own create example, future-dated, with `changes` to its parts."""
    request = copy.deepcopy(DOCS_CREATE_EXAMPLE)["session_request"]
    request["remote_session"]["start_date"] = "2027-01-28"
    for part, value in changes.items():
        if isinstance(value, dict) and isinstance(request.get(part), dict):
            request[part] = {**request[part], **value}
        else:
            request[part] = value
    request = {name: value for name, value in request.items() if value is not ...}
    request["remote_session"] = {
        name: value for name, value in request["remote_session"].items() if value is not ...
    }
    return {"session_request": request}


def create(http: httpx.Client, payload: dict[str, Any], path: str = "/prevail/sessions"
           ) -> httpx.Response:
    return http.post(path, json=payload, headers=auth())


@pytest.mark.parametrize("example", [DOCS_CREATE_EXAMPLE, DOCS_HOST_EXAMPLE])
def test_the_docs_own_create_examples_are_accepted(http: httpx.Client, example: Any) -> None:
    """api-contract.md, Prevail create: the docs' example omits estimated_duration; accepted."""
    response = create(http, example)
    assert response.status_code == 201, response.text
    session = response.json()["session"]
    assert session["time_zone"] == "Pacific Time (US & Canada)"
    assert session["case"] == "123-case-id-name"


def test_case_is_required(http: httpx.Client) -> None:
    """api-contract.md, Prevail create: `remote_session.case` is required."""
    response = create(http, body(remote_session={"case": ...}))
    assert response.status_code == 422
    assert response.json()["details"] == {"case": ["can't be blank"]}


@pytest.mark.parametrize("role", ["deponent", "witness"])
def test_a_deponent_is_a_deponent_or_a_witness(http: httpx.Client, role: str) -> None:
    """api-contract.md, Prevail create: `deponent.role` is `deponent` or `witness`."""
    assert create(http, body(deponent={"role": role})).status_code == 201
    refused = create(http, body(deponent={"role": "Plaintiff"}))
    assert refused.status_code == 422
    assert list(refused.json()["details"]) == ["deponent.role"]


def test_interpreter_is_a_string_of_languages(http: httpx.Client) -> None:
    """api-contract.md, Prevail create: `interpreter` names languages (`""` for none)."""
    accepted = create(http, body(session_details={"interpreter": "Spanish"}))
    assert accepted.json()["session"]["session_details"]["interpreter"] == "Spanish"
    refused = create(http, body(session_details={"interpreter": True}))
    assert refused.status_code == 400
    assert list(refused.json()["details"]) == ["session_details.interpreter"]


def test_invite_emails_is_read_as_invites(http: httpx.Client) -> None:
    """api-contract.md, Prevail create: the older docs' `invite_emails` is a synonym."""
    response = create(http, body(invites=..., invite_emails=["Quartz@example.com"]))
    assert response.status_code == 201, response.text
    assert response.json()["session"]["invites"] == [
        {"email": "Quartz@example.com", "access_level": "participant"}
    ]


def test_a_request_shows_its_state_as_session_state(http: httpx.Client) -> None:
    """api-contract.md, Prevail: "immediately after submission, `session_state` is assigned
    the value `initial`"; sessions keep `state`."""
    request = create(http, body(), path="/prevail/session_requests").json()["session"]
    assert request["session_state"] == "initial" and "state" not in request
    assert request["remote_session_id"] is None and request["session_url"] is None
    listed = http.get("/prevail/session_requests", headers=auth()).json()["session_requests"]
    assert listed[-1] == request
    sessions = http.get("/prevail/sessions", headers=auth()).json()["sessions"]
    assert all("state" in s and "session_state" not in s for s in sessions)


@pytest.mark.parametrize(
    "zone",
    [
        "(GMT-05:00) Eastern Time (US & Canada)",
        "(GMT+05:00) Astana",
        "Asuncion",
        "(GMT-04:00) Asuncion",
        "Pacific Time (Canada)",
        "Alberta",
        "International Date Line West",
    ],
)
def test_rails_names_and_their_display_form_are_accepted(http: httpx.Client, zone: str) -> None:
    """api-contract.md, Prevail time zones: Rails 8.1's names, main's two, the display form."""
    response = create(http, body(remote_session={"time_zone": zone}))
    assert response.status_code == 201, response.text
    assert response.json()["session"]["time_zone"] == zone


def test_the_time_window_reads_astana_as_almaty(http: httpx.Client) -> None:
    """api-contract.md, Prevail time zones: `Astana` is Asia/Almaty (UTC+5 since March 2024)."""
    create(http, body(remote_session={"time_zone": "Astana", "start_time": "09:00 AM"}))
    almaty_nine = 1801108800  # 2027-01-28T04:00:00Z, 09:00 at UTC+5 (Dhaka would be 03:00Z)
    listed = http.get(
        "/prevail/sessions",
        params={"start_time": almaty_nine, "end_time": almaty_nine},
        headers=auth(),
    ).json()
    assert [s["time_zone"] for s in listed["sessions"]] == ["Astana"]


def levels(session: dict[str, Any]) -> dict[str, str]:
    return {invite["email"]: invite["access_level"] for invite in session["invites"]}


def test_a_host_without_a_registered_account_is_made_a_participant(http: httpx.Client) -> None:
    """api-contract.md, Prevail — Hosts: "If a Host's email is not associated with a registered
    account, the API ignores the value host and assigns access_level: participant": the
    emulator's members are a seeded list, extended through its admin API; an edit naming a
    non-member as host leaves an invitee's level as it was."""
    invites = [{"email": "host@example.com", "access_level": "host"},
               {"email": "Stranger@example.com", "access_level": "host"}]
    created = create(http, body(invites=invites)).json()["session"]
    assert levels(created) == {"host@example.com": "host", "Stranger@example.com": "participant"}
    session_id = created["remote_session_id"]

    host = {"email": "new@example.com", "access_level": "host"}
    newcomer = {"remote_session": {"invites": [host]}}
    edited = http.patch(f"/prevail/sessions/{session_id}", json=newcomer, headers=auth())
    assert levels(edited.json()["sessions"][0])["new@example.com"] == "participant"

    registered = http.post("/_sandbox/prevail/members", json={"emails": ["New@example.com"]})
    assert registered.status_code == 200, registered.text
    assert "new@example.com" in registered.json()["members"]
    edited = http.patch(f"/prevail/sessions/{session_id}", json=newcomer, headers=auth())
    assert levels(edited.json()["sessions"][0])["new@example.com"] == "host"


def test_an_edit_takes_invite_emails_as_invites(http: httpx.Client) -> None:
    """api-contract.md, Prevail — Edit: the older docs' `invite_emails` is accepted in edit
    bodies too, as a synonym of `invites` (never both)."""
    session_id = create(http, body()).json()["session"]["remote_session_id"]
    edit = {"remote_session": {"invite_emails": ["late@example.com"]}}
    response = http.patch(f"/prevail/sessions/{session_id}", json=edit, headers=auth())
    assert response.status_code == 200, response.text
    assert levels(response.json()["sessions"][0])["late@example.com"] == "participant"
    both = {"remote_session": {"invites": [], "invite_emails": []}}
    refused = http.patch(f"/prevail/sessions/{session_id}", json=both, headers=auth())
    assert refused.status_code == 400


def test_end_time_keeps_the_sessions_that_end_before_it(http: httpx.Client) -> None:
    """api-contract.md, Prevail — List: `?start_time` keeps the sessions that start after it and
    `?end_time` those that *end* before it (start plus estimated_duration)."""
    remote = {"start_date": "2027-02-01", "start_time": "10:00 AM", "time_zone": "UTC",
              "estimated_duration": 3, "title": "Three hours"}
    created = create(http, body(remote_session=remote)).json()["session"]
    start = 1_801_476_000  # 2027-02-01T10:00:00Z

    def listed(**window: int) -> bool:
        answer = http.get("/prevail/sessions", params={"per_page": 1000, **window},
                          headers=auth()).json()
        return created["remote_session_id"] in {s["remote_session_id"] for s in answer["sessions"]}

    assert listed(start_time=start, end_time=start + 3 * 3600)
    assert not listed(start_time=start, end_time=start + 3600)  # it starts inside, ends after
    assert not listed(start_time=start + 60, end_time=start + 4 * 3600)  # it starts before
    assert listed(end_time=start + 3 * 3600 + 1)
