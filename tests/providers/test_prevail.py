"""The Prevail client as a tolerant reader: every documented field name, the docs' own payloads.

Reads go over real HTTP on loopback: to the docs-shaped server (`docs_prevail`), or, for shapes
no documented server sends, to a small Starlette app served here.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.http import build_client
from reconciler.model import Location, ProviderSettings
from reconciler.providers.prevail import PrevailProvider
from reconciler.providers.prevail_mapping import Fallbacks, created_session, read_page
from reconciler.sandbox.server import running
from tests.fixtures.docs_prevail import (
    API_KEY,
    COMPANY_ID,
    DOCS_CREATE_EXAMPLE,
    DOCS_HOST_EXAMPLE,
    DOCS_PAGE_EXAMPLE,
    DocsPrevail,
)

SETTINGS = {"company_id": COMPANY_ID, "api_key": API_KEY}


@contextmanager
def prevail(base_url: str) -> Iterator[PrevailProvider]:
    settings = ProviderSettings(
        name="prevail",
        settings={"base_url": base_url, **SETTINGS},
        secrets=frozenset({API_KEY}),
        location=Location("providers.yaml", 1, 1),
    )
    with build_client("prevail", base_url, auth=PrevailProvider.auth(settings)) as client:
        yield PrevailProvider(settings=settings, client=client)


def marked(example: dict[str, Any], key: str) -> dict[str, Any]:
    """A docs example with the reconciler's marker as the last line of additional_details."""
    body = copy.deepcopy(example)
    body["session_request"]["session_details"]["additional_details"] = f"reconciler-key: {key}"
    return body


def test_the_docs_create_examples_are_read_back_as_declared_fields(
    docs_prevail: DocsPrevail, monkeypatch: pytest.MonkeyPatch
) -> None:
    """api-contract.md, Prevail create and session fields: the docs' examples, as listed (by a
    refresh before they start: it lists from now on)."""
    monkeypatch.setenv("RECONCILER_NOW", "2025-01-01T00:00:00Z")
    with prevail(docs_prevail.url) as client:
        for key, example in (("plain", DOCS_CREATE_EXAMPLE), ("hosts", DOCS_HOST_EXAMPLE)):
            created = client.request("POST", "sessions", json_body=marked(example, key))
            assert created.status_code == 200, created.text
        found = {remote.key: remote for remote in client.refresh([])}
    assert sorted(found) == ["hosts", "plain"]
    plain, hosts = found["plain"], found["hosts"]
    assert plain.state == "ready" and plain.remote_id
    assert plain.fields["time_zone"] == "America/Los_Angeles"
    assert plain.fields["start"] == "2025-01-28T09:30:00Z"  # 01:30 AM PST
    assert plain.fields["duration_hours"] is None  # the docs' example leaves it out
    assert plain.fields["invites"] == [
        {"email": "obsidian@example.com", "access_level": "participant"},
        {"email": "quartz@example.com", "access_level": "participant"},
    ]
    assert plain.fields["deponent"] == {
        "name": "Malachite Yarrow", "email": "malachite@example.com", "role": "deponent",
    }
    assert plain.fields["session_type"] == "remote_deposition"
    assert hosts.fields["duration_hours"] == 1.25
    assert hosts.fields["interpreter"] == ""
    assert [invite["access_level"] for invite in hosts.fields["invites"]] == [
        "participant", "host", "participant", "participant", "host",
    ]


def test_the_docs_page_example_is_read_with_its_paging() -> None:
    """api-contract.md, Prevail list: `pagy` {page, items, count, pages} as the user guide shows."""
    page = read_page(DOCS_PAGE_EXAMPLE, "sessions", Fallbacks("prevail"))
    assert page is not None
    assert (page.count, page.pages, len(page.items)) == (21, 3, 10)


@pytest.mark.parametrize(
    ("answer", "identifier"),
    [
        ({"session": {"remote_session_id": "rs_1", "session_details": {}}}, "rs_1"),
        ({"remote_session_id": "abc", "session_details": {}}, "abc"),
        ({"sessions": [{"remote_session_id": "x9"}]}, "x9"),
        ({"remote_session_id": None, "session_state": "initial", "session_details": {}}, None),
    ],
)
def test_a_create_answer_is_read_with_or_without_an_envelope(
    answer: dict[str, Any], identifier: str | None
) -> None:
    """api-contract.md, Prevail create: the `{"session"}` envelope is ours, not the docs'."""
    session = created_session(answer)
    assert session is not None
    with prevail("http://127.0.0.1:9") as client:
        assert client.created_id(answer) == identifier


LEGACY_REQUEST = {
    "remote_session_id": None,
    "request_id": "req_1",
    "state": "initial",
    "title": "Deposition of J. Chen",
    "case": "Chen v. Harbor Freight Lines",
    "start_date": "2027-05-10",
    "start_time": "09:00 AM",
    "time_zone": "(GMT-06:00) Central Time (US & Canada)",
    "invite_emails": ["Paralegal@chen-law.test"],
    "session_details": {"interpreter": False, "additional_details": "reconciler-key: chen"},
}


