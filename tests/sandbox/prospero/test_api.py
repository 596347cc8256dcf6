"""The Prospero emulator over real HTTP: auth, events, merge patch, lists, webhooks, faults, admin.

Every test talks to a uvicorn-served sandbox on loopback and asserts what a client sees: status,
body, headers, and the state that later requests observe.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.sandbox import SandboxSettings, create_app
from reconciler.sandbox.app import Sandbox
from reconciler.sandbox.faults import Fault
from reconciler.sandbox.server import running

TOKEN = "sandbox-prospero-token"
REFRESH = "sandbox-prospero-refresh"
EMAIL = "sandbox@prospero.test"
PASSWORD = "sandbox-prospero-password"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SEEDED_TITLES = ["Quarterly all-hands", "Board meeting", "Spring fair"]
# Later than the real time the fixture's demo data was seeded at, so "newest" is well defined.
NOON = datetime(2031, 6, 1, 12, 0, tzinfo=UTC).timestamp()


def event(**fields: Any) -> dict[str, Any]:
    return {
        "title": "Deposition prep",
        "start": "2027-05-01T10:00:00Z",
        "end": "2027-05-01T11:00:00Z",
        **fields,
    }


class Clock:
    """A settable clock installed as the sandbox's `context.clock`."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def api(sandbox_url: str) -> Iterator[httpx.Client]:
    """A client at the Prospero base URL with the fixed sandbox access token."""
    with httpx.Client(base_url=f"{sandbox_url}/prospero/", headers=AUTH, timeout=30) as client:
        yield client


@pytest.fixture
def anonymous(sandbox_url: str) -> Iterator[httpx.Client]:
    """A client at the Prospero base URL without credentials (it keeps cookies it is sent)."""
    with httpx.Client(base_url=f"{sandbox_url}/prospero/", timeout=30) as client:
        yield client


@pytest.fixture
def server_clock(sandbox: Sandbox) -> Clock:
    server_clock = Clock(NOON)
    sandbox.context.clock = server_clock
    return server_clock


def create(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = api.post("events", json={"event": event(**fields)})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()["event"]
    return created


def seed(http: httpx.Client, events: list[dict[str, Any]]) -> list[str]:
    response = http.post("/_sandbox/prospero/seed", json={"events": events})
    assert response.status_code == 201, response.text
    ids: list[str] = response.json()["ids"]
    return ids


def titles(response: httpx.Response) -> list[str]:
    return [item["title"] for item in response.json()["events"]]


def is_uuid1(value: str) -> bool:
    return uuid.UUID(value).version == 1 and str(uuid.UUID(value)) == value


def assert_error(response: httpx.Response, status: int, starts_with: str = "") -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"status", "error"}
    assert body["status"] == status
    assert body["error"].startswith(starts_with), body["error"]


# -- health and authentication ------------------------------------------------------------------


def test_health_needs_no_credentials(anonymous: httpx.Client) -> None:
    """api-contract.md, Prospero — health: GET / → 200 `Hello, Prospero!`."""
    response = anonymous.get("")
    assert response.status_code == 200
    assert response.text == "Hello, Prospero!"
    assert response.headers["content-type"].startswith("text/plain")


def test_login_sets_both_tokens_as_http_only_cookies(anonymous: httpx.Client) -> None:
    """api-contract.md, The sandbox — Prospero: `sandbox@prospero.test` /
    `sandbox-prospero-password`; Prospero — POST /auth/login {email, password} → 200, both tokens in
    Set-Cookie."""
    response = anonymous.post("auth/login", json={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 200
    user = response.json()["user"]
    assert user["email"] == EMAIL and is_uuid1(user["id"]) and is_uuid1(user["orgId"])
    cookies = {value.split("=", 1)[0]: value for value in response.headers.get_list("set-cookie")}
    assert set(cookies) == {"access_token", "refresh_token"}
    assert "HttpOnly" in cookies["access_token"] and "Path=/prospero" in cookies["access_token"]
    assert "Max-Age=3600" in cookies["access_token"]
    assert "Max-Age=604800" in cookies["refresh_token"]
    # The cookie jar now carries the access token: the client is logged in.
    assert anonymous.get("auth/whoami").json() == {"user": user}


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": EMAIL, "password": "wrong"},
        {"email": "someone@prospero.test", "password": PASSWORD},
    ],
    ids=["bad-password", "unknown-email"],
)
def test_login_with_bad_credentials_is_401(
    anonymous: httpx.Client, credentials: dict[str, str]
) -> None:
    """api-contract.md, Prospero — POST /auth/login {email, password} → 200, both tokens in
    Set-Cookie."""
    response = anonymous.post("auth/login", json=credentials)
    assert_error(response, 401, "Invalid email or password")
    assert "set-cookie" not in response.headers


def test_login_email_is_case_insensitive(anonymous: httpx.Client) -> None:
    response = anonymous.post("auth/login", json={"email": EMAIL.upper(), "password": PASSWORD})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"email": EMAIL}, 400, "password: is required"),
        ({"email": EMAIL, "password": PASSWORD, "otp": "1"}, 400, "otp: unknown field"),
        ({"email": 1, "password": PASSWORD}, 400, "email: is required"),
        ([EMAIL, PASSWORD], 400, "body must be a JSON object"),
    ],
)
def test_login_body_validation(
    anonymous: httpx.Client, body: Any, status: int, message: str
) -> None:
    """api-contract.md, Prospero — POST /auth/login {email, password} → 200, both tokens in
    Set-Cookie."""
    assert_error(anonymous.post("auth/login", json=body), status, message)


def test_whoami_with_bearer_and_with_cookie(anonymous: httpx.Client) -> None:
    """api-contract.md, The sandbox — Prospero: access token `sandbox-prospero-token` never expires;
    Prospero — every request sends the access token in the `Cookie` header."""
    by_header = anonymous.get("auth/whoami", headers=AUTH)
    by_cookie = anonymous.get("auth/whoami", headers={"Cookie": f"access_token={TOKEN}"})
    assert by_header.status_code == by_cookie.status_code == 200
    assert by_header.json() == by_cookie.json()
    assert set(by_header.json()["user"]) == {"id", "email", "name", "orgId", "scopes"}
    assert by_header.json()["user"]["scopes"] == {"default": "write"}


