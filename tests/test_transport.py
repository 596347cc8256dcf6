"""Retries against the sandbox's injected faults: what `Retry-After` and rate limits make the
client do, read from the sandbox's request log (how many requests) and from the injected clock
(how long it waited before each: recorded, not spent)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from reconciler.http import RetryAfterExceeded, RetryPolicy, build_client
from reconciler.sandbox import SandboxSettings
from reconciler.sandbox.app import Sandbox
from reconciler.sandbox.context import RequestRecord
from reconciler.sandbox.faults import Fault
from tests.fixtures.clock import FakeClock

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


def storm(sandbox: Sandbox, *, times: int | None, retry_after: float | None = None) -> Fault:
    return sandbox.faults.add(
        Fault(kind="status", path=ROUTE, status=429, times=times, retry_after=retry_after)
    )


def test_a_retry_after_within_the_bound_is_waited_exactly_even_past_the_backoff_cap(
    sandbox: Sandbox, sandbox_url: str, caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    """api-contract.md, Prospero — Errors: 429 carries `Retry-After` seconds [model]; the client
    waits what it asks, not the backoff cap (`max_wait` 0.01 s here), when within the bound."""
    storm(sandbox, times=1, retry_after=7)
    policy = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.01, max_retry_after=120)
    with caplog.at_level(logging.INFO), client(sandbox_url, policy) as http:
        assert http.get("contacts").status_code == 200
    seen = contacts(sandbox)
    assert [r.status for r in seen] == [429, 200]
    assert clock.waits == [7.0]  # the Retry-After, exactly: not the 0.01 s cap, nothing more
    assert "waiting 7.0 s as its Retry-After asks" in caplog.text


def test_a_retry_after_beyond_the_bound_stops_and_says_what_was_asked(
    sandbox: Sandbox, sandbox_url: str, clock: FakeClock
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
        resume = clock.utcnow() + timedelta(seconds=3600)
        assert f"run again after {resume:%Y-%m-%d %H:%M:%S} UTC" in message
        assert refused.value.status == 429 and refused.value.asked == 3600
        assert len(contacts(sandbox)) == 1
        # While more of the server's pause is left than a run waits, nothing more is sent.
        clock.advance(3000)
        with pytest.raises(RetryAfterExceeded, match=r"^not sent: the server asked for a pause"):
            http.get("contacts")
        assert len(contacts(sandbox)) == 1
        assert clock.waits == []  # an hour is refused, not slept
        # With 100 s left, within the bound, the next request waits them out and goes.
        clock.advance(500)
        with pytest.raises(RetryAfterExceeded, match=r"^answered 429"):
            http.get("contacts")
    assert len(contacts(sandbox)) == 2
    assert clock.waits == [pytest.approx(100.0)]


def test_a_pause_within_the_bound_holds_the_next_request_too(
    sandbox: Sandbox, sandbox_url: str, clock: FakeClock
) -> None:
    """api-contract.md, Prospero — Errors: 429 `Retry-After` [model]: the pause the server asked
    for applies to the client, so a request after the answer (here a retry that ran out of
    attempts) waits for the rest of it before it is sent."""
    storm(sandbox, times=1, retry_after=40)
    with client(sandbox_url, RetryPolicy(attempts=1, max_retry_after=120)) as http:
        assert http.get("contacts").status_code == 429
        assert clock.waits == []  # one attempt: the refusal is answered at once
        clock.advance(15)  # the caller takes 15 s before its next request
        assert http.get("contacts").status_code == 200
    assert clock.waits == [pytest.approx(25.0)]  # held for the rest of the 40 s pause, no more
    assert [r.status for r in contacts(sandbox)] == [429, 200]


def test_a_429_without_retry_after_is_retried_until_the_window_has_passed(
    sandbox: Sandbox, sandbox_url: str, caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    """api-contract.md, Previsto — Rate limit: 120 requests per minute per key, 429 with no
    `Retry-After` [model]. Two attempts would be over in milliseconds; a refusal that lasts the
    whole window (Previsto's 60 s) is retried with growing pauses until it has passed, and only
    then reported."""
    storm(sandbox, times=None)
    policy = RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.01)
    with caplog.at_level(logging.INFO), client(sandbox_url, policy, rate_window=60) as http:
        assert http.get("contacts").status_code == 429
    seen = contacts(sandbox)
    assert {r.status for r in seen} == {429}
    assert len(seen) == len(clock.waits) + 1
    # The last try comes once the window has passed since the first refusal, not before it.
    assert sum(clock.waits[:-1]) < 60 <= sum(clock.waits)
    # Each pause is at least half its step, the steps double from a hundredth of the window
    # (0.6 s) up to half of it, so the attempts are spread out and few.
    steps = [min(0.6 * 2**n, 30.0) for n in range(len(clock.waits))]
    assert all(step / 2 <= wait <= step for wait, step in zip(clock.waits, steps, strict=True))
    assert 3 <= len(seen) <= 10
    assert "429 without Retry-After; the limit is counted per 60 s" in caplog.text


def test_a_429_storm_shorter_than_the_window_ends_in_success(
    sandbox: Sandbox, sandbox_url: str, clock: FakeClock
) -> None:
    """api-contract.md, Previsto — Rate limit [doc 120/min; model: no `Retry-After`]: four
    refusals in a row outlast two attempts but not the window, so the fifth request succeeds."""
    storm(sandbox, times=4)
    policy = RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.01)
    with client(sandbox_url, policy, rate_window=60) as http:
        assert http.get("contacts").status_code == 200
    assert [r.status for r in contacts(sandbox)] == [429, 429, 429, 429, 200]
    assert len(clock.waits) == 4 and sum(clock.waits) < 60


def test_without_a_documented_window_a_429_gets_the_plain_attempts(
    sandbox: Sandbox, fast: httpx.Client
) -> None:
    """api-contract.md, Prospero — Errors: 429 [doc]; Prospero documents no window, so a 429
    without `Retry-After` is retried `attempts` times and then answered as it is."""
    storm(sandbox, times=None)
    assert fast.get("contacts").status_code == 429
    assert len(contacts(sandbox)) == 2


def test_a_policy_window_shortens_a_documented_window_and_makes_none_where_there_is_none(
    sandbox: Sandbox, sandbox_url: str, caplog: pytest.LogCaptureFixture, clock: FakeClock
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
    assert sum(clock.waits[:-1]) < 0.3 <= sum(clock.waits) < 60
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
    sandbox.faults.add(Fault(kind="latency", path=ROUTE, seconds=0.1, times=2))
    http = build_client(
        "previsto", f"{sandbox_url}/previsto", auth=httpx.BasicAuth("sk_sandbox", ""),
        policy=RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.01),
        timeout=httpx.Timeout(0.03),
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
