"""Prospero's access token expires under requests in flight: one refresh serves all of them."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from reconciler.config import load
from reconciler.providers import build_providers
from reconciler.providers.prospero import ProsperoProvider
from reconciler.providers.prospero_auth import ACCESS_TOKEN_LIFE, RENEW_AHEAD
from tests.fixtures.clock import FakeClock
from tests.fixtures.repo import Repo

ACCESS_TOKEN_HOURS = 1  # as Prospero's docs say; the sandbox's default
IN_FLIGHT = 8  # apply's default --parallelism


class Clock:
    """The sandbox's clock, moved forward by the test."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _auth_requests(repo: Repo) -> list[str]:
    return [r.path for r in repo.requests() if r.path.startswith("/prospero/auth/")]


def test_threads_that_meet_an_expired_token_share_one_refresh(repo: Repo) -> None:
    """api-contract.md, Prospero — the client logs in (or refreshes) once per run, refreshes once on
    a 401."""
    clock = Clock()
    repo.sandbox.context.clock = clock
    providers = build_providers(load(repo.root))
    prospero = providers["prospero"]
    assert isinstance(prospero, ProsperoProvider)
    try:
        assert prospero.get("events", {"limit": "1"}).status_code == 200
        assert _auth_requests(repo) == ["/prospero/auth/login"]
        repo.forget_requests()

        clock.now += ACCESS_TOKEN_HOURS * 3600 + 1  # every request now meets an expired token
        start = threading.Barrier(IN_FLIGHT)

        def one(_: int) -> int:
            start.wait()
            return prospero.get("events", {"limit": "1"}).status_code

        with ThreadPoolExecutor(IN_FLIGHT) as pool:
            statuses = list(pool.map(one, range(IN_FLIGHT)))

        assert statuses == [200] * IN_FLIGHT
        assert _auth_requests(repo) == ["/prospero/auth/refresh"]
        expired = [r for r in repo.requests() if r.path == "/prospero/events" and r.status == 401]
        assert 1 <= len(expired) <= IN_FLIGHT  # they did meet the expired token
    finally:
        for provider in providers.values():
            provider.client.close()


def test_a_token_near_the_end_of_its_hour_is_renewed_before_a_request_meets_a_401(
    repo: Repo, clock: FakeClock
) -> None:
    """A long-running watch: the token this process obtained is renewed shortly before its
    documented hour is up, so no request is refused and sent again."""
    repo.sandbox.context.clock = clock.time  # one time for the client and the server
    providers = build_providers(load(repo.root))
    prospero = providers["prospero"]
    assert isinstance(prospero, ProsperoProvider)
    try:
        assert prospero.get("events", {"limit": "1"}).status_code == 200
        clock.advance(ACCESS_TOKEN_LIFE - RENEW_AHEAD / 2)  # 57.5 minutes: not expired yet
        assert prospero.get("events", {"limit": "1"}).status_code == 200
        clock.advance(ACCESS_TOKEN_LIFE - RENEW_AHEAD / 2)  # the renewed token is good as long
        assert prospero.get("events", {"limit": "1"}).status_code == 200
        assert _auth_requests(repo) == [
            "/prospero/auth/login", "/prospero/auth/refresh", "/prospero/auth/refresh"
        ]
        assert [r.status for r in repo.requests() if r.path == "/prospero/events"] == [200] * 3
    finally:
        for provider in providers.values():
            provider.client.close()