def test_the_read_only_user_reads_and_is_denied_every_write(anonymous: httpx.Client) -> None:
    """api-contract.md, Prospero — Permissions: a user whose level is below what an operation
    needs is denied: 403 (permission), not 401 (credentials). The emulator's read-only user
    lists events and is refused creates, updates and deletes; its `whoami` shows its scopes."""
    login = anonymous.post("auth/login", json={"email": "readonly@prospero.test",
                                               "password": "sandbox-prospero-readonly-password"})
    assert login.status_code == 200
    assert login.json()["user"]["scopes"] == {"default": "read"}
    assert anonymous.get("auth/whoami").json() == login.json()
    events = anonymous.get("events")
    assert events.status_code == 200
    some = events.json()["events"][0]["id"]
    event = {"title": "T", "start": "2030-01-01T10:00:00Z", "end": "2030-01-01T11:00:00Z"}
    for response in (
        anonymous.post("events", json={"event": event}),
        anonymous.patch(f"events/{some}", json={"title": "U"}),
        anonymous.request("DELETE", "events", json={"ids": [some]}),
    ):
        assert response.status_code == 403
        assert response.json() == {"status": 403, "error": "Insufficient permissions: your "
                                   "level for entities.events is read, this operation needs "
                                   "write"}
    assert anonymous.get(f"events/{some}").json()["event"]["title"] != "U"


