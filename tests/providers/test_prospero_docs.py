"""The Prospero provider as a tolerant reader: the modelled calls only where the server shows it
takes them, the documented ones everywhere else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.config import load
from reconciler.engine.plan import PlanOptions, build_plan
from reconciler.errors import ResponseError
from reconciler.model import Action, HttpCall
from reconciler.providers import Provider, build_providers
from reconciler.providers.prospero import ProsperoProvider
from tests.fixtures.docs_prospero import DOCUMENTED_ERROR, DocsRepo
from tests.fixtures.repo import Repo, Run

TWO_EVENTS = """version: 1
events:
  - key: talk
    title: Talk
    start: 2027-03-01T10:00:00Z
    end: 2027-03-01T11:00:00Z
  - key: panel
    title: Panel
    start: 2027-03-02T10:00:00Z
    end: 2027-03-02T11:00:00Z
"""


@pytest.fixture(autouse=True)
def _now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILER_NOW", "2027-01-04T00:00:00Z")


@pytest.fixture
def docs_provider(docs_repo: DocsRepo) -> Iterator[ProsperoProvider]:
    providers: dict[str, Provider] = build_providers(load(docs_repo.root))
    provider = providers["prospero"]
    assert isinstance(provider, ProsperoProvider)
    try:
        yield provider
    finally:
        provider.client.close()


def test_a_server_that_pages_as_modelled_is_listed_as_before(repo: Repo, cli: Run) -> None:
    """api-contract.md, Prospero: GET /events [model, emulator only] `limit`, `offset`, `total`
    and the `customFields.<name>` filter: the client "may use the [model] paging and filters
    when the answer shows the server honours them". Against the sandbox, a refresh is one
    filtered page at the largest limit, without a window (no request more than before)."""
    repo.write("events.yaml", TWO_EVENTS)
    cli("apply", repo.root, "--auto-approve")
    repo.forget_requests()
    cli("plan", repo.root, "--detailed-exitcode", expect=0)
    (listed,) = repo.lists("/prospero/events")
    assert listed.query == "customFields.managed_by=reconciler&limit=500&offset=0"


def test_the_documented_error_body_names_what_went_wrong(docs_provider: ProsperoProvider) -> None:
    """api-contract.md, Prospero: errors [doc, APIError] are {"status": <HTTP status>, "error":
    "<message>"}; the client reports the server's `error`."""
    with pytest.raises(ResponseError) as raised:
        docs_provider.send(HttpCall(method="POST", path="/events", body={"event": {"start": 1}}))
    assert str(DOCUMENTED_ERROR["status"]) in str(raised.value)
    assert "title: is required" in str(raised.value)  # the documented example's message


def test_a_bulk_delete_meeting_a_gone_event_deletes_the_rest_one_by_one(
    docs_repo: DocsRepo, docs_provider: ProsperoProvider, cli: Run
) -> None:
    """api-contract.md, Prospero: DELETE /events with {"ids": [...]} [doc: bulk delete] → 204.
    When one id is already gone the bulk delete answers 404 and deletes nothing; the client
    then sends each id alone, where a 404 means "already deleted"."""
    docs_repo.write("events.yaml", TWO_EVENTS)
    cli("apply", docs_repo.root, "--auto-approve")
    server = docs_repo.server
    ids = {key: event["id"] for key, event in server.by_key().items()}
    # One other event stays declared: --prune never removes a kind declared nowhere.
    docs_repo.write("events.yaml", "version: 1\nevents:\n  - key: keynote\n    title: Keynote\n"
                    "    start: 2027-03-03T10:00:00Z\n    end: 2027-03-03T11:00:00Z\n")
    state = load(docs_repo.root)
    plan = build_plan(state, {"prospero": docs_provider}, PlanOptions(prune=True)).plan
    deletes = [change for change in plan.changes if change.action is Action.DELETE]
    assert [change.requests[0].body for change in deletes] == [
        {"ids": [ids["panel"]]}, {"ids": [ids["talk"]]}
    ]
    server.archive[ids["talk"]] = server.events.pop(ids["talk"])  # deleted by someone else
    server.forget()

    outcomes = docs_provider.apply_batch(deletes)

    assert [outcome.ok for outcome in outcomes] == [True, True]
    assert [(seen.method, seen.path, seen.body) for seen in server.requests()] == [
        ("DELETE", "/events", {"ids": [ids["panel"], ids["talk"]]}),
        ("DELETE", "/events", {"ids": [ids["panel"]]}),
        ("DELETE", "/events", {"ids": [ids["talk"]]}),
    ]
    assert server.events == {}


def test_finding_an_event_by_key_on_a_windowed_server_lists_the_refresh_span(
    docs_repo: DocsRepo, docs_provider: ProsperoProvider, cli: Run
) -> None:
    """api-contract.md, Prospero: GET /events [doc] honours no filter: looking an event up by
    key after a lost create answer lists the refresh's windows and matches the key here."""
    docs_repo.write("events.yaml", TWO_EVENTS)
    cli("apply", docs_repo.root, "--auto-approve")
    state = load(docs_repo.root)
    docs_provider.refresh(list(map(docs_provider.canonical, state.objects["events"])))
    docs_repo.server.forget()
    found = docs_provider.find("panel")
    assert found is not None and found.fields["title"] == "Panel"
    (listed,) = docs_repo.server.lists()
    assert listed.query == {
        "customFields.reconciler_key": "panel", "limit": "500",
        "window_start": "2027-01-03T00:00:00Z", "window_end": "2127-01-06T00:00:00Z",
    }
