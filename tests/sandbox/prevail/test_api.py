"""The Prevail emulator over real HTTP: what a Prevail client observes, behaviour by behaviour.

Each test talks to a uvicorn-served sandbox on loopback (`http` fixture) and asserts on status,
body, headers and the state the sandbox holds afterwards. Tokens are minted as a client would,
with PyJWT and the documented sandbox credentials.
"""

from __future__ import annotations

import base64
import json
import math
import threading
import time
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from reconciler.sandbox import SandboxSettings, create_app
from reconciler.sandbox.app import Sandbox
from reconciler.sandbox.faults import Fault
from reconciler.sandbox.server import running

KEY = "sandbox-prevail-key"
COMPANY_ID = "sandbox-co"
ALVAREZ = "rs_5eed000000000001"  # seeded, ready
EXPERT = "rs_5eed000000000002"  # seeded, scheduled
CHEN_REQUEST = "req_5eed000000000001"  # seeded, pending
TIME_ZONES = Path(__file__).resolve().parents[3] / "schemas" / "api" / "prevail-time-zones.json"


class Clock:
    """A settable sandbox clock, so timestamps and token expiry are under the test's control."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def mint(
    *,
    key: str = KEY,
    slug: Any = COMPANY_ID,
    exp: Any = None,
    algorithm: str = "HS256",
    drop: tuple[str, ...] = (),
) -> str:
    claims = {"exp": int(time.time()) + 300 if exp is None else exp, "slug": slug}
    for name in drop:
        claims.pop(name)
    with warnings.catch_warnings():
        # The documented sandbox key is shorter than PyJWT's recommended 32 bytes.
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        return jwt.encode(claims, key, algorithm=algorithm)


def unsigned_token() -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    header = part({"alg": "none", "typ": "JWT"})
    payload = part({"exp": int(time.time()) + 300, "slug": COMPANY_ID})
    return f"{header}.{payload}."


def auth(token: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token or mint()}"}


def remote_session(**overrides: Any) -> dict[str, Any]:
    fields = {
        "title": "Deposition of M. Okafor",
        "case": "Okafor v. Lakeside Clinic",
        "start_date": "2027-06-01",
        "start_time": "09:00 AM",
        "time_zone": "Eastern Time (US & Canada)",
        "estimated_duration": 2.5,
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not ...}


def create_body(**overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "invites": [
            "counsel@okafor-law.test",
            {"email": "clerk@court.test", "access_level": "host"},
        ],
        "deponent": {"name": "Mary Okafor", "email": "m.okafor@example.test", "role": "witness"},
        "remote_session": remote_session(),
        "session_details": {
            "languages": "English",
            "interpreter": "",
            "additional_details": "Exhibits shared in advance.\nreconciler-key: okafor-1",
            "video_provider": "Zoom",
            "session_type": "Deposition",
        },
    }
    request.update(overrides)
    return {"session_request": request}


def create(http: httpx.Client, **overrides: Any) -> dict[str, Any]:
    response = http.post("/prevail/sessions", json=create_body(**overrides), headers=auth())
    assert response.status_code == 201, response.text
    session: dict[str, Any] = response.json()["session"]
    return session


def list_all(http: httpx.Client, path: str = "/prevail/sessions", **params: Any) -> dict[str, Any]:
    response = http.get(path, params={"per_page": 1000, **params}, headers=auth())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def seed(http: httpx.Client, **lists: Any) -> dict[str, list[str]]:
    response = http.post("/_sandbox/prevail/seed", json=lists)
    assert response.status_code == 201, response.text
    ids: dict[str, list[str]] = response.json()
    return ids


def flat_session(index: int, **overrides: Any) -> dict[str, Any]:
    return {**remote_session(title=f"Bulk session {index}"), **overrides}


def assert_error(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "details"}
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["details"], dict)
    if field is not None:
        assert field in body["details"], body
        assert all(isinstance(note, str) for note in body["details"][field])
    return body


@pytest.fixture
def server_clock(sandbox: Sandbox) -> Clock:
    server_clock = Clock()
    sandbox.context.clock = server_clock
    return server_clock


# -- authentication -------------------------------------------------------------------------


def test_bearer_token_is_accepted(http: httpx.Client) -> None:
    """api-contract.md, The sandbox — Prevail: company_id `sandbox-co`, key `sandbox-prevail-key`;
    Prevail — auth: HS256 JWT over {exp, slug} with the key, as `Authorization: Bearer`."""
    response = http.get("/prevail/sessions", headers={"Authorization": f"Bearer {mint()}"})
    assert response.status_code == 200


def test_query_token_is_accepted(http: httpx.Client) -> None:
    """api-contract.md, Prevail — auth: the token as `?jwt_payload=`."""
    response = http.get("/prevail/sessions", params={"jwt_payload": mint()})
    assert response.status_code == 200
    assert response.json()["pagy"]["count"] == 2


def test_body_token_is_accepted_and_not_an_unknown_field(http: httpx.Client) -> None:
    """api-contract.md, Prevail — auth: the token as `jwt_payload` in a POST body."""
    response = http.post("/prevail/sessions", json={**create_body(), "jwt_payload": mint()})
    assert response.status_code == 201, response.text
    session_id = response.json()["session"]["remote_session_id"]
    edit = {"remote_session": {"title": "Renamed"}, "jwt_payload": mint()}
    response = http.patch(f"/prevail/sessions/{session_id}", json=edit)
    assert response.status_code == 200, response.text
    assert response.json()["sessions"][0]["title"] == "Renamed"


def test_body_token_works_on_cancel(http: httpx.Client) -> None:
    """api-contract.md, Prevail — auth: the token as `jwt_payload` in a POST body."""
    response = http.patch(f"/prevail/sessions/{ALVAREZ}/cancel", json={"jwt_payload": mint()})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "headers, params",
    [
        pytest.param({}, {}, id="missing"),
        pytest.param({"Authorization": "Bearer not-a-jwt"}, {}, id="malformed"),
        pytest.param(
            {"Authorization": f"Bearer {mint(key='another-org-key')}"}, {}, id="bad-signature"
        ),
        pytest.param(
            {"Authorization": f"Bearer {mint(exp=int(time.time()) - 10)}"}, {}, id="expired"
        ),
        pytest.param(
            {"Authorization": f"Bearer {mint(slug='someone-else')}"}, {}, id="unknown-slug"
        ),
        pytest.param({"Authorization": f"Bearer {mint(slug=42)}"}, {}, id="slug-not-a-string"),
        pytest.param({"Authorization": f"Bearer {mint(drop=('exp',))}"}, {}, id="no-exp"),
        pytest.param({"Authorization": f"Bearer {mint(drop=('slug',))}"}, {}, id="no-slug"),
        pytest.param({"Authorization": f"Bearer {mint(exp='tomorrow')}"}, {}, id="exp-not-number"),
        pytest.param({"Authorization": f"Bearer {unsigned_token()}"}, {}, id="alg-none"),
        pytest.param({"Authorization": f"Bearer {mint(algorithm='HS512')}"}, {}, id="alg-HS512"),
        pytest.param({"Authorization": f"Basic {mint()}"}, {}, id="not-bearer"),
        pytest.param({"Authorization": "Bearer"}, {}, id="empty-bearer"),
        pytest.param({}, {"jwt_payload": "x.y.z"}, id="bad-query-token"),
        # A bad header is not rescued by a good token elsewhere: the header is looked at first.
        pytest.param({"Authorization": "Bearer nope"}, {"jwt_payload": mint()}, id="header-first"),
    ],
)
def test_bad_tokens_are_401(
    http: httpx.Client, headers: dict[str, str], params: dict[str, str]
) -> None:
    """api-contract.md, Prevail — auth: missing, bad signature, unknown slug, expired, alg not HS256
    → 401."""
    response = http.get("/prevail/sessions", headers=headers, params=params)
    body = assert_error(response, 401, "jwt_payload")
    assert body["error"].startswith("Unauthorized")


def test_bad_body_token_is_401(http: httpx.Client) -> None:
    """api-contract.md, Prevail — auth: missing, bad signature, unknown slug, expired, alg not HS256
    → 401."""
    response = http.post("/prevail/sessions", json={**create_body(), "jwt_payload": "nope"})
    assert_error(response, 401, "jwt_payload")
    assert list_all(http)["pagy"]["count"] == 2


def test_body_token_must_be_a_string(http: httpx.Client) -> None:
    """api-contract.md, Prevail — auth: the token as `jwt_payload` in a POST body."""
    response = http.post(
        "/prevail/sessions", json={**create_body(), "jwt_payload": 42}, headers=auth()
    )
    assert_error(response, 400, "jwt_payload")
    assert list_all(http)["pagy"]["count"] == 2


def test_token_expiry_follows_the_sandbox_clock(http: httpx.Client, server_clock: Clock) -> None:
    """api-contract.md, Prevail — auth: missing, bad signature, unknown slug, expired, alg not HS256
    → 401."""
    token = mint(exp=int(server_clock.now) + 60)
    assert http.get("/prevail/sessions", headers=auth(token)).status_code == 200
    server_clock.now += 61
    assert_error(http.get("/prevail/sessions", headers=auth(token)), 401, "jwt_payload")


def test_auth_is_checked_before_the_body(http: httpx.Client) -> None:
    response = http.post("/prevail/sessions", content=b"{not json")
    assert_error(response, 401)


# -- create ---------------------------------------------------------------------------------


def test_self_service_create_is_ready_with_ids(http: httpx.Client, server_clock: Clock) -> None:
    """api-contract.md, Prevail — POST /sessions is self-service: `ready`, remote_session_id and
    session_url; create body: {session_request: {invites, deponent, remote_session, ...}}."""
    server_clock.now = 1_800_000_000.25
    token = auth(mint(exp=int(server_clock.now) + 300))
    response = http.post("/prevail/sessions", json=create_body(), headers=token)
    assert response.status_code == 201
    session = response.json()["session"]
    session_id = session["remote_session_id"]
    assert session_id.startswith("rs_") and len(session_id) == 19
    int(session_id[3:], 16)
    assert session == {
        "remote_session_id": session_id,
        "request_id": None,
        **remote_session(),
        "state": "ready",
        "transcript_status": "not_started",
        "session_url": f"https://sandbox.prevail.test/s/{session_id}",
        "provider_specific_details": {},
        "invites": [
            {"email": "counsel@okafor-law.test", "access_level": "participant"},
            {"email": "clerk@court.test", "access_level": "host"},
        ],
        "deponent": {"name": "Mary Okafor", "email": "m.okafor@example.test", "role": "witness"},
        "session_details": create_body()["session_request"]["session_details"],
        "postback_url": None,
        "created_at": "2027-01-15T08:00:00.250Z",
        "updated_at": "2027-01-15T08:00:00.250Z",
    }
    fetched = http.get(f"/prevail/sessions/{session_id}", headers=token)
    assert fetched.status_code == 200
    assert fetched.json() == {"session": session}
    listed = http.get("/prevail/sessions", headers=token).json()
    assert listed["sessions"][-1] == session


def test_optional_parts_may_be_left_out(http: httpx.Client) -> None:
    """api-contract.md, Prevail create: `estimated_duration` is optional, as the docs' example."""
    body = {"session_request": {"remote_session": remote_session(estimated_duration=...)}}
    response = http.post("/prevail/sessions", json=body, headers=auth())
    assert response.status_code == 201, response.text
    session = response.json()["session"]
    assert session["estimated_duration"] is None
    assert session["invites"] == []
    assert session["deponent"] is None
    assert session["session_details"] == {}