PROTECTED = [
    ("GET", "auth/whoami"),
    ("GET", "events"),
    ("POST", "events"),
    ("DELETE", "events"),
    ("GET", "events/archive"),
    ("GET", "events/0d9e7a3c-9b1d-11ef-8c3a-0242ac120002"),
    ("PATCH", "events/0d9e7a3c-9b1d-11ef-8c3a-0242ac120002"),
    ("DELETE", "events/0d9e7a3c-9b1d-11ef-8c3a-0242ac120002"),
    ("GET", "webhooks"),
    ("POST", "webhooks"),
    ("DELETE", "webhooks/0d9e7a3c-9b1d-11ef-8c3a-0242ac120002"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_api_route_needs_an_access_token(
    anonymous: httpx.Client, method: str, path: str
) -> None:
    """api-contract.md, Prospero — every request sends the access token in the `Cookie` header;
    errors {status, error}: 400, 401, 403, 404, 409, 422, 429, 500."""
    response = anonymous.request(method, path, json={})
    assert_error(response, 401, "Missing access token")
    assert response.headers["www-authenticate"] == 'Bearer realm="prospero"'


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"Authorization": "Bearer not-a-token"}, "Invalid access token"),
        ({"Cookie": "access_token=not-a-token"}, "Invalid access token"),
        ({"Authorization": f"Basic {TOKEN}"}, "Authorization must be 'Bearer"),
        ({"Authorization": f"Bearer {REFRESH}"}, "Invalid access token"),
    ],
    ids=["unknown-bearer", "unknown-cookie", "wrong-scheme", "refresh-token-as-access"],
)
def test_bad_access_tokens_are_401(
    anonymous: httpx.Client, headers: dict[str, str], message: str
) -> None:
    """api-contract.md, Prospero — every request sends the access token in the `Cookie` header."""
    response = anonymous.get("events", headers=headers)
    assert_error(response, 401, message)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_access_token_expires_after_its_ttl(anonymous: httpx.Client, server_clock: Clock) -> None:
    """api-contract.md, The sandbox — Prospero: access token `sandbox-prospero-token` never expires;
    Prospero — the access token lasts 1 hour, then 401."""
    login = anonymous.post("auth/login", json={"email": EMAIL, "password": PASSWORD})
    token = login.cookies["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    server_clock.advance(3599)
    assert anonymous.get("events", headers=bearer).status_code == 200
    server_clock.advance(2)
    assert_error(anonymous.get("events", headers=bearer), 401, "Access token expired")
    # The documented fixed sandbox token never expires.
    assert anonymous.get("events", headers=AUTH).status_code == 200


def test_token_lifetimes_follow_the_settings(tmp_path: Path) -> None:
    """api-contract.md, Prospero — [model] cookie names; Bearer accepted too; TTLs configurable."""
    settings = SandboxSettings(
        db_path=str(tmp_path / "ttl.db"),
        prospero_access_token_ttl=60,
        prospero_refresh_token_ttl=120,
    )
    sandbox = create_app(settings)
    server_clock = Clock(NOON)
    sandbox.context.clock = server_clock
    with running(sandbox) as origin, httpx.Client(base_url=f"{origin}/prospero/") as client:
        login = client.post("auth/login", json={"email": EMAIL, "password": PASSWORD})
        assert "Max-Age=60" in login.headers.get_list("set-cookie")[0]
        assert "Max-Age=120" in login.headers.get_list("set-cookie")[1]
        server_clock.advance(61)
        assert_error(client.get("auth/whoami"), 401, "Access token expired")
        assert client.get("auth/refresh").status_code == 200
        assert client.get("auth/whoami").status_code == 200
        server_clock.advance(60)
        assert_error(client.get("auth/refresh"), 400, "Unable to verify refresh token")


def test_refresh_sets_a_new_working_access_token(anonymous: httpx.Client) -> None:
    """api-contract.md, The sandbox — Prospero: refresh token `sandbox-prospero-refresh`; Prospero —
    GET /auth/refresh with the refresh cookie → a new access token."""
    response = anonymous.get("auth/refresh", headers={"Cookie": f"refresh_token={REFRESH}"})
    assert response.status_code == 200
    assert response.json()["user"]["email"] == EMAIL
    (cookie,) = response.headers.get_list("set-cookie")
    assert cookie.startswith("access_token=") and "HttpOnly" in cookie
    token = response.cookies["access_token"]
    assert token != TOKEN
    assert anonymous.get("auth/whoami", headers={"Authorization": f"Bearer {token}"}).is_success


@pytest.mark.parametrize(
    "headers",
    [{}, {"Cookie": "refresh_token=unknown"}, {"Cookie": f"refresh_token={TOKEN}"}],
    ids=["missing", "unknown", "access-token-instead"],
)
def test_refresh_without_a_valid_refresh_token_is_400(
    anonymous: httpx.Client, headers: dict[str, str]
) -> None:
    """api-contract.md, Prospero — the refresh token lasts 7 days; then 400 "Unable to verify
    refresh token"."""
    response = anonymous.get("auth/refresh", headers=headers)
    assert_error(response, 400, "Unable to verify refresh token")


def test_refresh_token_expires_after_seven_days(
    anonymous: httpx.Client, server_clock: Clock
) -> None:
    """api-contract.md, Prospero — the refresh token lasts 7 days; then 400 "Unable to verify
    refresh token"."""
    anonymous.post("auth/login", json={"email": EMAIL, "password": PASSWORD})
    server_clock.advance(7 * 86400 - 1)
    assert anonymous.get("auth/refresh").status_code == 200
    server_clock.advance(2)
    assert_error(anonymous.get("auth/refresh"), 400, "Unable to verify refresh token")


def test_admin_route_expires_a_given_token(http: httpx.Client, anonymous: httpx.Client) -> None:
    login = anonymous.post("auth/login", json={"email": EMAIL, "password": PASSWORD})
    token = login.cookies["access_token"]
    expired = http.post("/_sandbox/prospero/tokens/expire", json={"token": token})
    assert expired.status_code == 204
    assert_error(anonymous.get("auth/whoami"), 401, "Access token expired")
    unknown = http.post("/_sandbox/prospero/tokens/expire", json={"token": "nope"})
    assert_error(unknown, 404, "Token not found")


# -- seed data and persistence --------------------------------------------------------------------


def test_demo_org_is_seeded_with_unmanaged_events_and_one_archived(api: httpx.Client) -> None:
    """api-contract.md, The sandbox — seed data: unmanaged objects and Previsto assignments."""
    listed = api.get("events")
    assert listed.status_code == 200
    assert titles(listed) == SEEDED_TITLES
    assert listed.json()["total"] == 3
    for item in listed.json()["events"]:
        assert "reconciler_key" not in item.get("customFields", {})
        assert "managed_by" not in item.get("customFields", {})
        assert item["start"].startswith("2027-")
    board, fair = listed.json()["events"][1:]
    assert board["status"] == 1
    assert fair["location"]["name"] and fair["allDay"] is True
    archived = api.get("events/archive").json()
    assert archived["total"] == 1 and "archivedAt" in archived["events"][0]


def test_seeding_is_idempotent_and_everything_survives_a_restart(tmp_path: Path) -> None:
    """api-contract.md, The sandbox — `--db` is a SQLite file that keeps the state across
    restarts."""
    db = str(tmp_path / "sandbox.db")
    first = create_app(SandboxSettings(db_path=db))
    with running(first) as origin, httpx.Client(base_url=f"{origin}/prospero/") as client:
        login = client.post("auth/login", json={"email": EMAIL, "password": PASSWORD})
        token = login.cookies["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        created = client.post("events", json={"event": event()}, headers=bearer).json()["event"]
        hook = client.post(
            "webhooks", json={"url": "https://h.test/x", "events": ["event.created"]},
            headers=bearer,
        ).json()["webhook"]
    first.store.close()

    second = create_app(SandboxSettings(db_path=db))
    with running(second) as origin, httpx.Client(base_url=f"{origin}/prospero/") as client:
        bearer = {"Authorization": f"Bearer {token}"}
        listed = client.get("events", headers=bearer)
        assert listed.status_code == 200  # the access token was persisted too
        assert titles(listed) == [*SEEDED_TITLES, "Deposition prep"]
        assert client.get(f"events/{created['id']}", headers=bearer).json()["event"] == created
        assert client.get("events/archive", headers=bearer).json()["total"] == 1
        assert client.get("webhooks", headers=bearer).json()["webhooks"] == [hook]


def test_without_seeding_the_account_exists_but_no_events(tmp_path: Path) -> None:
    sandbox = create_app(SandboxSettings(seed=False))
    with running(sandbox) as origin, httpx.Client(base_url=f"{origin}/prospero/") as client:
        assert client.get("events", headers=AUTH).json() == {"events": [], "total": 0}
        login = client.post("auth/login", json={"email": EMAIL, "password": PASSWORD})
        assert login.status_code == 200


# -- create -----------------------------------------------------------------------------------


def test_create_one_event_returns_its_full_state(api: httpx.Client, server_clock: Clock) -> None:
    """api-contract.md, Prospero — identifiers are v1 UUIDs; camelCase; one entity wrapped {event},
    a list {events}."""
    response = api.post("events", json={"event": event(customFields={"reconciler_key": "k1"})})
    assert response.status_code == 201
    created = response.json()["event"]
    assert is_uuid1(created["id"])
    assert created["createdAt"] == created["lastUpdatedAt"] == "2031-06-01T12:00:00Z"
    assert created["status"] == 0
    assert created["customFields"] == {"reconciler_key": "k1"}
    # Optional fields that were not set are absent, not null.
    for absent in ("details", "allDay", "isDraft", "flagged", "location", "capacity"):
        assert absent not in created
    assert response.headers["location"] == f"/prospero/events/{created['id']}"
    assert api.get(f"events/{created['id']}").json() == {"event": created}


def test_create_with_every_field(api: httpx.Client) -> None:
    """api-contract.md, Prospero — POST /events {event} → 201 {event}, full state with the new id;
    fields: title, details, start, end, allDay, isDraft, flagged, location."""
    fields = {
        "details": "<p>Bring <b>exhibits</b></p>",
        "allDay": False,
        "isDraft": True,
        "flagged": True,
        "status": 2,
        "location": {"name": "Room 4", "address": "1 Main St"},
        "capacity": 0,
        "customFields": {"s": "x", "n": 3, "f": 2.5, "b": True, "z": None},
    }
    created = create(api, **fields)
    for name, value in fields.items():
        assert created[name] == value


def test_null_optional_fields_on_create_are_not_set(api: httpx.Client) -> None:
    """api-contract.md, Prospero — POST /events {event} → 201 {event}, full state with the new
    id."""
    created = create(api, details=None, location=None, status=None, flagged=None)
    assert "details" not in created and "location" not in created and "flagged" not in created
    assert created["status"] == 0


@pytest.mark.parametrize(
    ("sent", "returned"),
    [
        ("2027-05-01T10:00:00.500Z", "2027-05-01T10:00:00.5Z"),
        ("2027-05-01T10:00:00.000Z", "2027-05-01T10:00:00Z"),
        ("2027-05-01T10:00:00.123456Z", "2027-05-01T10:00:00.123456Z"),
    ],
)
def test_fractional_seconds_are_accepted_and_returned_canonical(
    api: httpx.Client, sent: str, returned: str
) -> None:
    """api-contract.md, Prospero — dates: ISO 8601 in UTC only (or date-only); any other offset →
    400."""
    assert create(api, start=sent)["start"] == returned


def test_all_day_events_may_use_dates(api: httpx.Client) -> None:
    """api-contract.md, Prospero — dates: ISO 8601 in UTC only (or date-only); any other offset →
    400."""
    created = create(api, allDay=True, start="2027-05-01", end="2027-05-01")
    assert (created["start"], created["end"], created["allDay"]) == ("2027-05-01", "2027-05-01",
                                                                     True)


def test_create_many_events_in_order(api: httpx.Client) -> None:
    """api-contract.md, Prospero — POST /events {events} (≤ 100) → 201 {events} in the same
    order."""
    batch = [event(title=f"Hearing {n}") for n in range(100)]
    response = api.post("events", json={"events": batch})
    assert response.status_code == 201
    created = response.json()["events"]
    assert [item["title"] for item in created] == [f"Hearing {n}" for n in range(100)]
    assert len({item["id"] for item in created}) == 100
    assert api.get("events", params={"limit": 500}).json()["total"] == 103


@pytest.mark.parametrize(
    ("bad", "status", "message"),
    [
        (event(title=""), 400, "events[2].title: must not be empty"),
        (event(end="2027-05-01T09:00:00Z"), 422, "events[2].end: must not be before start"),
        (event(color="red"), 400, "events[2].color: unknown field"),
    ],
)
def test_bulk_create_is_all_or_nothing(
    api: httpx.Client, bad: dict[str, Any], status: int, message: str
) -> None:
    """api-contract.md, Prospero — [model] bulk create is all-or-nothing on validation errors."""
    response = api.post("events", json={"events": [event(), event(), bad, event()]})
    assert_error(response, status, message)
    assert api.get("events").json()["total"] == 3


@pytest.mark.parametrize("count", [0, 101])
def test_bulk_create_takes_1_to_100_events(api: httpx.Client, count: int) -> None:
    """api-contract.md, Prospero — POST /events {events} (≤ 100) → 201 {events} in the same
    order."""
    response = api.post("events", json={"events": [event()] * count})
    assert_error(response, 400, "events: must be an array of 1 to 100 events")


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"title": None}, 400, "title: is required"),
        ({"start": None}, 400, "start: is required"),
        ({"title": ""}, 400, "title: must not be empty"),
        ({"title": "   "}, 400, "title: must not be empty"),
        ({"title": "x" * 501}, 400, "title: must be at most 500 characters"),
        ({"title": 7}, 400, "title: must be a string"),
        ({"details": "x" * 65537}, 400, "details: must be at most 65536 characters"),
        ({"start": "2027-05-01T10:00:00+00:00"}, 400, "start: must be a UTC date-time"),
        ({"start": "2027-05-01T12:00:00+02:00"}, 400, "start: must be a UTC date-time"),
        ({"start": "2027-05-01T10:00:00"}, 400, "start: must be a UTC date-time"),
        ({"end": "2027-05-01 11:00:00Z"}, 400, "end: must be a UTC date-time"),
        ({"start": "2027-05-01T10:00:00.1234567Z"}, 400, "start: must be a UTC date-time"),
        ({"start": "2027-02-30T10:00:00Z"}, 400, "start: '2027-02-30T10:00:00Z' is not a valid"),
        ({"start": "2027-05-01"}, 400, "start: must be a UTC date-time"),
        ({"start": 1767225600}, 400, "start: must be a UTC date-time"),
        ({"end": "2027-05-01T09:59:59Z"}, 422, "end: must not be before start"),
        ({"allDay": True, "start": "2027-05-02", "end": "2027-05-01"}, 422, "end: must not be"),
        ({"allDay": "yes"}, 400, "allDay: must be a boolean"),
        ({"isDraft": 1}, 400, "isDraft: must be a boolean"),
        ({"status": 3}, 400, "status: must be 0 (CONFIRMED)"),
        ({"status": True}, 400, "status: must be 0 (CONFIRMED)"),
        ({"status": "0"}, 400, "status: must be 0 (CONFIRMED)"),
        ({"capacity": -1}, 400, "capacity: must be an integer"),
        ({"capacity": 1.5}, 400, "capacity: must be an integer"),
        ({"capacity": 2**31}, 400, "capacity: must be an integer"),
        ({"location": "Room 4"}, 400, "location: must be an object"),
        ({"location": {"room": "4"}}, 400, "location.room: unknown field"),
        ({"location": {"name": 4}}, 400, "location.name: must be a string"),
        ({"customFields": []}, 400, "customFields: must be an object"),
        ({"customFields": {"a": {"b": 1}}}, 400, "customFields.a: must be a string, number"),
        ({"customFields": {"a": [1]}}, 400, "customFields.a: must be a string, number"),
        ({"customFields": {"a.b": "x"}}, 400, "customFields: field name 'a.b'"),
        ({"customFields": {"n": 1e300}}, 400, "customFields.n: numbers must be within"),
        ({"customFields": {f"k{n}": n for n in range(51)}}, 400, "customFields: at most 50"),
        ({"customFields": {"s": "x" * 2001}}, 400, "customFields.s: must be at most 2000"),
        ({"color": "red"}, 400, "color: unknown field"),
        ({"id": str(uuid.uuid1())}, 400, "id: read-only field"),
        ({"createdAt": "2027-01-01T00:00:00Z"}, 400, "createdAt: read-only field"),
        ({"lastUpdatedAt": "2027-01-01T00:00:00Z"}, 400, "lastUpdatedAt: read-only field"),
        ({"orgId": str(uuid.uuid1())}, 400, "orgId: read-only field"),
    ],
)
def test_create_validation(
    api: httpx.Client, fields: dict[str, Any], status: int, message: str
) -> None:
    """api-contract.md, Prospero — dates: ISO 8601 in UTC only (or date-only); any other offset →
    400; read-only `id`, `orgId`, `createdAt`, `lastUpdatedAt`."""
    response = api.post("events", json={"event": event(**fields)})
    assert_error(response, status, message)
    assert api.get("events").json()["total"] == 3


