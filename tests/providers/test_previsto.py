"""The Previsto provider as a tolerant reader: how it pages through servers that answer as the
docs show (or a little differently), and how it waits out Previsto's per-minute rate limit."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.config import load
from reconciler.http import RetryPolicy, build_client
from reconciler.model import DeclaredObject, Location, ObjectOptions, ProviderSettings
from reconciler.providers import build_providers
from reconciler.providers.previsto import PrevistoProvider
from reconciler.sandbox.faults import Fault
from reconciler.sandbox.server import running
from tests.fixtures.clock import FakeClock
from tests.fixtures.docs_previsto import (
    DOCUMENTED_ID,
    KEY,
    REFERENCE_ID,
    ServeDocsPrevisto,
    documented_assignments,
)
from tests.fixtures.repo import Repo, providers_yaml

FALLBACK = "reading pages of 100 for the rest of this run"


Open = Callable[[str], PrevistoProvider]


@pytest.fixture
def previsto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Open]:
    """Build the Previsto provider for a base URL as a run does (closed after the test)."""
    monkeypatch.setenv("PREVISTO_API_KEY", KEY)
    built: list[PrevistoProvider] = []

    def open_provider(base_url: str) -> PrevistoProvider:
        (tmp_path / "providers.yaml").write_text(
            f"version: 1\nproviders:\n  previsto:\n    base_url: {base_url}\n"
            "    api_key: ${PREVISTO_API_KEY}\n    requests_per_minute: 60000\n",
            encoding="utf-8",
        )
        provider = build_providers(load(tmp_path))["previsto"]
        assert isinstance(provider, PrevistoProvider)
        built.append(provider)
        return provider

    yield open_provider
    for provider in built:
        provider.client.close()


def pages(server_requests: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """The first two list requests in order, the rest (read concurrently) sorted."""
    return server_requests[:2] + sorted(server_requests[2:])


# -- paging: the page size the docs disagree on ---------------------------------------------------


def test_the_larger_page_is_refused_once_per_run(
    previsto: Open, serve_docs_previsto: ServeDocsPrevisto, caplog: pytest.LogCaptureFixture
) -> None:
    """api-contract.md, Previsto — Pagination: the client asks for the larger page (1000) and
    falls back to 100 once for the run on a 400 naming `size`, logged at -v (INFO)."""
    server = serve_docs_previsto(documented_assignments(extra=248))
    provider = previsto(server.url)
    with caplog.at_level(logging.INFO, logger="reconciler"):
        assert len(provider.list_all()) == 250
        assert len(provider.list_all()) == 250  # the same run: no second refusal
    walks = [(r.query, r.status) for r in server.requests]
    assert pages(walks[:4]) == [
        ("page=0&size=1000", 400), ("page=0&size=100", 200),
        ("page=1&size=100", 200), ("page=2&size=100", 200),
    ]
    assert sorted(walks[4:]) == [
        ("page=0&size=100", 200), ("page=1&size=100", 200), ("page=2&size=100", 200),
    ]
    assert caplog.text.count(FALLBACK) == 1


def test_a_server_that_allows_1000_is_read_in_one_request(
    previsto: Open, serve_docs_previsto: ServeDocsPrevisto
) -> None:
    """api-contract.md, Previsto — Pagination: the newer developer pages allow 1000 [doc]."""
    server = serve_docs_previsto(documented_assignments(extra=248), max_size=1000)
    assert len(previsto(server.url).list_all()) == 250
    assert [(r.query, r.status) for r in server.requests] == [("page=0&size=1000", 200)]


def test_a_server_that_serves_fewer_than_asked_is_paged_by_what_it_serves(
    previsto: Open, serve_docs_previsto: ServeDocsPrevisto, caplog: pytest.LogCaptureFixture
) -> None:
    """api-contract.md, two rules for the clients (tolerant reader): a server that caps `size`
    at 100 without refusing must not make the walk stop after one page."""
    server = serve_docs_previsto(documented_assignments(extra=248), oversize="cap")
    with caplog.at_level(logging.INFO, logger="reconciler"):
        assert len(previsto(server.url).list_all()) == 250
    # The first page shows the cap; the rest are read concurrently, in any order.
    first, *rest = [(r.query, r.status) for r in server.requests]
    assert [first, *sorted(rest)] == [
        ("page=0&size=1000", 200), ("page=1&size=1000", 200), ("page=2&size=1000", 200),
    ]
    assert "asked for pages of 1000, the server serves 100" in caplog.text


@pytest.mark.parametrize(
    ("extra", "oversize", "expected"),
    [
        # 250: pages of 100 after the refusal, until the short third page.
        (248, "refuse", [("page=0&size=1000", 400), ("page=0&size=100", 200),
                         ("page=1&size=100", 200), ("page=2&size=100", 200)]),
        # 200: the second page is full, so the third (empty) one ends the walk.
        (198, "refuse", [("page=0&size=1000", 400), ("page=0&size=100", 200),
                         ("page=1&size=100", 200), ("page=2&size=100", 200)]),
        # Capped silently at 100: the first page's length is the page size.
        (248, "cap", [("page=0&size=1000", 200), ("page=1&size=1000", 200),
                      ("page=2&size=1000", 200)]),
    ],
)
def test_without_x_total_count_pages_are_read_until_a_short_one(
    previsto: Open,
    serve_docs_previsto: ServeDocsPrevisto,
    extra: int,
    oversize: str,
    expected: list[tuple[str, int]],
) -> None:
    """api-contract.md, Previsto — Pagination: `X-Total-Count` [doc] is read when present; the
    walk does not depend on it (nor on `Link` [model]): a list "empty past the last page" [doc]
    ends it."""
    server = serve_docs_previsto(
        documented_assignments(extra=extra), total_header=False, oversize=oversize
    )
    assert len(previsto(server.url).list_all()) == extra + 2
    assert [(r.query, r.status) for r in server.requests] == expected


# -- the docs' payloads ------------------------------------------------------------------------


def test_the_docs_example_assignments_are_read_and_imported_by_their_local_day(
    previsto: Open, serve_docs_previsto: ServeDocsPrevisto
) -> None:
    """api-contract.md, Previsto — Assignment [doc]: the docs' examples (`address` an object,
    `plan.executionTime` local, `2017-05-31T08:05`) are what import lists; an assignment's day
    is its local day."""
    server = serve_docs_previsto()
    found = {r.remote_id: r for r in previsto(server.url).list_unmanaged()}
    assert set(found) == {DOCUMENTED_ID, REFERENCE_ID}
    assert found[DOCUMENTED_ID].starts_at == "2017-05-31"
    assert found[REFERENCE_ID].starts_at == "2017-06-14"
    assert found[DOCUMENTED_ID].fields == {"metadata": {}}


# -- the rate limit ------------------------------------------------------------------------------


def test_a_429_storm_is_waited_out_within_previstos_window(
    repo: Repo, sandbox_url: str, clock: FakeClock
) -> None:
    """api-contract.md, Previsto — Rate limit: 120 requests per minute per key, 429 without
    `Retry-After` [model]. Five refusals outlast two attempts; the documented window (60 s,
    waited on the injected clock) is waited out, and the walk completes."""
    repo.write("providers.yaml", providers_yaml(sandbox_url, previsto_rate=60_000))  # no pacing
    repo.sandbox.faults.add(
        Fault(kind="status", path="^/previsto/assignments$", status=429, times=5)
    )
    policy = RetryPolicy(attempts=2, initial_wait=0.01)
    providers = build_providers(load(repo.root), policy=policy)
    provider = providers["previsto"]
    assert isinstance(provider, PrevistoProvider)
    try:
        assert len(provider.list_all()) == 5
    finally:
        for built in providers.values():
            built.client.close()
    walks = [r for r in repo.requests() if r.path == "/previsto/assignments"]
    assert [r.status for r in walks] == [429] * 5 + [400, 200]
    # The pauses grow: each between half of its doubling step (from a hundredth of the window)
    # and the step; five, all within the window.
    pauses = clock.waits_for("retry")
    steps = [min(0.6 * 2**n, 30.0) for n in range(5)]
    assert all(step / 2 <= pause <= step for pause, step in zip(pauses, steps, strict=True))
    assert len(pauses) == 5 and sum(pauses) < 60


# -- refresh: the scope's marked assignments, where the server applies the filter -------------


def assignment(ident: str, **meta: str) -> dict[str, Any]:
    return {"id": ident, "meta": meta}


FILTER_BLIND = [
    assignment("asgmt-A", reconciler_key="k1", reconciler_scope="team-a"),
    assignment("asgmt-B", reconciler_key="k2", reconciler_scope="team-a (protected)"),
    assignment("asgmt-C", note="unmanaged"),
    assignment("asgmt-D", reconciler_key="k1", reconciler_scope="team-b"),
]


def test_a_server_that_ignores_filters_is_walked(caplog: pytest.LogCaptureFixture) -> None:
    """api-contract.md, Previsto — Filtering: `meta.<key>=<value>` is [model]. A server that
    answers a filtered list with assignments the filter does not select shows it ignores it:
    the refresh walks every assignment instead (finding every marked one, for prune and
    duplicates), and the run's later refreshes walk at once."""
    seen: list[str] = []

    async def assignments(request: Request) -> Response:
        seen.append(request.url.query)
        page = int(request.query_params.get("page", "0"))
        return JSONResponse(FILTER_BLIND if page == 0 else [], headers={"X-Total-Count": "4"})

    app = Starlette(routes=[Route("/assignments", assignments)])
    settings = ProviderSettings(
        name="previsto", settings={"base_url": "", "api_key": KEY}, secrets=frozenset({KEY}),
        location=Location("providers.yaml", 1, 1),
    )
    declared = DeclaredObject(kind="assignments", key="k1", options=ObjectOptions(),
                              fields={"select": {"id": "asgmt-A"}, "metadata": {}},
                              location=Location("a.yaml", 1, 1))
    with (
        running(app) as origin,
        build_client("previsto", origin, auth=PrevistoProvider.auth(settings)) as client,
        caplog.at_level(logging.INFO, logger="reconciler"),
    ):
        provider = PrevistoProvider(settings=settings, client=client, scope="team-a")
        desired = [provider.canonical(declared)]
        found = {(remote.remote_id, remote.key) for remote in provider.refresh(desired)}
        provider.refresh(desired)
    assert found == {("asgmt-A", "k1"), ("asgmt-B", "k2"), ("asgmt-D", "k1")}
    assert seen == [
        "meta.reconciler_scope=team-a&page=0&size=1000", "page=0&size=1000", "page=0&size=1000",
    ]
    assert caplog.text.count("the server ignores the filter") == 1