def test_duplicate_invites_are_merged_by_email(http: httpx.Client) -> None:
    # clerk@court.test is one of the seeded organisation's registered members: a host holds.
    session = create(
        http, invites=["clerk@court.test", {"email": "Clerk@court.test", "access_level": "host"}]
    )
    assert session["invites"] == [{"email": "clerk@court.test", "access_level": "host"}]


@pytest.mark.parametrize(
    "zone",
    [
        "Eastern Time (US & Canada)",
        "Pacific Time (US & Canada)",
        "Alaska",
        "Hawaii",
        "London",
        "Copenhagen",
        "UTC",
        "America/New_York",
        "Europe/Copenhagen",
        "Etc/UTC",
    ],
)
def test_prevail_and_iana_zone_names_are_returned_as_sent(http: httpx.Client, zone: str) -> None:
    """api-contract.md, Prevail — zones: Prevail's (Rails) names and IANA names; [model] returned as
    sent."""
    session = create(http, remote_session=remote_session(time_zone=zone))
    assert session["time_zone"] == zone


def test_time_zone_file_maps_every_rails_name_to_iana() -> None:
    """api-contract.md, Prevail — zones: Rails 8.1's MAPPING (152) + 2 from main, as data, pinned by
    a test."""
    import zoneinfo

    mapping = json.loads(TIME_ZONES.read_text(encoding="utf-8"))
    assert len(mapping) >= 150
    assert mapping["Eastern Time (US & Canada)"] == "America/New_York"
    assert mapping["Pacific Time (US & Canada)"] == "America/Los_Angeles"
    assert mapping["Copenhagen"] == "Europe/Copenhagen"
    available = zoneinfo.available_timezones()
    assert all(iana in available for iana in mapping.values())


def test_every_name_in_the_time_zone_file_is_accepted(http: httpx.Client) -> None:
    """api-contract.md, Prevail — zones: Prevail's (Rails) names and IANA names; [model] returned as
    sent."""
    mapping = json.loads(TIME_ZONES.read_text(encoding="utf-8"))
    for zone in mapping:
        response = http.post(
            "/prevail/sessions",
            json=create_body(remote_session=remote_session(time_zone=zone)),
            headers=auth(),
        )
        assert response.status_code == 201, (zone, response.text)


@pytest.mark.parametrize(
    "content, content_type, field",
    [
        pytest.param(b"{not json", "application/json", "body", id="malformed-json"),
        pytest.param(b"[1, 2]", "application/json", "session_request", id="not-an-object"),
        pytest.param(
            b'{"session_request": {"remote_session": {"estimated_duration": NaN}}}',
            "application/json",
            "body",
            id="nan",
        ),
        pytest.param(
            b"session_request=1",
            "application/x-www-form-urlencoded",
            "content_type",
            id="not-json-content-type",
        ),
        pytest.param(b"", "application/json", "session_request", id="empty-body"),
    ],
)
def test_unparseable_bodies_are_400(
    http: httpx.Client, content: bytes, content_type: str, field: str
) -> None:
    headers = {**auth(), "Content-Type": content_type}
    response = http.post("/prevail/sessions", content=content, headers=headers)
    assert_error(response, 400, field)