@pytest.mark.parametrize(
    ("content", "content_type", "status", "message"),
    [
        (b'{"event": {"title": ', "application/json", 400, "request body is not valid JSON"),
        (b'{"event": {"title": "x", "capacity": NaN}}', "application/json", 400, "request body"),
        (b"", "application/json", 400, "request body is required"),
        (b"[]", "application/json", 400, 'body must be {"event"'),
        (b'{"evnt": {}}', "application/json", 400, 'body must be {"event"'),
        (b'{"event": {}, "events": []}', "application/json", 400, 'body must be {"event"'),
        (b'{"event": "x"}', "application/json", 400, "event: must be a JSON object"),
        (b'{"event": {}}', "text/plain", 415, "Content-Type must be application/json"),
        (b"\xff\xfe{", "application/json", 400, "request body is not valid JSON"),
        (b"[" * 100_000, "application/json", 400, "request body is not valid JSON"),
    ],
    ids=["truncated", "nan", "empty", "array", "wrong-key", "both-keys", "not-object",
         "media-type", "bad-utf8", "deep-nesting"],
)
def test_create_refuses_bad_bodies(
    api: httpx.Client, content: bytes, content_type: str, status: int, message: str
) -> None:
    response = api.post("events", content=content, headers={"Content-Type": content_type})
    assert_error(response, status, message)


def test_oversized_body_is_413(api: httpx.Client) -> None:
    huge = b'{"event": {"title": "' + b"x" * (10 * 1024 * 1024) + b'"}}'
    response = api.post("events", content=huge, headers={"Content-Type": "application/json"})
    assert_error(response, 413, "request body exceeds")


# -- read -----------------------------------------------------------------------------------


def test_get_unknown_event_is_404(api: httpx.Client) -> None:
    """api-contract.md, Prospero — errors {status, error}: 400, 401, 403, 404, 409, 422, 429,
    500."""
    missing = str(uuid.uuid1())
    assert_error(api.get(f"events/{missing}"), 404, f"Event not found: {missing}")
    assert_error(api.get("events/not-a-uuid"), 404, "Event not found")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "nowhere", 404),
        ("GET", "events/", 404),
        ("GET", "events/x/y", 404),
        ("PUT", "events", 405),
        ("POST", "auth/whoami", 405),
        ("PUT", "events/0d9e7a3c-9b1d-11ef-8c3a-0242ac120002", 405),
    ],
)
def test_unknown_paths_and_methods_answer_in_prospero_shape(
    api: httpx.Client, method: str, path: str, status: int
) -> None:
    """api-contract.md, Prospero — errors {status, error}: 400, 401, 403, 404, 409, 422, 429,
    500."""
    response = api.request(method, path)
    assert_error(response, status)
    if status == 405:
        assert "allow" in response.headers


