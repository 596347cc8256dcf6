"""Retries against the sandbox's injected faults: what `Retry-After` and rate limits make the
client do, read from the sandbox's request log (how many requests, how far apart)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from itertools import pairwise

import httpx
import pytest

from reconciler.http import RetryAfterExceeded, RetryPolicy, build_client
from reconciler.sandbox import SandboxSettings
from reconciler.sandbox.app import Sandbox
from reconciler.sandbox.context import RequestRecord
from reconciler.sandbox.faults import Fault

ROUTE = "^/previsto/contacts$"


@pytest.fixture
def sandbox_settings() -> SandboxSettings:
    # The emulator's own limit out of the way: only the injected faults refuse.
    return SandboxSettings(admin=True, previsto_requests_per_minute=10**6)


def client(
    sandbox_url: str, policy: RetryPolicy, *, rate_window: float | None = None
) -> httpx.Client:
    return build_client(
        "previsto",
        f"{sandbox_url}/previsto",
        auth=httpx.BasicAuth("sk_sandbox", ""),
        policy=policy,
        rate_window=rate_window,
    )


@pytest.fixture
def fast(sandbox_url: str) -> Iterator[httpx.Client]:
    with client(sandbox_url, RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.01)) as made:
        yield made


def contacts(sandbox: Sandbox) -> list[RequestRecord]:
    return [r for r in sandbox.requests.snapshot() if r.path == "/previsto/contacts"]


def gaps(records: list[RequestRecord]) -> list[float]:
    return [b.received_at - a.received_at for a, b in pairwise(records)]


def storm(sandbox: Sandbox, *, times: int | None, retry_after: float | None = None) -> Fault:
    return sandbox.faults.add(
        Fault(kind="status", path=ROUTE, status=429, times=times, retry_after=retry_after)
    )


def test_a_retry_after_within_the_bound_is_waited_exactly_even_past_the_backoff_cap(
    sandbox: Sandbox, sandbox_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """api-contract.md, Prospero — Errors: 429 carries `Retry-After` seconds [model]; the client
    waits what it asks, not the backoff cap (`max_wait` 0.01 s here), when within the bound."""
    storm(sandbox, times=1, retry_after=0.3)
    policy = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.01, max_retry_after=1)
    with caplog.at_level(logging.INFO), client(sandbox_url, policy) as http:
        assert http.get("contacts").status_code == 200
    seen = contacts(sandbox)
    assert [r.status for r in seen] == [429, 200]
    assert gaps(seen)[0] >= 0.3
    assert "waiting 0.3 s as its Retry-After asks" in caplog.text


def test_a_retry_after_beyond_the_bound_stops_and_says_what_was_asked(
    sandbox: Sandbox, sandbox_url: str
) -> None:
    """api-contract.md, Prospero — Errors: 429 with `Retry-After` [model]. An hour is not cut to
    the backoff cap without a word: the request stops at once with a message naming the wait,
    the bound, the option that raises it and when to run again."""
    storm(sandbox, times=None, retry_after=3600)
    with client(sandbox_url, RetryPolicy(max_retry_after=120)) as http:
        with pytest.raises(RetryAfterExceeded) as refused:
            http.get("contacts")
        message = str(refused.value)
        assert "answered 429 and asked to wait 3600 s before retrying (Retry-After)" in message
        assert "more than the 120 s a run waits (--max-retry-after)" in message
        assert "run again after " in message and " UTC" in message
        assert refused.value.status == 429 and refused.value.asked == 3600
        assert len(contacts(sandbox)) == 1
        # While the server's pause lasts, nothing more is sent through this client.
        with pytest.raises(RetryAfterExceeded, match=r"^not sent: the server asked for a pause"):
            http.get("contacts")
    assert len(contacts(sandbox)) == 1


def test_a_pause_within_the_bound_holds_the_next_request_too(
    sandbox: Sandbox, sandbox_url: str
) -> None:
    """api-contract.md, Prospero — Errors: 429 `Retry-After` [model]: the pause the server asked
    for applies to the client, so a request after the answer (here a retry that ran out of
    attempts) waits for the rest of it before it is sent."""
    storm(sandbox, times=1, retry_after=0.4)
    with client(sandbox_url, RetryPolicy(attempts=1, max_retry_after=1)) as http:
        assert http.get("contacts").status_code == 429
        assert http.get("contacts").status_code == 200
    assert gaps(contacts(sandbox))[0] >= 0.4


def test_a_429_without_retry_after_is_retried_until_the_window_has_passed(
    sandbox: Sandbox, sandbox_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """api-contract.md, Previsto — Rate limit: 120 requests per minute per key, 429 with no
    `Retry-After` [model]. Two attempts would be over in milliseconds; a refusal that lasts the
    whole window (0.5 s here, 60 s for Previsto) is retried with growing pauses until it has
    passed, and only then reported."""
    storm(sandbox, times=None)
    policy = RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.01)
    with caplog.at_level(logging.INFO), client(sandbox_url, policy, rate_window=0.5) as http:
        assert http.get("contacts").status_code == 429
    seen = contacts(sandbox)
    assert {r.status for r in seen} == {429}
    assert seen[-1].received_at - seen[0].received_at >= 0.5
    # Each pause is at least half its step, the steps double from 0.01 s up to half the window,
    # so the attempts are spread out and few: at most 10 before the window is covered.
    steps = [min(0.01 * 2**n, 0.25) for n in range(len(seen) - 1)]
    assert all(gap >= step / 2 for gap, step in zip(gaps(seen), steps, strict=True))
    assert 3 <= len(seen) <= 10
    assert "429 without Retry-After; the limit is counted per 0.5 s" in caplog.text


def test_a_429_storm_shorter_than_the_window_ends_in_success(
    sandbox: Sandbox, sandbox_url: str
) -> None:
    """api-contract.md, Previsto — Rate limit [doc 120/min; model: no `Retry-After`]: four
    refusals in a row outlast two attempts but not the window, so the fifth request succeeds."""
    storm(sandbox, times=4)
    policy = RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.01)
    with client(sandbox_url, policy, rate_window=5) as http:
        assert http.get("contacts").status_code == 200
    assert [r.status for r in contacts(sandbox)] == [429, 429, 429, 429, 200]


def test_without_a_documented_window_a_429_gets_the_plain_attempts(
    sandbox: Sandbox, fast: httpx.Client
) -> None:
    """api-contract.md, Prospero — Errors: 429 [doc]; Prospero documents no window, so a 429
    without `Retry-After` is retried `attempts` times and then answered as it is."""
    storm(sandbox, times=None)
    assert fast.get("contacts").status_code == 429
    assert len(contacts(sandbox)) == 2


def test_a_policy_window_shortens_a_documented_window_and_makes_none_where_there_is_none(
    sandbox: Sandbox, sandbox_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """api-contract.md, Previsto — Rate limit: 120 requests per minute per key, 429 without
    `Retry-After` [model]. A retry policy's window stands in for the documented one (0.3 s for
    60 s here: the refusals end in the answer, not in a minute's retries) and gives no window to
    an API that documents none (two attempts)."""
    storm(sandbox, times=None)
    policy = RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.01, rate_window=0.3)
    with caplog.at_level(logging.INFO), client(sandbox_url, policy, rate_window=60) as http:
        assert http.get("contacts").status_code == 429
    assert "the limit is counted per 0.3 s" in caplog.text
    windowed = contacts(sandbox)
    assert windowed[-1].received_at - windowed[0].received_at >= 0.3
    sandbox.requests.clear()
    with client(sandbox_url, policy) as http:
        assert http.get("contacts").status_code == 429
    assert len(contacts(sandbox)) == 2


def test_a_request_that_times_out_every_time_fails_as_a_timeout(
    sandbox: Sandbox, sandbox_url: str
) -> None:
    """api-contract.md, The sandbox — fault: latency. A GET whose answer is late on every
    attempt (each reached the server) fails as the read timeout it is, not as a connection
    refused, so the provider's message says it timed out."""
    sandbox.faults.add(Fault(kind="latency", path=ROUTE, seconds=1.0, times=2))
    http = build_client(
        "previsto", f"{sandbox_url}/previsto", auth=httpx.BasicAuth("sk_sandbox", ""),
        policy=RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.01),
        timeout=httpx.Timeout(0.2),
    )
    with http, pytest.raises(httpx.ReadTimeout):
        http.get("contacts")
    assert len(contacts(sandbox)) == 2


@pytest.mark.parametrize("header", [float("inf"), float("nan")])
def test_a_retry_after_that_cannot_be_waited_for_is_ignored(
    sandbox: Sandbox, fast: httpx.Client, header: float
) -> None:
    """api-contract.md, Prospero — Errors: `Retry-After` seconds [model]: a value that is no
    number of seconds is read as absent, and the plain backoff applies."""
    storm(sandbox, times=1, retry_after=header)
    assert fast.get("contacts").status_code == 200
    assert [r.status for r in contacts(sandbox)] == [429, 200]


def test_no_retries_asked_for_means_none_even_in_a_window(
    sandbox: Sandbox, sandbox_url: str
) -> None:
    """api-contract.md, Previsto — Rate limit: 429 without `Retry-After` [model]; with
    `--max-retries 0` (one attempt) the refusal is answered at once, the window notwithstanding."""
    storm(sandbox, times=None)
    with client(sandbox_url, RetryPolicy(attempts=1), rate_window=60) as http:
        assert http.get("contacts").status_code == 429
    assert len(contacts(sandbox)) == 1