def test_huge_body_is_400(http: httpx.Client) -> None:
    body = create_body(remote_session=remote_session(title="x" * (1 << 20)))
    response = http.post("/prevail/sessions", json=body, headers=auth())
    assert_error(response, 400, "body")


@pytest.mark.parametrize(
    "body, field",
    [
        pytest.param({"session": {}}, "session", id="unknown-top-level"),
        pytest.param({"session_request": None}, "session_request", id="session-request-null"),
        pytest.param({"session_request": "x"}, "session_request", id="session-request-string"),
        pytest.param(create_body(colour="red"), "colour", id="unknown-request-field"),
        pytest.param(
            create_body(remote_session={**remote_session(), "colour": "red"}),
            "remote_session.colour",
            id="unknown-remote-session-field",
        ),
        pytest.param(create_body(remote_session=[]), "remote_session", id="remote-session-list"),
        pytest.param(
            create_body(remote_session=remote_session(title=7)), "title", id="title-number"
        ),
        pytest.param(
            create_body(remote_session=remote_session(start_date=20270601)),
            "start_date",
            id="date-number",
        ),
        pytest.param(
            create_body(remote_session=remote_session(estimated_duration="2")),
            "estimated_duration",
            id="duration-string",
        ),
        pytest.param(
            create_body(remote_session=remote_session(estimated_duration=True)),
            "estimated_duration",
            id="duration-bool",
        ),
        pytest.param(create_body(invites="a@b.test"), "invites", id="invites-not-array"),
        pytest.param(create_body(invites=[7]), "invites[0]", id="invite-number"),
        pytest.param(
            create_body(invites=[{"email": "a@b.test", "role": "host"}]),
            "invites[0].role",
            id="invite-unknown-field",
        ),
        pytest.param(
            create_body(invites=[{"email": "a@b.test", "access_level": 1}]),
            "invites[0].access_level",
            id="access-level-number",
        ),
        pytest.param(create_body(deponent="Mary"), "deponent", id="deponent-string"),
        pytest.param(
            create_body(deponent={"name": "M", "age": 40}),
            "deponent.age",
            id="deponent-unknown-field",
        ),
        pytest.param(
            create_body(session_details={"interpreter": True}),
            "session_details.interpreter",
            id="interpreter-not-string",
        ),
        pytest.param(
            create_body(invites=["a@b.test"], invite_emails=["c@d.test"]),
            "invite_emails",
            id="invites-under-both-names",
        ),
        pytest.param(
            create_body(session_details={"room": "4"}),
            "session_details.room",
            id="details-unknown-field",
        ),
        pytest.param(
            create_body(session_details={"languages": ["en"]}),
            "session_details.languages",
            id="languages-not-string",
        ),
        pytest.param(create_body(postback_url=1), "postback_url", id="postback-number"),
    ],
)
def test_shape_errors_are_400(http: httpx.Client, body: Any, field: str) -> None:
    """api-contract.md, Prevail — create body: {session_request: {invites, deponent, remote_session,
    ...}}; errors 400, 401, 404, 422, 500; [model] body {error, details}."""
    response = http.post("/prevail/sessions", json=body, headers=auth())
    assert_error(response, 400, field)
    assert list_all(http)["pagy"]["count"] == 2


@pytest.mark.parametrize(
    "body, field",
    [
        pytest.param(create_body(remote_session=None), "remote_session", id="no-remote-session"),
        pytest.param(
            create_body(remote_session=remote_session(title=...)), "title", id="title-missing"
        ),
        pytest.param(
            create_body(remote_session=remote_session(title="  ")), "title", id="title-blank"
        ),
        pytest.param(
            create_body(remote_session=remote_session(title="x" * 256)),
            "title",
            id="title-too-long",
        ),
        pytest.param(
            create_body(remote_session=remote_session(start_time=None)),
            "start_time",
            id="start-time-null",
        ),
        pytest.param(
            create_body(remote_session=remote_session(start_date="2027-02-30")),
            "start_date",
            id="impossible-date",
        ),
        pytest.param(
            create_body(remote_session=remote_session(start_date="06/01/2027")),
            "start_date",
            id="us-date",
        ),
        pytest.param(
            create_body(remote_session=remote_session(start_time="9:00 AM")),
            "start_time",
            id="one-digit-hour",
        ),
        pytest.param(
            create_body(remote_session=remote_session(start_time="13:00 PM")),
            "start_time",
            id="hour-13",
        ),
        pytest.param(
            create_body(remote_session=remote_session(start_time="09:00")),
            "start_time",
            id="24-hour-clock",
        ),
        pytest.param(
            create_body(remote_session=remote_session(time_zone="Mars/Olympus")),
            "time_zone",
            id="unknown-zone",
        ),
        pytest.param(
            create_body(remote_session=remote_session(time_zone="eastern time")),
            "time_zone",
            id="zone-wrong-case",
        ),
        pytest.param(
            create_body(remote_session=remote_session(estimated_duration=0)),
            "estimated_duration",
            id="duration-zero",
        ),
        pytest.param(
            create_body(remote_session=remote_session(estimated_duration=-1)),
            "estimated_duration",
            id="duration-negative",
        ),
        pytest.param(
            create_body(remote_session=remote_session(estimated_duration=24.5)),
            "estimated_duration",
            id="duration-over-24h",
        ),
        pytest.param(
            create_body(remote_session=remote_session(estimated_duration=10**400)),
            "estimated_duration",
            id="duration-huge",
        ),
        pytest.param(create_body(invites=["not-an-email"]), "invites[0]", id="bad-email"),
        pytest.param(
            create_body(invites=[{"access_level": "host"}]),
            "invites[0].email",
            id="invite-without-email",
        ),
        pytest.param(
            create_body(invites=[{"email": "a@b.test", "access_level": "owner"}]),
            "invites[0].access_level",
            id="unknown-access-level",
        ),
        pytest.param(
            create_body(invites=[f"p{i}@b.test" for i in range(101)]),
            "invites",
            id="too-many-invites",
        ),
        pytest.param(
            create_body(deponent={"email": "nope"}), "deponent.email", id="deponent-bad-email"
        ),
        pytest.param(
            create_body(session_details={"additional_details": "x" * 10_001}),
            "session_details.additional_details",
            id="details-too-long",
        ),
        pytest.param(
            create_body(postback_url="ftp://hooks.example.test/x"),
            "postback_url",
            id="postback-not-http",
        ),
        pytest.param(create_body(postback_url="not a url"), "postback_url", id="postback-junk"),
    ],
)
def test_invalid_values_are_422(http: httpx.Client, body: Any, field: str) -> None:
    """api-contract.md, Prevail — create body: {session_request: {invites, deponent, remote_session,
    ...}}; errors 400, 401, 404, 422, 500; [model] body {error, details}."""
    response = http.post("/prevail/sessions", json=body, headers=auth())
    error = assert_error(response, 422, field)
    assert error["error"].startswith("Validation failed")
    assert list_all(http)["pagy"]["count"] == 2