# -- lists: paging, filters, order, window ------------------------------------------------------


def test_paging_with_limit_offset_and_total(api: httpx.Client, http: httpx.Client) -> None:
    """api-contract.md, Prospero: GET /events [doc] answers the unarchived events, all of them
    ("by default, returns a list of all unarchived Events"); `limit`, `offset` and `total` are
    [model] and page only when asked."""
    seed(http, [event(title=f"Seeded {n:03d}") for n in range(247)])
    default = api.get("events").json()
    assert len(default["events"]) == 250 and default["total"] == 250
    assert len(api.get("events", params={"offset": 200}).json()["events"]) == 50
    seen: list[str] = []
    for offset in range(0, 250, 60):
        page = api.get("events", params={"limit": 60, "offset": offset}).json()
        assert page["total"] == 250
        seen.extend(item["id"] for item in page["events"])
    assert len(seen) == len(set(seen)) == 250
    assert api.get("events", params={"limit": 500}).json()["events"][3]["title"] == "Seeded 000"
    past_end = api.get("events", params={"offset": 250})
    assert past_end.json() == {"events": [], "total": 250}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": 0}, "limit: must be an integer from 1 to 500"),
        ({"limit": 501}, "limit: must be an integer from 1 to 500"),
        ({"limit": "ten"}, "limit: must be an integer"),
        ({"limit": "1.5"}, "limit: must be an integer"),
        ({"limit": ""}, "limit: must be an integer"),
        ({"offset": -1}, "offset: must be an integer from 0"),
        ({"offset": 10**12}, "offset: must be an integer from 0"),
        ({"limit": [10, 20]}, "limit: query parameter given more than once"),
        ({"colour": "red"}, "colour: unknown query parameter"),
        ({"status": 7}, "status: must be 0 (CONFIRMED)"),
        ({"flagged": "yes"}, "flagged: must be true or false"),
        ({"capacity": "many"}, "capacity: must be an integer"),
        ({"start": "2027-01-14T16:00:00+00:00"}, "start: must be a UTC date-time"),
        ({"customFields.a.b": "x"}, "customFields.a.b: not a valid custom field name"),
        ({"order": "colour:asc"}, "order: must be <field>[:asc|desc]"),
        ({"order": "title:up"}, "order: must be <field>[:asc|desc]"),
        ({"window_start": "2027-01-01T00:00:00"}, "window_start: must be a UTC date-time"),
        ({"window_end": "2027-01-01"}, "window_end: must be a UTC date-time"),
        (
            {"window_start": "2027-02-01T00:00:00Z", "window_end": "2027-01-01T00:00:00Z"},
            "window_end: must not be before window_start",
        ),
    ],
)
def test_list_refuses_bad_query_parameters(
    api: httpx.Client, params: dict[str, Any], message: str
) -> None:
    """api-contract.md, Prospero — [model] equality filters on fields and `customFields.<name>`;
    [model] `limit` (≤ 500), `offset`, `total`; without `limit`, every match."""
    assert_error(api.get("events", params=params), 400, message)


def test_archive_list_pages_and_refuses_filters(api: httpx.Client) -> None:
    """api-contract.md, Prospero — DELETE /events {ids} → 204; deleted events move to
    /events/archive."""
    assert api.get("events/archive", params={"limit": 1, "offset": 1}).json() == {
        "events": [], "total": 1,
    }
    assert_error(api.get("events/archive", params={"status": 2}), 400, "status: unknown query")
    assert_error(api.get("events/archive", params={"limit": 0}), 400, "limit: must be")


@pytest.fixture
def tagged(api: httpx.Client) -> dict[str, str]:
    """Events with assorted fields and custom fields, keyed by title."""
    specs: dict[str, dict[str, Any]] = {
        "Managed A": {"customFields": {"managed_by": "reconciler", "reconciler_key": "a",
                                       "count": 3, "vip": True}},
        "Managed B": {"customFields": {"managed_by": "reconciler", "reconciler_key": "b",
                                       "count": "3", "vip": False}, "flagged": True},
        "Other": {"customFields": {"managed_by": "someone", "none": None, "ratio": 0.5},
                  "capacity": 12, "location": {"name": "Hall", "address": "2 High St"}},
    }
    return {title: create(api, title=title, **fields)["id"] for title, fields in specs.items()}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"customFields.managed_by": "reconciler"}, ["Managed A", "Managed B"]),
        ({"customFields.reconciler_key": "b"}, ["Managed B"]),
        ({"customFields.count": "3"}, ["Managed A", "Managed B"]),
        ({"customFields.vip": "true"}, ["Managed A"]),
        ({"customFields.vip": "false"}, ["Managed B"]),
        ({"customFields.none": "null"}, ["Other"]),
        ({"customFields.ratio": "0.5"}, ["Other"]),
        ({"customFields.nobody": "x"}, []),
        ({"flagged": "true"}, ["Board meeting", "Managed B"]),
        ({"status": "1"}, ["Board meeting"]),
        ({"status": "0", "customFields.managed_by": "reconciler"}, ["Managed A", "Managed B"]),
        ({"title": "Spring fair"}, ["Spring fair"]),
        ({"capacity": "12"}, ["Other"]),
        ({"location.name": "Hall"}, ["Other"]),
        ({"allDay": "true"}, ["Spring fair"]),
        ({"start": "2027-04-17"}, ["Spring fair"]),
        ({"start": "2027-02-03T09:00:00.000Z"}, ["Board meeting"]),
    ],
)
def test_equality_filters(
    api: httpx.Client, tagged: dict[str, str], params: dict[str, str], expected: list[str]
) -> None:
    """api-contract.md, Prospero — [model] equality filters on fields and `customFields.<name>`;
    [model] marker at `customFields.reconciler_key`."""
    response = api.get("events", params=params)
    assert response.status_code == 200
    assert titles(response) == expected
    assert response.json()["total"] == len(expected)


def test_filter_by_id_and_timestamps(api: httpx.Client, server_clock: Clock) -> None:
    """api-contract.md, Prospero — [model] equality filters on fields and `customFields.<name>`."""
    created = create(api)
    assert titles(api.get("events", params={"id": created["id"]})) == ["Deposition prep"]
    by_time = api.get("events", params={"createdAt": "2031-06-01T12:00:00Z"})
    assert titles(by_time) == ["Deposition prep"]


