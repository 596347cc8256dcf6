"""Retries against the sandbox's injected faults: what `Retry-After` and rate limits make the
client do, read from the sandbox's request log (how many requests) and from the injected clock
(how long it waited before each: recorded, not spent). Then the bounds on an answer (size, a
minimum rate) against bodies streamed on loopback, and the run's deadline."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from reconciler.clock import Deadline
from reconciler.http import (
    DeadlineExceeded,
    ResponseLimits,
    ResponseLost,
    ResponseTooLarge,
    RetryAfterExceeded,
    RetryPolicy,
    TransferTooSlow,
    build_client,
)
from reconciler.sandbox import SandboxSettings
from reconciler.sandbox.app import Sandbox
from reconciler.sandbox.context import RequestRecord
from reconciler.sandbox.faults import Fault
from tests.fixtures.clock import FakeClock
from tests.fixtures.loopback import LoopbackServers

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


# -- bounded answers and the run's deadline ------------------------------------------------------


def streaming(clock: FakeClock, *, chunk: bytes, chunks: int, tick: float) -> Starlette:
    """An app whose `GET /list` and `POST /list` stream `chunks` times `chunk`, 20 ms apart in
    real time, each moving the client's clock by `tick` (the time it would take on a slow
    link); `served` counts the requests."""

    async def answer(request: Request) -> StreamingResponse:
        app.state.served += 1

        async def body() -> AsyncIterator[bytes]:
            for _ in range(chunks):
                await asyncio.sleep(0.02)
                if await request.is_disconnected():
                    return
                clock.advance(tick)
                yield chunk

        return StreamingResponse(body(), media_type="application/json")

    app = Starlette(routes=[Route("/list", answer, methods=["GET", "POST"])])
    app.state.served = 0
    return app


def test_a_body_that_drips_is_a_timeout_though_no_read_times_out(
    loopback: LoopbackServers, clock: FakeClock
) -> None:
    """a body that drips never trips the per-read timeout. Once the read timeout
    (2 s here) has passed since the headers, a body averaging under 16 KiB/s is a timeout,
    retried like one; each try gave up after 3 s of the client's clock."""
    app = streaming(clock, chunk=b" " * 512, chunks=100, tick=1.0)
    origin = loopback.serve("bounds", app)
    policy = RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.01)
    with build_client("prospero", origin, policy=policy, timeout=httpx.Timeout(2.0)) as http:
        with pytest.raises(TransferTooSlow) as slow:
            http.get("list")
        # A create whose answer drips may have landed: its answer is lost, not failed.
        with pytest.raises(ResponseLost, match="the response was lost"):
            http.post("list")
    assert str(slow.value) == (
        "the answer arrived at 512 bytes/s for 3 s, slower than the 16 KiB/s a run waits for"
    )
    assert app.state.served == 3
    assert clock.waits_for("retry") == [pytest.approx(0.01, abs=0.01)]


def test_a_slow_body_above_the_minimum_rate_is_read_whole(
    loopback: LoopbackServers, clock: FakeClock
) -> None:
    """The minimum rate is a floor, not a time limit: 64 KiB a second for 10 s is read."""
    app = streaming(clock, chunk=b" " * 65536, chunks=10, tick=1.0)
    origin = loopback.serve("bounds", app)
    with build_client("prospero", origin, timeout=httpx.Timeout(2.0)) as http:
        assert len(http.get("list").content) == 10 * 65536


def test_an_answer_larger_than_the_limit_is_given_up_not_retried(
    loopback: LoopbackServers, clock: FakeClock
) -> None:
    """a 1.5 GB answer was read whole (4.3 GB RSS). It is read as it streams and
    given up past the limit (32 MiB), once: the same answer would come again."""
    app = streaming(clock, chunk=b" " * (1024 * 1024), chunks=40, tick=0.0)
    origin = loopback.serve("bounds", app)
    with build_client("prospero", origin) as http, pytest.raises(ResponseTooLarge) as large:
        http.get("list")
    assert str(large.value) == (
        "the answer is larger than 32 MiB, more than any page an API documents; it was not read "
        "further"
    )
    assert app.state.served == 1
    limits = ResponseLimits(max_bytes=1024 * 1024)
    with build_client("prospero", origin, limits=limits) as http:
        with pytest.raises(ResponseTooLarge, match="larger than 1 MiB"):
            http.get("list")
        with pytest.raises(ResponseLost, match="the answer was given up"):
            http.post("list")


def test_nothing_is_sent_or_waited_for_past_the_deadline(
    sandbox: Sandbox, sandbox_url: str, clock: FakeClock
) -> None:
    """a run has a deadline (`--deadline`) on the injected clock. Retry-After pauses
    of 100 s are waited while the deadline (250 s) allows; the third would end after it, so it
    is not waited for, and once it has passed no request is sent at all."""
    sandbox.faults.add(Fault(kind="status", path=ROUTE, status=503, retry_after=100, times=None))
    deadline = Deadline.after(250)
    http = build_client(
        "previsto", f"{sandbox_url}/previsto", auth=httpx.BasicAuth("sk_sandbox", ""),
        policy=RetryPolicy(attempts=10), deadline=deadline,
    )
    with http:
        with pytest.raises(DeadlineExceeded) as passed:
            http.get("contacts")
        assert str(passed.value) == (
            "the run's deadline (250 s, --deadline) has passed; not retried: the next try would "
            "come after it; raise --deadline if the API is this slow"
        )
        assert clock.waits == [100.0, 100.0]
        assert len(contacts(sandbox)) == 3
        clock.advance(50)
        with pytest.raises(DeadlineExceeded, match="has passed; not sent"):
            http.get("contacts")
    assert len(contacts(sandbox)) == 3