def test_all_problems_are_reported_at_once(http: httpx.Client) -> None:
    """api-contract.md, Prevail — errors 400, 401, 404, 422, 500; [model] body {error, details}."""
    body = create_body(
        remote_session=remote_session(time_zone="Nowhere", start_date="2027-13-01"),
        invites=[{"email": "a@b.test", "access_level": "owner"}],
    )
    error = assert_error(http.post("/prevail/sessions", json=body, headers=auth()), 422)
    assert set(error["details"]) == {"time_zone", "start_date", "invites[0].access_level"}


# -- session requests ----------------------------------------------------------------------


def test_session_request_is_pending_without_session_ids(http: httpx.Client) -> None:
    """api-contract.md, Prevail — POST /session_requests, same body: `initial`, both ids null; GET
    /session_requests: the same list, under `session_requests`."""
    response = http.post("/prevail/session_requests", json=create_body(), headers=auth())
    assert response.status_code == 201, response.text
    request = response.json()["session"]
    assert request["session_state"] == "initial" and "state" not in request
    assert request["remote_session_id"] is None
    assert request["session_url"] is None
    assert request["request_id"].startswith("req_") and len(request["request_id"]) == 20
    requests = list_all(http, "/prevail/session_requests")
    assert requests["pagy"]["count"] == 2
    assert requests["session_requests"][-1] == request
    assert list_all(http)["pagy"]["count"] == 2


def test_session_request_validates_like_create(http: httpx.Client) -> None:
    """api-contract.md, Prevail — POST /session_requests, same body: `initial`, both ids null."""
    body = create_body(remote_session=remote_session(time_zone="Atlantis"))
    response = http.post("/prevail/session_requests", json=body, headers=auth())
    assert_error(response, 422, "time_zone")


def test_promote_schedules_a_request_as_a_session(http: httpx.Client) -> None:
    """api-contract.md, Prevail — [model] a request has a `request_id`; the sandbox promotes it to
    scheduled."""
    response = http.post(f"/_sandbox/prevail/session_requests/{CHEN_REQUEST}/promote")
    assert response.status_code == 200, response.text
    assert response.json()["postback"] is None
    session = response.json()["session"]
    assert session["state"] == "scheduled"
    assert session["request_id"] == CHEN_REQUEST
    assert session["remote_session_id"].startswith("rs_")
    assert session["session_url"].endswith(session["remote_session_id"])
    sessions = list_all(http)["sessions"]
    assert sessions[-1] == session
    [request] = list_all(http, "/prevail/session_requests")["session_requests"]
    assert request["session_state"] == "scheduled"
    assert request["remote_session_id"] == session["remote_session_id"]
    again = http.post(f"/_sandbox/prevail/session_requests/{CHEN_REQUEST}/promote")
    assert_error(again, 422, "state")


def test_promote_unknown_request_is_404(http: httpx.Client) -> None:
    """api-contract.md, Prevail — [model] a request has a `request_id`; the sandbox promotes it to
    scheduled."""
    response = http.post("/_sandbox/prevail/session_requests/req_0000000000000000/promote")
    assert_error(response, 404, "request_id")


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.received.append(
            {"body": json.loads(self.rfile.read(length)), "type": self.headers["Content-Type"]}
        )
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def postback_url() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/prevail-hook", received
    finally:
        server.shutdown()
        server.server_close()


def test_promote_posts_a_signed_session_to_the_postback_url(
    http: httpx.Client, postback_url: tuple[str, list[dict[str, Any]]]
) -> None:
    """api-contract.md, Prevail — webhook: a signed JWT to `postback_url`; [model] posted on
    promotion."""
    url, received = postback_url
    response = http.post(
        "/prevail/session_requests", json=create_body(postback_url=url), headers=auth()
    )
    request_id = response.json()["session"]["request_id"]
    promoted = http.post(f"/_sandbox/prevail/session_requests/{request_id}/promote")
    assert promoted.status_code == 200
    assert promoted.json()["postback"] == {
        "url": url,
        "delivered": True,
        "status": 200,
        "error": None,
    }
    [delivery] = received
    assert delivery["type"] == "application/json"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        claims = jwt.decode(
            delivery["body"]["jwt_payload"],
            KEY,
            algorithms=["HS256"],
            options={"require": ["exp", "slug"]},
        )
    assert claims["slug"] == COMPANY_ID
    assert claims["session"] == promoted.json()["session"]
    assert claims["session"]["state"] == "scheduled"


def test_failed_postback_does_not_fail_the_promotion(http: httpx.Client) -> None:
    # Nothing listens on port 9 (discard) on loopback: the delivery fails and is only reported.
    """api-contract.md, Prevail — webhook: a signed JWT to `postback_url`; [model] posted on
    promotion."""
    body = create_body(postback_url="http://127.0.0.1:9/hook")
    response = http.post("/prevail/session_requests", json=body, headers=auth())
    request_id = response.json()["session"]["request_id"]
    promoted = http.post(f"/_sandbox/prevail/session_requests/{request_id}/promote")
    assert promoted.status_code == 200
    postback = promoted.json()["postback"]
    assert postback["delivered"] is False and postback["error"]
    assert promoted.json()["session"]["state"] == "scheduled"


# -- lists and pagination --------------------------------------------------------------------


def test_list_defaults_to_100_per_page(http: httpx.Client) -> None:
    """api-contract.md, Prevail — GET /sessions: page (1-based), per_page (100, ≤ 1000) → {pagy,
    sessions}."""
    seed(http, sessions=[flat_session(index) for index in range(248)])
    response = http.get("/prevail/sessions", headers=auth())
    body = response.json()
    assert body["pagy"] == {"page": 1, "items": 100, "count": 250, "pages": 3}
    assert len(body["sessions"]) == 100
    third = http.get("/prevail/sessions", params={"page": 3}, headers=auth()).json()
    assert third["pagy"] == {"page": 3, "items": 100, "count": 250, "pages": 3}
    assert len(third["sessions"]) == 50


def test_page_walk_sees_every_session_once_in_creation_order(http: httpx.Client) -> None:
    """api-contract.md, Prevail — GET /sessions: page (1-based), per_page (100, ≤ 1000) → {pagy,
    sessions}."""
    ids = seed(http, sessions=[flat_session(index) for index in range(21)])["sessions"]
    created = create(http)["remote_session_id"]
    walked: list[str] = []
    page = 1
    while True:
        body = http.get(
            "/prevail/sessions", params={"page": page, "per_page": 10}, headers=auth()
        ).json()
        assert body["pagy"]["pages"] == math.ceil(24 / 10)
        walked += [session["remote_session_id"] for session in body["sessions"]]
        if page >= body["pagy"]["pages"]:
            break
        page += 1
    assert walked == [ALVAREZ, EXPERT, *ids, created]