def test_order_by_last_update(api: httpx.Client, server_clock: Clock) -> None:
    """api-contract.md, Prospero — [model] `order=lastUpdatedAt:desc|asc`."""
    first, second = create(api, title="First"), create(api, title="Second")
    server_clock.advance(60)
    api.patch(f"events/{first['id']}", json={"details": "moved"})
    newest = api.get("events", params={"order": "lastUpdatedAt:desc", "limit": 2})
    assert titles(newest) == ["First", "Second"]
    oldest = api.get("events", params={"order": "lastUpdatedAt:asc"})
    assert titles(oldest)[-1] == "First"
    assert second["id"] in [item["id"] for item in oldest.json()["events"]]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("title", ["Board meeting", "Quarterly all-hands", "Spring fair"]),
        ("title:desc", ["Spring fair", "Quarterly all-hands", "Board meeting"]),
        ("start:asc", ["Quarterly all-hands", "Board meeting", "Spring fair"]),
        ("start:desc", ["Spring fair", "Board meeting", "Quarterly all-hands"]),
        ("end:desc", ["Spring fair", "Board meeting", "Quarterly all-hands"]),
        ("createdAt:asc", SEEDED_TITLES),
    ],
)
def test_order_by_fields(api: httpx.Client, order: str, expected: list[str]) -> None:
    """api-contract.md, Prospero — [model] `order=lastUpdatedAt:desc|asc`."""
    assert titles(api.get("events", params={"order": order})) == expected


def test_order_by_start_compares_instants_not_text(api: httpx.Client, http: httpx.Client) -> None:
    """api-contract.md, Prospero — [model] `order=lastUpdatedAt:desc|asc`."""
    seed(http, [
        event(title="later", start="2030-01-01T10:00:00Z", end="2030-01-01T11:00:00Z"),
        event(title="earlier", start="2030-01-01T10:00:00.5Z", end="2030-01-01T11:00:00Z"),
    ])
    ordered = titles(api.get("events", params={"order": "start:desc", "limit": 2}))
    assert ordered == ["earlier", "later"]


def test_window_returns_overlapping_events(api: httpx.Client, http: httpx.Client) -> None:
    """api-contract.md, Prospero — GET /events: only window_start/window_end [doc], overlapping
    events."""
    seed(http, [
        event(title="morning", start="2030-03-01T09:00:00Z", end="2030-03-01T10:00:00Z"),
        event(title="noon", start="2030-03-01T12:00:00Z", end="2030-03-01T13:00:00Z"),
        event(title="instant", start="2030-03-01T10:30:00Z", end="2030-03-01T10:30:00Z"),
        event(title="all day", allDay=True, start="2030-03-02", end="2030-03-02"),
    ])

    def window(**params: str) -> list[str]:
        response = api.get("events", params=params)
        assert response.json()["total"] == len(response.json()["events"])
        return titles(response)

    assert window(window_start="2030-03-01T09:30:00Z", window_end="2030-03-01T12:00:00Z") == [
        "morning", "instant",
    ]
    assert window(window_start="2030-03-01T10:00:00Z", window_end="2030-03-01T12:00:01Z") == [
        "noon", "instant",
    ]
    # A date-only end is inclusive: the all-day event covers the whole of 2 March.
    assert window(window_start="2030-03-02T23:00:00Z", window_end="2030-03-03T00:00:00Z") == [
        "all day",
    ]
    assert window(window_start="2030-03-02T00:00:00Z") == ["all day"]
    assert window(window_end="2027-01-15T00:00:00Z") == ["Quarterly all-hands"]
    paged = api.get("events", params={"window_start": "2030-01-01T00:00:00Z", "limit": 1,
                                      "offset": 1})
    assert paged.json()["total"] == 4 and titles(paged) == ["noon"]


# -- merge patch ------------------------------------------------------------------------------


def patch(api: httpx.Client, event_id: str, body: Any, media: str = "application/merge-patch+json"):
    return api.patch(f"events/{event_id}", json=body, headers={"Content-Type": media})


def test_patch_merges_objects_and_null_removes(api: httpx.Client) -> None:
    """api-contract.md, Prospero — updates set only the fields passed; the rest is unchanged; PATCH
    /events/{id}: RFC 7386 merge patch → 200 {event}."""
    created = create(
        api,
        details="<p>old</p>",
        flagged=True,
        location={"name": "Room 4", "address": "1 Main St"},
        customFields={"reconciler_key": "k", "owner": "ann", "count": 1},
    )
    response = patch(api, created["id"], {
        "title": "Renamed",
        "details": None,
        "flagged": None,
        "location": {"name": "Room 5"},
        "customFields": {"owner": None, "count": 2, "new": "x"},
    })
    assert response.status_code == 200
    updated = response.json()["event"]
    assert updated["title"] == "Renamed"
    assert "details" not in updated and "flagged" not in updated
    assert updated["location"] == {"name": "Room 5", "address": "1 Main St"}
    assert updated["customFields"] == {"reconciler_key": "k", "count": 2, "new": "x"}
    assert updated["start"] == created["start"] and updated["id"] == created["id"]
    assert api.get(f"events/{created['id']}").json() == {"event": updated}


def test_patch_accepts_plain_json_too(api: httpx.Client) -> None:
    """api-contract.md, Prospero — PATCH as `application/merge-patch+json`; `application/json`
    accepted."""
    created = create(api)
    response = patch(api, created["id"], {"capacity": 5}, media="application/json")
    assert response.status_code == 200 and response.json()["event"]["capacity"] == 5


@pytest.mark.parametrize("media", ["text/plain", "application/json-patch+json", "application/xml"])
def test_patch_with_another_media_type_is_415(api: httpx.Client, media: str) -> None:
    """api-contract.md, Prospero — PATCH as `application/merge-patch+json`; `application/json`
    accepted."""
    created = create(api)
    response = patch(api, created["id"], {"capacity": 5}, media=media)
    assert_error(response, 415, "Content-Type must be application/merge-patch+json")


def test_patch_updates_last_updated_only_on_change(api: httpx.Client, server_clock: Clock) -> None:
    """api-contract.md, Prospero — updates set only the fields passed; the rest is unchanged."""
    created = create(api)
    server_clock.advance(3600)
    for no_op in ({}, {"title": created["title"]}, {"start": "2027-05-01T10:00:00.000Z"},
                  {"details": None}):
        unchanged = patch(api, created["id"], no_op).json()["event"]
        assert unchanged == created
    changed = patch(api, created["id"], {"title": "New"}).json()["event"]
    assert changed["lastUpdatedAt"] == "2031-06-01T13:00:00Z"
    assert changed["createdAt"] == created["createdAt"]


