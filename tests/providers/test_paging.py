"""Each provider's walk against a list that lies: repeated pages, a list that never ends, and
the caps on pages and objects (`providers/paging.py`), over real HTTP to the docs-shaped servers
in their lying modes. The caps are lowered here so that a list that never ends reaches them in
a few dozen requests; the CLI's acceptance tests (`tests/e2e/test_lying_lists.py`) run with the
defaults."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reconciler.config import load
from reconciler.errors import ResponseError
from reconciler.http import build_client
from reconciler.model import Location, ProviderSettings
from reconciler.providers import WalkLimits, build_providers
from reconciler.providers.prevail import PrevailProvider
from reconciler.providers.previsto import PrevistoProvider
from reconciler.providers.previsto_listing import READ_AHEAD
from tests.fixtures.docs_prevail import API_KEY, COMPANY_ID, DocsPrevail
from tests.fixtures.docs_previsto import KEY, ServeDocsPrevisto, documented_assignments

REFUSAL = "refusing to plan from part of it"


@pytest.fixture
def prevail(docs_prevail: DocsPrevail) -> Iterator[Callable[[WalkLimits], PrevailProvider]]:
    clients = []

    def open_provider(limits: WalkLimits) -> PrevailProvider:
        settings = ProviderSettings(
            name="prevail",
            settings={"base_url": docs_prevail.url, "company_id": COMPANY_ID, "api_key": API_KEY},
            secrets=frozenset({API_KEY}),
            location=Location("providers.yaml", 1, 1),
        )
        client = build_client("prevail", docs_prevail.url, auth=PrevailProvider.auth(settings))
        clients.append(client)
        return PrevailProvider(settings=settings, client=client, walk_limits=limits)

    yield open_provider
    for client in clients:
        client.close()


@pytest.fixture
def previsto(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str, WalkLimits], PrevistoProvider]]:
    monkeypatch.setenv("PREVISTO_API_KEY", KEY)
    built: list[PrevistoProvider] = []

    def open_provider(base_url: str, limits: WalkLimits) -> PrevistoProvider:
        (tmp_path / "providers.yaml").write_text(
            f"version: 1\nproviders:\n  previsto:\n    base_url: {base_url}\n"
            "    api_key: ${PREVISTO_API_KEY}\n    requests_per_minute: 60000\n",
            encoding="utf-8",
        )
        provider = build_providers(load(tmp_path), walk_limits=limits)["previsto"]
        assert isinstance(provider, PrevistoProvider)
        built.append(provider)
        return provider

    yield open_provider
    for provider in built:
        provider.client.close()


def sessions(count: int) -> list[dict[str, str]]:
    return [{"remote_session_id": f"rs-{n:05d}", "title": f"Session {n}", "state": "ready"}
            for n in range(count)]


# -- Prevail --------------------------------------------------------------------------------------


def test_a_prevail_list_that_never_ends_stops_at_the_page_cap(
    docs_prevail: DocsPrevail, prevail: Callable[[WalkLimits], PrevailProvider]
) -> None:
    """Without `pagy` a list is read until a page adds nothing; one whose every page is new
    would be read for ever. The walk stops at its page cap, having sent exactly that many."""
    docs_prevail.lie = "never-ends"
    provider = prevail(WalkLimits(max_pages=25))
    with pytest.raises(ResponseError) as refused:
        provider.list_all("sessions")
    assert str(refused.value) == (
        "prevail GET /sessions: the list did not end within 25 pages, so it is not read further "
        f"(a list that never ends); {REFUSAL}"
    )
    assert len(docs_prevail.seen) == 25


def test_a_prevail_list_that_never_ends_stops_at_the_object_cap(
    docs_prevail: DocsPrevail, prevail: Callable[[WalkLimits], PrevailProvider]
) -> None:
    """The objects a walk holds are bounded too (pages of 1,000 fill memory long before a page
    cap): past `max_total` objects the walk stops."""
    docs_prevail.lie = "never-ends"
    with pytest.raises(ResponseError, match="did not end within 5000 objects"):
        prevail(WalkLimits(max_total=5000)).list_all("sessions")
    assert len(docs_prevail.seen) == 6


def test_a_prevail_list_that_ignores_page_fails_instead_of_ending(
    docs_prevail: DocsPrevail, prevail: Callable[[WalkLimits], PrevailProvider]
) -> None:
    """With `pagy` saying 2 pages of 1,000, page 2 answering page 1 again would have left 500
    sessions unseen; it fails the walk."""
    docs_prevail.sessions = sessions(1500)
    provider = prevail(WalkLimits())
    assert len(provider.list_all("sessions")) == 1500
    docs_prevail.lie = "ignores-page"
    with pytest.raises(ResponseError) as refused:
        provider.list_all("sessions")
    assert str(refused.value) == (
        "prevail GET /sessions: page 2 holds the same 1000 objects as page 1: the server ignores "
        f"the paging, so the list cannot be read whole; {REFUSAL}"
    )


def test_a_prevail_count_beyond_belief_queues_nothing(
    docs_prevail: DocsPrevail, prevail: Callable[[WalkLimits], PrevailProvider]
) -> None:
    """A `pagy.count` beyond the cap is not believed: the walk stops at the page that said it."""
    docs_prevail.sessions = sessions(30)
    with pytest.raises(ResponseError, match="the list says it holds 30 objects in 1 pages, more "
                       r"than a walk believes \(20 objects"):
        prevail(WalkLimits(max_total=20)).list_all("sessions")
    assert len(docs_prevail.seen) == 1


# -- Previsto -------------------------------------------------------------------------------------


def test_a_previsto_list_that_ignores_page_fails_instead_of_ending(
    serve_docs_previsto: ServeDocsPrevisto,
    previsto: Callable[[str, WalkLimits], PrevistoProvider],
) -> None:
    """`X-Total-Count` says 250, and every page is page 0: the walk read 100 distinct
    assignments and planned from them; now page 1 repeating page 0 fails it."""
    server = serve_docs_previsto(documented_assignments(extra=248), lie="ignores-page")
    with pytest.raises(ResponseError) as refused:
        previsto(server.url, WalkLimits()).list_all()
    assert str(refused.value) == (
        "previsto GET /assignments: page 1 holds the same 100 objects as page 0: the server "
        f"ignores the paging, so the list cannot be read whole; {REFUSAL}"
    )


def test_a_previsto_list_that_never_ends_stops_at_the_page_cap(
    serve_docs_previsto: ServeDocsPrevisto,
    previsto: Callable[[str, WalkLimits], PrevistoProvider],
) -> None:
    """No `X-Total-Count`, and every page full of new assignments: read until the page cap (the
    first request, refused at 1000, is the size fallback's, not the walk's)."""
    server = serve_docs_previsto(lie="never-ends")
    with pytest.raises(ResponseError, match="did not end within 30 pages"):
        previsto(server.url, WalkLimits(max_pages=30)).list_all()
    assert [r.status for r in server.requests] == [400] + [200] * 30


def test_a_previsto_walk_asks_for_a_few_pages_ahead_not_all_of_them(
    serve_docs_previsto: ServeDocsPrevisto,
    previsto: Callable[[str, WalkLimits], PrevistoProvider],
) -> None:
    """A total the walk believes is read a few pages ahead, not queued whole: a walk that fails
    at page 1 has asked for at most `READ_AHEAD` pages past it (of 25)."""
    server = serve_docs_previsto(documented_assignments(extra=2498), lie="ignores-page")
    with pytest.raises(ResponseError, match="page 1 holds the same 100 objects as page 0"):
        previsto(server.url, WalkLimits()).list_all()
    # The refused size, page 0, then page 1 and those in flight with it.
    assert len(server.requests) <= 2 + 1 + READ_AHEAD