def test_per_page_above_1000_is_clamped(http: httpx.Client) -> None:
    """api-contract.md, Prevail — [model] per_page > 1000 is clamped to 1000 (pagy.items says
    so)."""
    seed(http, sessions=[flat_session(index) for index in range(1100)])
    body = http.get("/prevail/sessions", params={"per_page": 5000}, headers=auth()).json()
    assert body["pagy"] == {"page": 1, "items": 1000, "count": 1102, "pages": 2}
    assert len(body["sessions"]) == 1000


def test_page_past_the_last_is_empty_with_the_same_pagy(http: httpx.Client) -> None:
    """api-contract.md, Prevail — [model] a page past the last is empty."""
    body = http.get("/prevail/sessions", params={"page": 7, "per_page": 1}, headers=auth()).json()
    assert body == {"pagy": {"page": 7, "items": 1, "count": 2, "pages": 2}, "sessions": []}
    huge = http.get("/prevail/sessions", params={"page": 10**30}, headers=auth()).json()
    assert huge["sessions"] == [] and huge["pagy"]["count"] == 2


def test_empty_list_has_zero_pages(http: httpx.Client) -> None:
    """api-contract.md, Prevail — GET /sessions: page (1-based), per_page (100, ≤ 1000) → {pagy,
    sessions}."""
    body = list_all(http, "/prevail/session_requests", state="canceled")
    assert body == {
        "pagy": {"page": 1, "items": 1000, "count": 0, "pages": 0},
        "session_requests": [],
    }


@pytest.mark.parametrize(
    "params, field",
    [
        ({"page": 0}, "page"),
        ({"page": -1}, "page"),
        ({"page": "two"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"page": ""}, "page"),
        ({"per_page": 0}, "per_page"),
        ({"per_page": "ten"}, "per_page"),
        ({"state": "done"}, "state"),
        ({"start_time": "yesterday"}, "start_time"),
        ({"end_time": "inf"}, "end_time"),
    ],
)
@pytest.mark.parametrize("path", ["/prevail/sessions", "/prevail/session_requests"])
def test_bad_list_parameters_are_400(
    http: httpx.Client, path: str, params: dict[str, Any], field: str
) -> None:
    """api-contract.md, Prevail — GET /session_requests: the same list, under `session_requests`."""
    assert_error(http.get(path, params=params, headers=auth()), 400, field)


def test_state_filter(http: httpx.Client) -> None:
    """api-contract.md, Prevail — [model] `?state=` filters."""
    body = list_all(http, state="scheduled")
    assert [session["remote_session_id"] for session in body["sessions"]] == [EXPERT]
    assert body["pagy"]["count"] == 1
    requests = list_all(http, "/prevail/session_requests", state="initial")
    assert [request["request_id"] for request in requests["session_requests"]] == [CHEN_REQUEST]


def test_time_window_uses_each_sessions_own_zone(http: httpx.Client) -> None:
    # 10:00 AM on 2027-03-15 is 14:00Z in New York (EDT) and 17:00Z in Los Angeles (PDT).
    """api-contract.md, Prevail — `?start_time=&end_time=` (epoch) limit the list to a time
    window: the sessions that start after `start_time` and end before `end_time`."""
    new_york = create(
        http,
        remote_session=remote_session(
            start_date="2027-03-15", start_time="10:00 AM", time_zone="Eastern Time (US & Canada)"
        ),
    )
    los_angeles = create(
        http,
        remote_session=remote_session(
            start_date="2027-03-15", start_time="10:00 AM", time_zone="America/Los_Angeles"
        ),
    )
    ny_start = 1805119200  # 2027-03-15T14:00:00Z
    la_start = ny_start + 3 * 3600

    def window(**params: Any) -> list[str]:
        body = list_all(http, **params)
        assert body["pagy"]["count"] == len(body["sessions"])
        return [session["remote_session_id"] for session in body["sessions"]]

    ids = {new_york["remote_session_id"], los_angeles["remote_session_id"]}
    # `end_time` reads a session's end: both new sessions last 2.5 hours; the seeded Alvarez
    # deposition is also 2027-03-15 10:00 AM Eastern, and lasts 3 hours.
    ny_end, la_end = ny_start + 9000, la_start + 9000
    assert set(window(start_time=ny_start, end_time=ny_start + 3 * 3600)) == {
        ALVAREZ,
        new_york["remote_session_id"],
    }
    assert window(start_time=ny_start, end_time=ny_end) == [new_york["remote_session_id"]]
    assert window(start_time=ny_start + 1, end_time=la_end) == [los_angeles["remote_session_id"]]
    assert window(start_time=la_start + 1, end_time=la_end + 3600) == []
    assert ids <= set(window(start_time=ny_start - 60))
    assert los_angeles["remote_session_id"] not in window(end_time=la_end - 1)
    assert window(start_time=la_start, end_time=ny_start) == []


def test_time_window_finds_sessions_whose_local_day_is_not_utcs(http: httpx.Client) -> None:
    """api-contract.md, Prevail — List: the `start_time`/`end_time` window [doc] reads each
    session's start instant, whatever day its zone writes."""
    # 00:30 on 2027-01-02 at UTC+14 is 10:30Z on 2027-01-01; 23:00 on 2027-01-01 at UTC-12 is
    # 11:00Z on 2027-01-02: a window reads instants, whatever day each zone writes.
    ahead = create(http, remote_session=remote_session(
        start_date="2027-01-02", start_time="12:30 AM", time_zone="Pacific/Kiritimati"))
    behind = create(http, remote_session=remote_session(
        start_date="2027-01-01", start_time="11:00 PM", time_zone="Etc/GMT+12"))
    ahead_start = 1798799400  # 2027-01-01T10:30:00Z
    behind_start = ahead_start + 86_400 + 1800  # 2027-01-02T11:00:00Z

    def window(start: int, end: int) -> list[str]:
        return [s["remote_session_id"]
                for s in list_all(http, start_time=start, end_time=end)["sessions"]]

    lasting = 9000  # each lasts 2.5 hours, and `end_time` reads a session's end
    assert window(ahead_start, ahead_start + lasting) == [ahead["remote_session_id"]]
    assert window(behind_start - 60, behind_start + lasting) == [behind["remote_session_id"]]
    assert window(ahead_start + 1, behind_start + lasting - 1) == []


def test_canceled_sessions_stay_in_lists(http: httpx.Client) -> None:
    http.patch(f"/prevail/sessions/{ALVAREZ}/cancel", headers=auth())
    sessions = list_all(http)["sessions"]
    assert [(s["remote_session_id"], s["state"]) for s in sessions] == [
        (ALVAREZ, "canceled"),
        (EXPERT, "scheduled"),
    ]
    assert [s["remote_session_id"] for s in list_all(http, state="canceled")["sessions"]] == [
        ALVAREZ
    ]


# -- one session -------------------------------------------------------------------------


def test_get_one_session(http: httpx.Client) -> None:
    """api-contract.md, Prevail — session fields [doc] and [model] case, invites, deponent, ...,
    updated_at."""
    response = http.get(f"/prevail/sessions/{EXPERT}", headers=auth())
    assert response.status_code == 200
    assert response.json()["session"]["title"] == "Expert witness preparation"