def test_an_assignment_whose_meta_is_not_an_object_is_read_as_having_none() -> None:
    """api-contract.md, two rules for the clients (tolerant reader): `meta` [doc] is the
    metadata object; an assignment that carries something else under it (or under `tasks`) is
    read as one without metadata, selected and imported, never a crash."""
    odd = [{"id": "asgmt-A", "meta": ["odd"], "tasks": {"description": "odd"}}]

    async def assignments(_: Request) -> Response:
        return JSONResponse(odd, headers={"X-Total-Count": "1"})

    app = Starlette(routes=[Route("/assignments", assignments)])
    settings = ProviderSettings(
        name="previsto", settings={"base_url": "", "api_key": KEY}, secrets=frozenset({KEY}),
        location=Location("providers.yaml", 1, 1),
    )
    declared = DeclaredObject(kind="assignments", key="k1", options=ObjectOptions(),
                              fields={"select": {"id": "asgmt-A"}, "metadata": {"crew": "x"}},
                              location=Location("a.yaml", 1, 1))
    with (
        running(app) as origin,
        build_client("previsto", origin, auth=PrevistoProvider.auth(settings)) as client,
    ):
        provider = PrevistoProvider(settings=settings, client=client)
        [found] = provider.refresh([provider.canonical(declared)])
        [unmanaged] = provider.list_unmanaged()
    assert (found.remote_id, found.key, found.state) == ("asgmt-A", "k1", "unmarked")
    assert found.fields == {"metadata": {}}
    assert (unmanaged.remote_id, unmanaged.key) == ("asgmt-A", "assignment")


def test_the_client_never_reads_timestamp_as_a_last_change(
    serve_docs_previsto: ServeDocsPrevisto, previsto: Open
) -> None:
    """api-contract.md, Previsto — `timestamp` [doc] is the deprecated alias of
    `plan.executionTime`, a local execution time, not a last-change stamp: nothing documented
    tells when an assignment last changed, so a drift report names no last change for one."""
    assignments = documented_assignments()
    assignments[0]["timestamp"] = assignments[0]["plan"]["executionTime"]
    assignments[0]["meta"] = {"reconciler_key": "docs-example", "reconciler_owned": "crew",
                              "crew": "north"}
    server = serve_docs_previsto(assignments)
    provider = previsto(server.url)
    [found] = [remote for remote in provider.list_all() if remote["id"] == DOCUMENTED_ID]
    assert found["timestamp"] == assignments[0]["plan"]["executionTime"]
    remote = provider.remote(found, "docs-example")
    assert remote.state == "managed"
    assert remote.updated_at is None