def test_patch_status_null_resets_to_confirmed(api: httpx.Client) -> None:
    """api-contract.md, Prospero — PATCH /events/{id}: RFC 7386 merge patch → 200 {event}; status:
    integer enum 0 CONFIRMED, 1 TENTATIVE, 2 CANCELLED."""
    created = create(api, status=1)
    assert patch(api, created["id"], {"status": None}).json()["event"]["status"] == 0


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"title": None}, 400, "title: is required and cannot be removed"),
        ({"start": None}, 400, "start: is required and cannot be removed"),
        ({"end": None}, 400, "end: is required and cannot be removed"),
        ({"id": "x"}, 400, "id: read-only field"),
        ({"lastUpdatedAt": "2027-01-01T00:00:00Z"}, 400, "lastUpdatedAt: read-only field"),
        ({"colour": "red"}, 400, "colour: unknown field"),
        ({"title": 5}, 400, "title: must be a string"),
        ({"start": "2027-05-01T10:00:00+01:00"}, 400, "start: must be a UTC date-time"),
        ({"end": "2027-05-01T09:00:00Z"}, 422, "end: must not be before start"),
        ({"location": {"floor": "2"}}, 400, "location.floor: unknown field"),
        ({"location": "Room 4"}, 400, "location: must be an object"),
        ({"customFields": {"a": {"deep": 1}}}, 400, "customFields.a: must be a string, number"),
        ({"customFields": "x"}, 400, "customFields: must be an object"),
        ({"allDay": True, "start": "2027-05-01", "end": "2027-04-30"}, 422, "end: must not be"),
        ([{"op": "replace"}], 400, "merge patch must be a JSON object"),
        ("title", 400, "merge patch must be a JSON object"),
    ],
)
def test_patch_validation(api: httpx.Client, body: Any, status: int, message: str) -> None:
    """api-contract.md, Prospero — read-only `id`, `orgId`, `createdAt`, `lastUpdatedAt`."""
    created = create(api)
    assert_error(patch(api, created["id"], body), status, message)
    assert api.get(f"events/{created['id']}").json() == {"event": created}


def test_patch_date_only_needs_all_day(api: httpx.Client) -> None:
    """api-contract.md, Prospero — dates: ISO 8601 in UTC only (or date-only); any other offset →
    400."""
    created = create(api)
    refused = patch(api, created["id"], {"start": "2027-05-01", "end": "2027-05-01"})
    assert_error(refused, 400, "start: must be a UTC date-time")
    accepted = patch(api, created["id"], {"allDay": True, "start": "2027-05-01",
                                          "end": "2027-05-01"})
    assert accepted.status_code == 200


def test_patch_unknown_or_archived_event_is_404(api: httpx.Client) -> None:
    assert_error(patch(api, str(uuid.uuid1()), {"title": "x"}), 404, "Event not found")
    archived_id = api.get("events/archive").json()["events"][0]["id"]
    assert_error(patch(api, archived_id, {"title": "x"}), 404, "Event not found")


# -- delete and archive -----------------------------------------------------------------------


def test_delete_one_moves_it_to_the_archive(api: httpx.Client, server_clock: Clock) -> None:
    """api-contract.md, Prospero — GET /events: the unarchived events as {events: [...]}; DELETE
    /events/{id} is [model] only; the client deletes in bulk."""
    created = create(api)
    server_clock.advance(10)
    response = api.delete(f"events/{created['id']}")
    assert response.status_code == 204 and response.content == b""
    assert_error(api.get(f"events/{created['id']}"), 404, "Event not found")
    assert titles(api.get("events")) == SEEDED_TITLES
    archived = api.get("events/archive").json()
    assert archived["total"] == 2
    assert archived["events"][-1] == {**created, "archivedAt": "2031-06-01T12:00:10Z"}
    assert_error(api.delete(f"events/{created['id']}"), 404, "Event not found")


def test_bulk_delete_archives_all(api: httpx.Client) -> None:
    """api-contract.md, Prospero — DELETE /events {ids} → 204; deleted events move to
    /events/archive."""
    ids = [create(api, title=f"E{n}")["id"] for n in range(3)]
    response = api.request("DELETE", "events", json={"ids": [*ids, ids[0]]})
    assert response.status_code == 204
    assert titles(api.get("events")) == SEEDED_TITLES
    assert [item["title"] for item in api.get("events/archive").json()["events"][1:]] == [
        "E0", "E1", "E2",
    ]


def test_bulk_delete_with_an_unknown_id_archives_nothing(api: httpx.Client) -> None:
    """api-contract.md, Prospero — DELETE /events {ids} → 204; deleted events move to
    /events/archive."""
    ids = [create(api)["id"], str(uuid.uuid1())]
    assert_error(api.request("DELETE", "events", json={"ids": ids}), 404, "Event not found")
    assert api.get(f"events/{ids[0]}").status_code == 200
    assert api.get("events/archive").json()["total"] == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"ids": []}, "ids: must be an array of 1 to 100 event ids"),
        ({"ids": ["x"] * 101}, "ids: must be an array of 1 to 100 event ids"),
        ({"ids": [1]}, "ids: must be an array of 1 to 100 event ids"),
        ({"ids": "x"}, "ids: must be an array of 1 to 100 event ids"),
        ({"ids": ["x"], "force": True}, 'body must be {"ids": [...]}'),
        ({}, 'body must be {"ids": [...]}'),
    ],
)
def test_bulk_delete_validation(api: httpx.Client, body: Any, message: str) -> None:
    """api-contract.md, Prospero — DELETE /events {ids} → 204; deleted events move to
    /events/archive."""
    assert_error(api.request("DELETE", "events", json=body), 400, message)


def test_bulk_delete_needs_a_body(api: httpx.Client) -> None:
    assert_error(api.delete("events"), 400, "request body is required")


# -- webhooks -----------------------------------------------------------------------------------


def test_register_list_and_remove_webhooks(api: httpx.Client, server_clock: Clock) -> None:
    """api-contract.md, Prospero — webhooks: event.created/updated/deleted to HTTPS; [model] POST
    /webhooks."""
    body = {"url": "https://hooks.example.com/p", "events": ["event.updated", "event.created",
                                                             "event.updated"]}
    response = api.post("webhooks", json=body)
    assert response.status_code == 201
    webhook = response.json()["webhook"]
    assert is_uuid1(webhook["id"])
    assert webhook == {"id": webhook["id"], "url": body["url"],
                       "events": ["event.updated", "event.created"],
                       "createdAt": "2031-06-01T12:00:00Z"}
    assert api.get("webhooks").json() == {"webhooks": [webhook], "total": 1}
    assert api.delete(f"webhooks/{webhook['id']}").status_code == 204
    assert api.get("webhooks").json() == {"webhooks": [], "total": 0}
    assert_error(api.delete(f"webhooks/{webhook['id']}"), 404, "Webhook not found")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"url": "http://hooks.example.com", "events": ["event.created"]}, "url: must be an"),
        ({"url": "https://", "events": ["event.created"]}, "url: must be an absolute"),
        ({"url": "https://[::1", "events": ["event.created"]}, "url: must be an absolute"),
        ({"events": ["event.created"]}, "url: is required"),
        ({"url": "https://h.test", "events": []}, "events: must be a non-empty array"),
        ({"url": "https://h.test", "events": ["event.moved"]}, "events: unknown event type"),
        ({"url": "https://h.test", "events": ["event.created"], "secret": "s"},
         "secret: unknown field"),
    ],
)
def test_webhook_validation(api: httpx.Client, body: dict[str, Any], message: str) -> None:
    """api-contract.md, Prospero — webhooks: event.created/updated/deleted to HTTPS; [model] POST
    /webhooks."""
    assert_error(api.post("webhooks", json=body), 400, message)