@pytest.mark.parametrize("session_id", ["rs_0000000000000000", CHEN_REQUEST])
def test_unknown_session_is_404(http: httpx.Client, session_id: str) -> None:
    """api-contract.md, Prevail — errors 400, 401, 404, 422, 500; [model] body {error, details}."""
    body = assert_error(
        http.get(f"/prevail/sessions/{session_id}", headers=auth()), 404, "remote_session_id"
    )
    assert body["error"].startswith("Not found")


# -- edit ----------------------------------------------------------------------------------


def test_edit_changes_fields_and_updated_at(http: httpx.Client, server_clock: Clock) -> None:
    """api-contract.md, Prevail — edit: PATCH {remote_session: subset} → 200 {sessions:
    [session]}."""
    session = create(http)
    server_clock.now += 60
    edit = {
        "remote_session": {
            "title": "Deposition of M. Okafor (day 2)",
            "case": "Okafor v. Lakeside Clinic (consolidated)",
            "estimated_duration": 4,
        }
    }
    response = http.patch(
        f"/prevail/sessions/{session['remote_session_id']}", json=edit, headers=auth()
    )
    assert response.status_code == 200, response.text
    [edited] = response.json()["sessions"]
    assert edited["title"] == "Deposition of M. Okafor (day 2)"
    assert edited["case"] == "Okafor v. Lakeside Clinic (consolidated)"
    assert edited["estimated_duration"] == 4
    assert edited["created_at"] == session["created_at"]
    assert edited["updated_at"] > session["updated_at"]
    assert (
        http.get(f"/prevail/sessions/{session['remote_session_id']}", headers=auth()).json()[
            "session"
        ]
        == edited
    )


def test_edit_that_changes_nothing_keeps_updated_at(
    http: httpx.Client, server_clock: Clock
) -> None:
    """api-contract.md, Prevail — edit: PATCH {remote_session: subset} → 200 {sessions:
    [session]}."""
    session = create(http)
    server_clock.now += 60
    same = {"remote_session": {"title": session["title"], "invites": ["clerk@court.test"]}}
    response = http.patch(
        f"/prevail/sessions/{session['remote_session_id']}", json=same, headers=auth()
    )
    assert response.status_code == 200
    assert response.json()["sessions"] == [session]


def test_start_fields_must_change_together(http: httpx.Client) -> None:
    """api-contract.md, Prevail — edit: start_date, start_time and time_zone are sent together;
    [model] breaking an edit rule → 422."""
    response = http.patch(
        f"/prevail/sessions/{ALVAREZ}",
        json={"remote_session": {"start_date": "2027-03-16"}},
        headers=auth(),
    )
    error = assert_error(response, 422)
    assert set(error["details"]) == {"start_time", "time_zone"}
    moved = {"start_date": "2027-03-16", "start_time": "01:00 PM", "time_zone": "Europe/London"}
    response = http.patch(
        f"/prevail/sessions/{ALVAREZ}", json={"remote_session": moved}, headers=auth()
    )
    assert response.status_code == 200
    assert {k: response.json()["sessions"][0][k] for k in moved} == moved


def test_edit_adds_invitees_and_never_removes_them(http: httpx.Client) -> None:
    """api-contract.md, Prevail — edit: invitees added, never removed (removing = cancel, schedule
    anew)."""
    session_id = create(http)["remote_session_id"]
    edit = {
        "remote_session": {
            "invites": [
                {"email": "COUNSEL@okafor-law.test", "access_level": "host"},
                "clerk@court.test",  # a bare email keeps the existing host level
                "expert@forensics.test",
            ]
        }
    }
    response = http.patch(f"/prevail/sessions/{session_id}", json=edit, headers=auth())
    assert response.json()["sessions"][0]["invites"] == [
        {"email": "counsel@okafor-law.test", "access_level": "host"},
        {"email": "clerk@court.test", "access_level": "host"},
        {"email": "expert@forensics.test", "access_level": "participant"},
    ]
    shorter = {"remote_session": {"invites": []}}
    response = http.patch(f"/prevail/sessions/{session_id}", json=shorter, headers=auth())
    assert len(response.json()["sessions"][0]["invites"]) == 3


@pytest.mark.parametrize(
    "body, field",
    [
        ({"remote_session": {"deponent": {"name": "X"}}}, "remote_session.deponent"),
        ({"remote_session": {"session_details": {}}}, "remote_session.session_details"),
        ({"remote_session": {"state": "active"}}, "remote_session.state"),
        ({"deponent": {"name": "X"}}, "deponent"),
        ({}, "remote_session"),
        ({"remote_session": "title"}, "remote_session"),
        ({"remote_session": {"title": 5}}, "title"),
        ({"remote_session": {"invites": {"email": "a@b.test"}}}, "invites"),
    ],
)
def test_edit_shape_errors_are_400(http: httpx.Client, body: Any, field: str) -> None:
    response = http.patch(f"/prevail/sessions/{ALVAREZ}", json=body, headers=auth())
    assert_error(response, 400, field)


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"title": None}, "title"),
        ({"title": ""}, "title"),
        ({"estimated_duration": 30}, "estimated_duration"),
        ({"start_date": "2027-03-16", "start_time": "01:00 PM", "time_zone": "Moon"}, "time_zone"),
        ({"invites": [{"email": "a@b.test", "access_level": "admin"}]}, "invites[0].access_level"),
    ],
)
def test_edit_value_errors_are_422(http: httpx.Client, fields: dict[str, Any], field: str) -> None:
    """api-contract.md, Prevail — [model] breaking an edit rule → 422."""
    before = http.get(f"/prevail/sessions/{ALVAREZ}", headers=auth()).json()
    response = http.patch(
        f"/prevail/sessions/{ALVAREZ}", json={"remote_session": fields}, headers=auth()
    )
    assert_error(response, 422, field)
    assert http.get(f"/prevail/sessions/{ALVAREZ}", headers=auth()).json() == before


@pytest.mark.parametrize("state", ["canceled", "active"])
def test_only_scheduled_or_ready_sessions_can_be_edited(http: httpx.Client, state: str) -> None:
    """api-contract.md, Prevail — edit: only in state `scheduled` or `ready`; [model] breaking an
    edit rule → 422."""
    [session_id] = seed(http, sessions=[flat_session(1, state=state)])["sessions"]
    response = http.patch(
        f"/prevail/sessions/{session_id}",
        json={"remote_session": {"title": "x"}},
        headers=auth(),
    )
    assert_error(response, 422, "state")


def test_scheduled_session_can_be_edited(http: httpx.Client) -> None:
    """api-contract.md, Prevail — edit: only in state `scheduled` or `ready`."""
    response = http.patch(
        f"/prevail/sessions/{EXPERT}",
        json={"remote_session": {"title": "Prep"}},
        headers=auth(),
    )
    assert response.status_code == 200


def test_edit_unknown_session_is_404(http: httpx.Client) -> None:
    response = http.patch(
        "/prevail/sessions/rs_0000000000000000",
        json={"remote_session": {"title": "x"}},
        headers=auth(),
    )
    assert_error(response, 404, "remote_session_id")