@pytest.fixture
def legacy_prevail() -> Iterator[str]:
    """A server with older shapes: `state` on a request, `invite_emails`, a boolean interpreter,
    and lists without `pagy` that ignore `page` (the same one page every time)."""

    async def sessions(_: Request) -> Response:
        return JSONResponse({"sessions": []})

    async def requests(_: Request) -> Response:
        return JSONResponse({"session_requests": [LEGACY_REQUEST]})

    app = Starlette(routes=[Route("/sessions", sessions), Route("/session_requests", requests)])
    with running(app) as origin:
        yield origin


def test_older_field_names_are_read_and_each_fallback_is_logged_once(
    legacy_prevail: str, caplog: pytest.LogCaptureFixture
) -> None:
    """api-contract.md, Prevail, two rules for the clients: read a field under every name."""
    with (
        prevail(legacy_prevail) as client,
        caplog.at_level(logging.INFO, logger="reconciler.providers.prevail_mapping"),
    ):
        [first] = client.sessions.walk("session_requests", client.request_remote)
        client.sessions.walk("session_requests", client.request_remote)
    assert first.state == "initial" and first.remote_id == "req_1"
    assert first.fields["invites"] == [
        {"email": "paralegal@chen-law.test", "access_level": "participant"}
    ]
    assert first.fields["interpreter"] == ""
    assert first.fields["time_zone"] == "America/Chicago"
    assert first.fields["start"] == "2027-05-10T14:00:00Z"
    notes = [record.getMessage() for record in caplog.records]
    assert len(notes) == len(set(notes)) == 5, notes
    assert any("`state` (no `session_state`" in note for note in notes)
    assert any("`invite_emails`" in note for note in notes)
    assert any("without `pagy`" in note for note in notes)
    # a server that ignores `page` is read twice, then the walk stops: nothing new came
    assert client.list_requests == 4


def test_a_list_without_pagy_is_read_until_a_page_adds_nothing() -> None:
    """api-contract.md, two rules for the clients: accept a list without paging fields."""
    pages = {1: [{"remote_session_id": "a"}, {"remote_session_id": "b"}],
             2: [{"remote_session_id": "c"}]}

    async def sessions(request: Request) -> Response:
        page = int(request.query_params.get("page", "1"))
        return JSONResponse({"sessions": pages.get(page, [])})

    app = Starlette(routes=[Route("/sessions", sessions)])
    with running(app) as origin, prevail(origin) as client:
        listed = client.list_all("sessions")
    assert [item["remote_session_id"] for item in listed] == ["a", "b", "c"]
    assert client.list_requests == 3


# -- the documented window, read as the start: checked, and dropped where it is not -------------


def listed_session(key: str, day: str) -> dict[str, Any]:
    return {"remote_session_id": f"rs_{key}", "title": key, "state": "ready",
            "start_date": day, "start_time": "09:00 AM", "time_zone": "UTC",
            "session_details": {"additional_details": f"reconciler-key: {key}"}}


PAST_AND_AHEAD = [listed_session("archived", "2021-03-01"), listed_session("ahead", "2027-03-01")]


@pytest.fixture
def window_blind_prevail() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A server that pages with `pagy` but answers every session whatever the window; it
    records each list's query."""
    seen: list[dict[str, str]] = []

    async def sessions(request: Request) -> Response:
        seen.append(dict(request.query_params))
        return JSONResponse({"pagy": {"page": 1, "items": 1000, "count": 2, "pages": 1},
                             "sessions": PAST_AND_AHEAD})

    app = Starlette(routes=[Route("/sessions", sessions)])
    with running(app) as origin:
        yield origin, seen


def test_a_server_that_ignores_the_window_is_listed_without_it(
    window_blind_prevail: tuple[str, list[dict[str, str]]], caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """api-contract.md, two rules for the clients: `start_time`/`end_time` [doc] are read as a
    session's start; an answer holding a session long past shows the server reads them some
    other way, so the walk starts again without them (nothing the window hid is missed), and
    the run's later walks never send them."""
    monkeypatch.setenv("RECONCILER_NOW", "2027-01-04T00:00:00Z")
    origin, seen = window_blind_prevail
    with prevail(origin) as client, caplog.at_level(logging.INFO, logger="reconciler"):
        found = {remote.key for remote in client.refresh([])}
        client.refresh([])
    assert found == {"archived", "ahead"}
    assert [sorted(query) for query in seen] == [
        ["end_time", "page", "per_page", "start_time"],
        ["page", "per_page"],
        ["page", "per_page"],
    ]
    assert caplog.text.count("the server does not limit the list by start") == 1


def test_a_server_that_refuses_the_window_is_listed_without_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """api-contract.md, two rules for the clients: a 400 to the window drops it for the run."""
    seen: list[dict[str, str]] = []

    async def sessions(request: Request) -> Response:
        seen.append(dict(request.query_params))
        if "start_time" in request.query_params:
            return JSONResponse({"error": "unknown parameter start_time"}, status_code=400)
        return JSONResponse({"pagy": {"page": 1, "items": 1000, "count": 1, "pages": 1},
                             "sessions": PAST_AND_AHEAD[1:]})

    app = Starlette(routes=[Route("/sessions", sessions)])
    with running(app) as origin, prevail(origin) as client, \
            caplog.at_level(logging.INFO, logger="reconciler"):
        assert [remote.key for remote in client.refresh([])] == ["ahead"]
    assert ["start_time" in query for query in seen] == [True, False]
    assert "refused the start_time/end_time window" in caplog.text