# -- faults through Prospero's routes -----------------------------------------------------------


def test_status_fault_answers_with_prospero_error_and_retry_after(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    """api-contract.md, The sandbox — fault: status storms (429/5xx); Prospero — [model] 429 with
    `Retry-After` seconds, which the client honours."""
    sandbox.faults.add(Fault(kind="status", path="^/prospero/events$", status=429,
                             retry_after=2, times=1))
    limited = api.get("events")
    assert_error(limited, 429, "Too many requests")
    assert limited.headers["retry-after"] == "2"
    assert api.get("events").status_code == 200


def test_server_error_fault_is_in_prospero_shape(api: httpx.Client, sandbox: Sandbox) -> None:
    """api-contract.md, The sandbox — fault: status storms (429/5xx)."""
    sandbox.faults.add(Fault(kind="status", path="^/prospero/events$", status=503, method="POST"))
    assert_error(api.post("events", json={"event": event()}), 503, "Service unavailable")
    assert api.get("events").json()["total"] == 3


def test_drop_fault_stores_the_write_but_loses_the_response(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    """api-contract.md, The sandbox — fault: commit-then-drop (stored, the response lost)."""
    sandbox.faults.add(Fault(kind="drop", path="^/prospero/events$", method="POST"))
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("events", json={"event": event(title="Committed")})
    assert titles(api.get("events", params={"title": "Committed"})) == ["Committed"]


def test_reset_fault_drops_the_request_before_it_is_handled(
    api: httpx.Client, sandbox: Sandbox
) -> None:
    """api-contract.md, The sandbox — fault: connection reset."""
    sandbox.faults.add(Fault(kind="reset", path="^/prospero/events$", method="POST"))
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("events", json={"event": event(title="Never")})
    assert api.get("events", params={"title": "Never"}).json()["total"] == 0


def test_malformed_fault_cuts_the_json(api: httpx.Client, sandbox: Sandbox) -> None:
    """api-contract.md, The sandbox — fault: malformed JSON."""
    sandbox.faults.add(Fault(kind="malformed", path="^/prospero/events$"))
    response = api.get("events")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_latency_fault_delays_the_answer(api: httpx.Client, sandbox: Sandbox) -> None:
    """api-contract.md, The sandbox — fault: latency."""
    sandbox.faults.add(Fault(kind="latency", path="^/prospero/events$", seconds=0.3))
    started = time.monotonic()
    assert api.get("events").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_churn_fault_shifts_the_next_page(api: httpx.Client, sandbox: Sandbox) -> None:
    """api-contract.md, The sandbox — fault: a page that changes between two page reads."""
    sandbox.faults.add(Fault(kind="churn", path="^/prospero/events$"))
    first = api.get("events", params={"limit": 2}).json()
    second = api.get("events", params={"limit": 2, "offset": 2}).json()
    assert second["total"] == first["total"] + 1
    # The unmanaged newcomer took the head, so the first page's last event is read again.
    assert second["events"][0]["id"] == first["events"][1]["id"]
    head = api.get("events", params={"limit": 1}).json()["events"][0]
    assert "customFields" not in head and head["title"] == "Walk-in booking"
    # Later creations still come after everything else in the default order.
    create(api, title="Latest")
    assert titles(api.get("events"))[-1] == "Latest"


# -- admin seeding --------------------------------------------------------------------------------


def test_admin_seed_fills_server_fields(api: httpx.Client, http: httpx.Client) -> None:
    """api-contract.md, Prospero — read-only `id`, `orgId`, `createdAt`, `lastUpdatedAt`."""
    given = str(uuid.uuid1())
    ids = seed(http, [
        event(title="With id", id=given, createdAt="2025-01-01T00:00:00Z"),
        event(title="Without"),
    ])
    assert ids[0] == given and is_uuid1(ids[1])
    stored = api.get(f"events/{given}").json()["event"]
    assert stored["createdAt"] == "2025-01-01T00:00:00Z"
    assert stored["orgId"] == api.get("auth/whoami").json()["user"]["orgId"]
    assert titles(api.get("events"))[-2:] == ["With id", "Without"]


@pytest.mark.parametrize(
    ("events", "status", "message"),
    [
        ([event(), event(title="")], 400, "events[1].title: must not be empty"),
        ([event(id="not-a-uuid")], 400, "events[0].id: must be a lower-case v1 UUID"),
        ([event(id=str(uuid.uuid4()))], 400, "events[0].id: must be a lower-case v1 UUID"),
        ([event(orgId=str(uuid.uuid1()))], 400, "events[0].orgId: must be the sandbox org"),
        ([event(createdAt="yesterday")], 400, "events[0].createdAt: must be a UTC"),
        ("x", 400, "events: must be an array"),
    ],
)
def test_admin_seed_validation(
    api: httpx.Client, http: httpx.Client, events: Any, status: int, message: str
) -> None:
    """api-contract.md, Prospero — identifiers are v1 UUIDs."""
    response = http.post("/_sandbox/prospero/seed", json={"events": events})
    assert_error(response, status, message)
    assert api.get("events").json()["total"] == 3


def test_admin_seed_refuses_a_duplicate_id(api: httpx.Client, http: httpx.Client) -> None:
    """api-contract.md, Prospero — errors {status, error}: 400, 401, 403, 404, 409, 422, 429,
    500."""
    given = str(uuid.uuid1())
    response = http.post("/_sandbox/prospero/seed", json={"events": [event(id=given)] * 2})
    assert_error(response, 409, "events: an id is given twice or already exists")
    assert api.get("events").json()["total"] == 3


def test_ten_thousand_events_seed_and_page_completely(
    api: httpx.Client, http: httpx.Client
) -> None:
    """api-contract.md, Prospero — [model] `limit` (≤ 500), `offset`, `total`; without `limit`,
    every match."""
    batch = [event(title=f"Bulk {n}", customFields={"managed_by": "reconciler",
                                                    "reconciler_key": f"k{n}"})
             for n in range(10_000)]
    assert len(seed(http, batch)) == 10_000
    seen = 0
    for offset in range(0, 10_003, 500):
        seen += len(api.get("events", params={"limit": 500, "offset": offset}).json()["events"])
    assert seen == 10_003