# -- cancel --------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "?cancel_without_email=true", "?cancel_without_email=false"])
def test_cancel(http: httpx.Client, server_clock: Clock, query: str) -> None:
    """api-contract.md, Prevail — cancel: PATCH .../cancel?cancel_without_email → 200 {messages},
    `canceled`."""
    session = create(http)
    server_clock.now += 5
    response = http.patch(
        f"/prevail/sessions/{session['remote_session_id']}/cancel{query}", headers=auth()
    )
    assert response.status_code == 200
    assert response.json() == {"messages": "Session successfully canceled."}
    after = http.get(f"/prevail/sessions/{session['remote_session_id']}", headers=auth())
    assert after.json()["session"]["state"] == "canceled"
    assert after.json()["session"]["updated_at"] > session["updated_at"]


def test_scheduled_session_can_be_canceled(http: httpx.Client) -> None:
    assert http.patch(f"/prevail/sessions/{EXPERT}/cancel", headers=auth()).status_code == 200


@pytest.mark.parametrize("state", ["canceled", "active"])
def test_cancel_in_other_states_is_422(http: httpx.Client, state: str) -> None:
    """api-contract.md, Prevail — cancel: allowed in `initial`, `scheduled`, `ready` only."""
    [session_id] = seed(http, sessions=[flat_session(1, state=state)])["sessions"]
    response = http.patch(f"/prevail/sessions/{session_id}/cancel", headers=auth())
    assert_error(response, 422, "state")
    assert (
        http.get(f"/prevail/sessions/{session_id}", headers=auth()).json()["session"]["state"]
        == state
    )


def test_cancel_a_pending_request_by_its_request_id(http: httpx.Client) -> None:
    """api-contract.md, Prevail — cancel: allowed in `initial`, `scheduled`, `ready` only."""
    response = http.patch(f"/prevail/sessions/{CHEN_REQUEST}/cancel", headers=auth())
    assert response.status_code == 200
    [request] = list_all(http, "/prevail/session_requests")["session_requests"]
    assert request["session_state"] == "canceled"
    promote = http.post(f"/_sandbox/prevail/session_requests/{CHEN_REQUEST}/promote")
    assert_error(promote, 422, "state")


def test_a_scheduled_request_is_canceled_through_its_session(http: httpx.Client) -> None:
    http.post(f"/_sandbox/prevail/session_requests/{CHEN_REQUEST}/promote")
    response = http.patch(f"/prevail/sessions/{CHEN_REQUEST}/cancel", headers=auth())
    error = assert_error(response, 422, "state")
    assert "rs_" in error["error"]


@pytest.mark.parametrize(
    "query, body, field",
    [
        ("?cancel_without_email=yes", None, "cancel_without_email"),
        ("", {"reason": "moved"}, "reason"),
        ("", [1], "body"),
    ],
)
def test_cancel_bad_input_is_400(http: httpx.Client, query: str, body: Any, field: str) -> None:
    """api-contract.md, Prevail — cancel: PATCH .../cancel?cancel_without_email → 200 {messages},
    `canceled`."""
    response = http.patch(f"/prevail/sessions/{ALVAREZ}/cancel{query}", json=body, headers=auth())
    assert_error(response, 400, field)
    assert (
        http.get(f"/prevail/sessions/{ALVAREZ}", headers=auth()).json()["session"]["state"]
        == "ready"
    )


def test_cancel_unknown_session_is_404(http: httpx.Client) -> None:
    response = http.patch("/prevail/sessions/rs_0000000000000000/cancel", headers=auth())
    assert_error(response, 404, "remote_session_id")


# -- methods and paths ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/prevail/sessions",
        f"/prevail/sessions/{ALVAREZ}",
        f"/prevail/sessions/{ALVAREZ}/cancel",
        "/prevail/session_requests",
        "/prevail/no/such/path",
    ],
)
def test_delete_is_405_everywhere(http: httpx.Client, path: str) -> None:
    """api-contract.md, Prevail — methods GET, POST, PATCH only; no DELETE (cancel is a PATCH)."""
    response = http.delete(path, headers=auth())
    body = assert_error(response, 405)
    assert body["error"].startswith("Method not allowed")
    assert "DELETE" not in response.headers["allow"]
    assert http.get(f"/prevail/sessions/{ALVAREZ}", headers=auth()).status_code == 200


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("PUT", "/prevail/sessions", {"GET", "POST"}),
        ("POST", f"/prevail/sessions/{ALVAREZ}", {"GET", "PATCH"}),
        ("GET", f"/prevail/sessions/{ALVAREZ}/cancel", {"PATCH"}),
    ],
)
def test_other_methods_are_405_with_allow(
    http: httpx.Client, method: str, path: str, allowed: set[str]
) -> None:
    """api-contract.md, Prevail — methods GET, POST, PATCH only; no DELETE (cancel is a PATCH)."""
    response = http.request(method, path, headers=auth())
    assert_error(response, 405)
    assert allowed <= {part.strip() for part in response.headers["allow"].split(",")}


@pytest.mark.parametrize("path", ["/prevail/nothing", "/prevail/sessions/", "/prevail/"])
def test_unknown_paths_are_404_in_prevails_shape(http: httpx.Client, path: str) -> None:
    """api-contract.md, Prevail — errors 400, 401, 404, 422, 500; [model] body {error, details}."""
    response = http.get(path, headers=auth())
    assert_error(response, 404)


def test_unexpected_failure_is_prevails_transient_500(http: httpx.Client, sandbox: Sandbox) -> None:
    """api-contract.md, Prevail — 500 is transient: wait a few moments and retry."""
    sandbox.store.close()  # every store call now fails, as a broken database would
    response = http.get("/prevail/sessions", headers=auth())
    body = assert_error(response, 500)
    assert "retry" in body["error"]


# -- seeding and persistence -----------------------------------------------------------------


def test_demo_seed_is_unmanaged(http: httpx.Client) -> None:
    """api-contract.md, The sandbox — seed data: unmanaged objects and Previsto assignments."""
    sessions = list_all(http)["sessions"]
    assert [(s["title"], s["state"]) for s in sessions] == [
        ("Deposition of R. Alvarez", "ready"),
        ("Expert witness preparation", "scheduled"),
    ]
    [request] = list_all(http, "/prevail/session_requests")["session_requests"]
    assert request["session_state"] == "initial"
    for item in [*sessions, request]:
        assert item["start_date"].startswith("2027")
        assert "reconciler-key:" not in (item["session_details"].get("additional_details") or "")


@pytest.mark.parametrize("sandbox_settings", [SandboxSettings(admin=True, seed=False)])
def test_no_seed_means_empty(http: httpx.Client) -> None:
    assert list_all(http)["pagy"]["count"] == 0
    assert list_all(http, "/prevail/session_requests")["pagy"]["count"] == 0


def test_restart_keeps_objects_and_seeds_once(tmp_path: Path) -> None:
    """api-contract.md, The sandbox — `--db` is a SQLite file that keeps the state across
    restarts."""
    db = str(tmp_path / "sandbox.db")
    first = create_app(SandboxSettings(db_path=db, admin=True))
    with running(first) as origin, httpx.Client(base_url=origin) as http:
        created = create(http)
        http.patch(f"/prevail/sessions/{ALVAREZ}/cancel", headers=auth())
    first.store.close()
    second = create_app(SandboxSettings(db_path=db, admin=True))
    with running(second) as origin, httpx.Client(base_url=origin) as http:
        sessions = list_all(http)["sessions"]
        requests = list_all(http, "/prevail/session_requests")["session_requests"]
    assert [s["remote_session_id"] for s in sessions] == [
        ALVAREZ,
        EXPERT,
        created["remote_session_id"],
    ]
    assert sessions[0]["state"] == "canceled"
    assert sessions[2] == created
    assert len(requests) == 1


def test_admin_seed_takes_both_shapes_and_fills_server_fields(http: httpx.Client) -> None:
    given = {
        **flat_session(1),
        "remote_session_id": "rs_given",
        "state": "active",
        "created_at": "2026-01-02T03:04:05.000Z",
        "invites": ["x@firm.test"],
    }
    ids = seed(
        http,
        sessions=[create_body(), given, flat_session(2)],
        session_requests=[create_body(), flat_session(3)],
    )
    assert ids["sessions"][1] == "rs_given"
    by_id = {s["remote_session_id"]: s for s in list_all(http)["sessions"]}
    from_request = by_id[ids["sessions"][0]]
    assert from_request["state"] == "ready"
    assert from_request["session_details"]["additional_details"].endswith("okafor-1")
    kept = by_id["rs_given"]
    assert kept["state"] == "active"
    assert kept["created_at"] == "2026-01-02T03:04:05.000Z"
    assert kept["session_url"] == "https://sandbox.prevail.test/s/rs_given"
    assert kept["invites"] == [{"email": "x@firm.test", "access_level": "participant"}]
    assert kept["transcript_status"] == "not_started"
    requests = list_all(http, "/prevail/session_requests")["session_requests"]
    assert [r["request_id"] for r in requests[1:]] == ids["session_requests"]
    assert all(
        r["session_state"] == "initial" and r["remote_session_id"] is None for r in requests
    )


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"sessions": [flat_session(1), {"title": "only a title"}]}, 422, "sessions[1].start_date"),
        ({"sessions": [flat_session(1, colour="red")]}, 400, "sessions[0].colour"),
        ({"sessions": [flat_session(1, state="done")]}, 422, "sessions[0].state"),
        ({"sessions": [flat_session(1, remote_session_id=ALVAREZ)]}, 422, "remote_session_id"),
        ({"sessions": "all"}, 400, "sessions"),
        ({"people": []}, 400, "people"),
    ],
)
def test_admin_seed_rejects_bad_entries_all_or_nothing(
    http: httpx.Client, body: Any, status: int, field: str
) -> None:
    response = http.post("/_sandbox/prevail/seed", json=body)
    assert_error(response, status, field)
    assert list_all(http)["pagy"]["count"] == 2


def test_ten_thousand_sessions_seed_and_page_completely(http: httpx.Client) -> None:
    seed(http, sessions=[flat_session(index) for index in range(10_000)])
    seen = 0
    for page in range(1, 12):
        body = http.get(
            "/prevail/sessions", params={"page": page, "per_page": 1000}, headers=auth()
        ).json()
        seen += len(body["sessions"])
    assert seen == 10_002


# -- faults --------------------------------------------------------------------------------


def test_status_fault_answers_in_prevails_shape_with_retry_after(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    """api-contract.md, The sandbox — fault: status storms (429/5xx)."""
    sandbox.faults.add(
        Fault(kind="status", path="^/prevail/sessions$", status=429, times=2, retry_after=3)
    )
    for _ in range(2):
        response = http.post("/prevail/sessions", json=create_body(), headers=auth())
        assert_error(response, 429)
        assert response.headers["retry-after"] == "3"
    assert http.post("/prevail/sessions", json=create_body(), headers=auth()).status_code == 201
    assert list_all(http)["pagy"]["count"] == 3


def test_server_error_fault_is_prevails_500(http: httpx.Client, sandbox: Sandbox) -> None:
    """api-contract.md, The sandbox — fault: status storms (429/5xx)."""
    sandbox.faults.add(Fault(kind="status", path="^/prevail/sessions/", status=500))
    response = http.get(f"/prevail/sessions/{ALVAREZ}", headers=auth())
    assert_error(response, 500)


def test_drop_fault_stores_the_write_but_loses_the_response(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    """api-contract.md, The sandbox — fault: commit-then-drop (stored, the response lost)."""
    sandbox.faults.add(Fault(kind="drop", path="^/prevail/sessions$", method="POST"))
    with pytest.raises(httpx.HTTPError):
        http.post("/prevail/sessions", json=create_body(), headers=auth())
    sessions = list_all(http)["sessions"]
    assert len(sessions) == 3
    assert sessions[-1]["title"] == "Deposition of M. Okafor"


def test_reset_fault_loses_the_request(http: httpx.Client, sandbox: Sandbox) -> None:
    """api-contract.md, The sandbox — fault: connection reset."""
    sandbox.faults.add(Fault(kind="reset", path="^/prevail/sessions$", method="POST"))
    with pytest.raises(httpx.HTTPError):
        http.post("/prevail/sessions", json=create_body(), headers=auth())
    assert list_all(http)["pagy"]["count"] == 2


def test_malformed_fault_cuts_the_json(http: httpx.Client, sandbox: Sandbox) -> None:
    """api-contract.md, The sandbox — fault: malformed JSON."""
    sandbox.faults.add(Fault(kind="malformed", path="^/prevail/sessions$", method="GET"))
    response = http.get("/prevail/sessions", headers=auth())
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert http.get("/prevail/sessions", headers=auth()).json()["pagy"]["count"] == 2


def test_latency_fault_delays_but_answers(http: httpx.Client, sandbox: Sandbox) -> None:
    """api-contract.md, The sandbox — fault: latency."""
    sandbox.faults.add(Fault(kind="latency", path="^/prevail/sessions$", seconds=0.3))
    started = time.perf_counter()
    response = http.get("/prevail/sessions", headers=auth())
    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_churn_shifts_the_list_between_page_reads(http: httpx.Client, sandbox: Sandbox) -> None:
    """api-contract.md, The sandbox — fault: a page that changes between two page reads."""
    sandbox.faults.add(Fault(kind="churn", path="^/prevail/sessions$", method="GET"))
    first = http.get("/prevail/sessions", params={"per_page": 1}, headers=auth()).json()
    second = http.get("/prevail/sessions", params={"per_page": 1, "page": 2}, headers=auth()).json()
    assert first["pagy"]["count"] == 2 and second["pagy"]["count"] == 3
    # The new object sorts first, so page 2 repeats what page 1 showed.
    assert second["sessions"] == first["sessions"]
    head = list_all(http)["sessions"][0]
    assert head["remote_session_id"] not in (ALVAREZ, EXPERT)
    assert "reconciler-key:" not in head["session_details"]["additional_details"]
    assert "_head" not in head
    # The churned object behaves like any other session, and keeps its place when edited.
    edited = http.patch(
        f"/prevail/sessions/{head['remote_session_id']}",
        json={"remote_session": {"title": "Walk-in (renamed)"}},
        headers=auth(),
    )
    assert edited.status_code == 200 and "_head" not in edited.json()["sessions"][0]
    assert list_all(http)["sessions"][0]["title"] == "Walk-in (renamed)"
