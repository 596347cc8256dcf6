"""How a request is sent (again): retries, `Retry-After`, rate-limit windows, pacing, and the
bounds on every answer and on the run.

`ResilientTransport` wraps the transport of every client `http.build_client` makes, so this
policy lives in one place:

- **Retries** (tenacity): 429, 5xx and connection failures are retried with exponential backoff
  and full jitter. A `Retry-After` is obeyed exactly up to `RetryPolicy.max_retry_after`
  (default 120 s); a longer one is reported (`RetryAfterExceeded`: what the server asked, what
  the run does, when to run again), never silently shortened. A 429 without `Retry-After` from
  an API whose limit is counted per window (Previsto: per minute) is retried until that window
  has passed, not only `attempts` times.
- **No duplicates**: a request that may have reached the server (the response was lost: read
  timeout, connection dropped mid-response, or a 5xx) is retried only when its method is
  idempotent (GET, PUT, PATCH, DELETE); for a POST the transport raises `ResponseLost` instead,
  and apply looks the object up by its key (again once the server must have finished) before
  sending it again.
- **Pacing** (pyrate-limiter's GCRA, one even slot per request): a provider with a documented
  rate limit (Previsto: 120 requests/minute per key) is paced a little under it, so the limit is
  met without provoking a 429 and without waiting longer than it must.
- A certificate that fails verification is never retried: it will not become valid in a second.
- **Bounded answers** (`ResponseLimits`): a body is read as it streams in and given up past
  `max_bytes` (`ResponseTooLarge`, never retried: the same answer would come again), or when,
  once the request's read timeout has passed since its headers, it has arrived slower than
  `min_rate` on average (`TransferTooSlow`, a read timeout: a body that drips never times out on
  the per-read timeout alone).
- **The run's deadline** (`clock.Deadline`, `--deadline`): no request is sent, waited for
  (backoff, `Retry-After`) or read once it has passed (`DeadlineExceeded`); a create whose answer
  was being read then is a lost answer, like any other.
"""

from __future__ import annotations

import email.utils
import functools
import logging
import math
import random
import ssl
import threading
from dataclasses import dataclass
from datetime import timedelta

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    wait_random_exponential,
)

from reconciler.clock import Clock, Deadline
from reconciler.clock import current as current_clock

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Pace at this share of a documented limit: clocks and networks jitter, and a 429 costs more
# than the 2 % given up here.
PACING_SHARE = 0.98
# A wait at least this long is logged as a warning, not only at -v: the run visibly pauses.
LONG_WAIT = 10.0
KIB, MIB = 1024, 1024 * 1024
# How long a body may stream in before its rate counts, for a request sent without a read
# timeout: the CLI's default one.
RATE_GRACE = 30.0


class ResponseLost(httpx.TransportError):
    """A non-idempotent request may have been applied, but its response never arrived (the
    server may even be working on it still)."""


class RetryAfterExceeded(httpx.TransportError):
    """The server asked for a pause longer than `RetryPolicy.max_retry_after`.

    Raised instead of waiting, and, while that pause lasts, instead of sending any further
    request through the same client. The message names the wait, the bound and when to run
    again; it never holds the URL's query (a token could travel there).
    """

    def __init__(
        self, message: str, *, request: httpx.Request, status: int | None, asked: float
    ) -> None:
        super().__init__(message, request=request)
        self.status = status
        self.asked = asked


class DeadlineExceeded(httpx.TransportError):
    """The run's deadline passed: the request was not sent, waited for or read to its end."""


class ResponseTooLarge(httpx.TransportError):
    """An answer's body grew past `ResponseLimits.max_bytes`; what arrived was discarded."""


class TransferTooSlow(httpx.ReadTimeout):
    """An answer's body arrived slower than `ResponseLimits.min_rate`: a timeout, like a read
    that never came."""


@dataclass(frozen=True, kw_only=True)
class ResponseLimits:
    """What one answer may cost to read.

    `max_bytes` (decoded): the largest page the APIs document is a few megabytes (1,000 Prevail
    sessions, 1,000 Previsto assignments, 500 Prospero events); 32 MiB leaves ten times that and
    still bounds a run's memory. `min_rate` (bytes per second, averaged from the headers on, and
    only once the request's read timeout has passed since them): 16 KiB/s reads such a page in
    well under the default deadline on a link as slow as 128 kbit/s.
    """

    max_bytes: int = 32 * MIB
    min_rate: float = 16 * KIB


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How often and how patiently a request is tried.

    `attempts` in all, with exponential backoff (full jitter) from `initial_wait` up to
    `max_wait` seconds between them. A `Retry-After` is obeyed exactly when it asks for at most
    `max_retry_after` seconds; a longer one is reported, not obeyed (`RetryAfterExceeded`).
    `rate_window` replaces the window of a provider's documented per-window rate limit (tests
    shorten it); None keeps the provider's own.
    """

    attempts: int = 5
    initial_wait: float = 0.5
    max_wait: float = 30.0
    max_retry_after: float = 120.0
    rate_window: float | None = None


class _Retry(Exception):
    """Internal: one attempt failed in a way worth another try.

    `response` is the answer, or `error` the transport's failure, that the caller meets if this
    was the last try; `asked` is the server's `Retry-After` (seconds, within the policy's
    bound); `throttled` says the answer was a 429 without one, from an API whose limit is
    counted per window.
    """

    def __init__(
        self,
        reason: str,
        *,
        response: httpx.Response | None = None,
        error: httpx.TransportError | None = None,
        asked: float | None = None,
        throttled: bool = False,
    ) -> None:
        super().__init__(reason)
        self.response = response
        self.error = error
        self.asked = asked
        self.throttled = throttled


@dataclass
class _Progress:
    """One request's way through its attempts: when it was first refused for the rate limit."""

    throttled_since: float | None = None


class Pacer:
    """Evenly spaced request slots at a share of a rate limit (thread-safe, blocking).

    pyrate-limiter's GCRA decides each slot and how long until the next one; the wait itself is
    the injected clock's, so a test sees the pacing as a list of waits instead of spending it.
    """

    def __init__(self, requests_per_minute: float, *, clock: Clock | None = None) -> None:
        # Imported here: pyrate-limiter loads asyncio and multiprocessing, a sixth of start-up,
        # and only a provider with a documented limit is paced.
        from pyrate_limiter import GCRA, Duration, InMemoryStateStore, Rate, StateBucket

        per_minute = max(1, int(requests_per_minute * PACING_SHARE))
        self._clock = clock
        self._bucket = StateBucket(
            [Rate(per_minute, Duration.MINUTE, burst=1)],
            GCRA(),
            InMemoryStateStore(),
        )
        self._lock = threading.Lock()
        self.requests_per_minute = per_minute

    @property
    def clock(self) -> Clock:
        return self._clock or current_clock()

    def wait_turn(self) -> None:
        from pyrate_limiter import RateItem

        # Each slot is stamped with the injected clock's milliseconds; the bucket reads no
        # clock of its own.
        while True:
            with self._lock:
                item = RateItem("requests", int(self.clock.monotonic() * 1000))
                if self._bucket.put(item):
                    return
                wait_ms = self._bucket.waiting(item)
                assert isinstance(wait_ms, int)  # an in-memory store answers synchronously
            # Outside the lock: another thread may take its slot meanwhile (then this one
            # waits again for the next).
            self.clock.sleep(max(wait_ms, 1) / 1000, why="pacing")


class ResilientTransport(httpx.BaseTransport):
    """Wraps a transport with retries and pacing; the only place requests are re-sent.

    How long it waits before another try:
    - the server's `Retry-After`, exactly, when it asks for at most `max_retry_after` seconds;
      every request through this client then holds back until that moment, not only the one
      refused. A longer pause is not waited for: the request fails at once with a message naming
      the wait, and no further request is sent until the pause is over;
    - a 429 without `Retry-After` from an API whose limit is counted per window (`rate_window`,
      Previsto: 60 s): backoff doubling up to half the window, and the attempts do not run out
      before a whole window has passed since the first refusal, since a slot may free only then
      (unless no retries were asked for at all);
    - anything else: exponential backoff with full jitter, `attempts` in all.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        provider: str,
        policy: RetryPolicy,
        pacer: Pacer | None = None,
        rate_window: float | None = None,
        clock: Clock | None = None,
        limits: ResponseLimits | None = None,
        deadline: Deadline | None = None,
    ) -> None:
        self.inner = inner
        self._clock = clock
        self.limits = limits or ResponseLimits()
        self.deadline = deadline
        self.provider = provider
        self.policy = policy
        self.pacer = pacer
        # The policy's window stands in for a documented one (a test shortens Previsto's minute);
        # it gives none to an API that documents none.
        self.rate_window = (
            policy.rate_window
            if rate_window is not None and policy.rate_window is not None
            else rate_window
        )
        self.retries = 0
        self.rate_limited = 0
        self._pause_lock = threading.Lock()
        self._resume_at = 0.0  # the clock's monotonic() before which the server asked for quiet
        self._paused_for = 0.0  # how long that pause was, as the server asked (seconds)

    @property
    def clock(self) -> Clock:
        """The clock given, else the one installed when the time is read."""
        return self._clock or current_clock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._check_deadline(request, "not sent")
        self._honour_pause(request)
        progress = _Progress()
        retrying = Retrying(
            sleep=functools.partial(self._sleep, request),
            stop=functools.partial(self._stop, progress),
            wait=self._wait,
            retry=retry_if_exception_type(_Retry),
            before_sleep=functools.partial(self._log_retry, request),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    last = attempt.retry_state.attempt_number >= self.policy.attempts
                    return self._attempt(request, progress, last=last)
        except _Retry as final:
            if final.response is not None:
                return final.response
            # The last failure as it was (a read timeout is not a refused connection): the
            # caller's message names what happened.
            raise final.error or httpx.ConnectError(str(final), request=request) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(
        self, request: httpx.Request, progress: _Progress, *, last: bool
    ) -> httpx.Response:
        if self.pacer is not None:
            self.pacer.wait_turn()
            self._check_deadline(request, "not sent")
        idempotent = request.method in IDEMPOTENT
        try:
            response = self.inner.handle_request(request)
            # Read the body here, inside the retry: a connection dropped mid-body is a lost
            # response like any other, not an error the caller meets later.
            response = self._read_body(request, response)
        except (ResponseTooLarge, DeadlineExceeded) as error:
            if not idempotent:
                # The server may have acted on it: apply looks before sending it again.
                raise ResponseLost(
                    f"{request.method} {request.url.path}: the answer was given up ({error})",
                    request=request,
                ) from None
            raise
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            if certificate_failure(error) is not None:
                raise  # the caller names it; the certificate will be no better next time
            # Never reached the server: safe to send again whatever the method.
            raise _Retry(f"{type(error).__name__}", error=error) from None
        except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError,
                httpx.ReadError, httpx.WriteError) as error:
            if not idempotent:
                raise ResponseLost(
                    f"{request.method} {request.url.path}: the response was lost "
                    f"({type(error).__name__})",
                    request=request,
                ) from None
            raise _Retry(f"{type(error).__name__}", error=error) from None
        status = response.status_code
        if status not in RETRY_STATUSES:
            return response
        response.close()
        if status == 429:
            self.rate_limited += 1
        if not idempotent and status not in (429, 503):
            # A 5xx other than 503 may follow a commit: let apply look first.
            if last:
                return response
            raise ResponseLost(
                f"{request.method} {request.url.path}: answered {status}", request=request
            )
        asked = retry_after(response)
        if asked is not None:
            self._pause(asked)
            if asked > self.policy.max_retry_after:
                raise RetryAfterExceeded(
                    f"answered {status} and asked to wait {_seconds(asked)} before retrying "
                    f"(Retry-After), more than the {_seconds(self.policy.max_retry_after)} a "
                    f"run waits (--max-retry-after); {_next_run(self.clock, asked)}",
                    request=request,
                    status=status,
                    asked=asked,
                )
        throttled = status == 429 and asked is None and self.rate_window is not None
        if throttled and progress.throttled_since is None:
            progress.throttled_since = self.clock.monotonic()
        raise _Retry(f"status {status}", response=response, asked=asked, throttled=throttled)

    def _read_body(self, request: httpx.Request, response: httpx.Response) -> httpx.Response:
        """The response with its body read within `limits` and the deadline (a new response
        holding the decoded body; the stream it came on is closed)."""
        clock = self.clock
        started = clock.monotonic()
        timeout = request.extensions.get("timeout", {}).get("read")
        grace = float(timeout) if isinstance(timeout, int | float) else RATE_GRACE
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.limits.max_bytes:
                    raise ResponseTooLarge(
                        f"the answer is larger than {_size(self.limits.max_bytes)}, more than "
                        "any page an API documents; it was not read further",
                        request=request,
                    )
                chunks.append(chunk)
                elapsed = clock.monotonic() - started
                rate = response.num_bytes_downloaded / elapsed if elapsed > 0 else math.inf
                if elapsed > grace and rate < self.limits.min_rate:
                    raise TransferTooSlow(
                        f"the answer arrived at {_size(rate)}/s for {_seconds(elapsed)}, slower "
                        f"than the {_size(self.limits.min_rate)}/s a run waits for",
                        request=request,
                    )
                self._check_deadline(request, "its answer was not read to the end")
        except BaseException:
            response.close()
            raise
        # The body is decoded already: the copy must not be decoded again.
        headers = [(name, value) for name, value in response.headers.multi_items()
                   if name.lower() not in ("content-encoding", "content-length")]
        return httpx.Response(
            response.status_code, headers=headers, content=b"".join(chunks), request=request,
            extensions=response.extensions,
        )

    def _check_deadline(self, request: httpx.Request, what: str) -> None:
        if self.deadline is not None and self.deadline.remaining() <= 0:
            raise DeadlineExceeded(_deadline_passed(self.deadline, what), request=request)

    def _honour_pause(self, request: httpx.Request) -> None:
        """Hold a request back while the server's last `Retry-After` lasts (or refuse it)."""
        with self._pause_lock:
            remaining = self._resume_at - self.clock.monotonic()
            paused_for = self._paused_for
        if remaining <= 0:
            return
        if remaining > self.policy.max_retry_after:
            raise RetryAfterExceeded(
                f"not sent: the server asked for a pause of {_seconds(paused_for)} "
                f"(Retry-After), more than the {_seconds(self.policy.max_retry_after)} a run "
                f"waits (--max-retry-after); {_next_run(self.clock, remaining)}",
                request=request,
                status=None,
                asked=paused_for,
            )
        if self.deadline is not None and remaining >= self.deadline.remaining():
            raise DeadlineExceeded(
                _deadline_passed(self.deadline, "not sent: the server's pause (Retry-After) "
                                 "outlasts it"),
                request=request,
            )
        log.info("%s: holding %s %s for %.1f s: the server asked for a pause (Retry-After)",
                 self.provider, request.method, request.url.path, remaining)
        self.clock.sleep(remaining, why="retry-after")

    def _sleep(self, request: httpx.Request, seconds: float) -> None:
        # A retry that could only be sent after the deadline is not waited for.
        if self.deadline is not None and seconds >= self.deadline.remaining():
            raise DeadlineExceeded(
                _deadline_passed(self.deadline, "not retried: the next try would come after it"),
                request=request,
            )
        self.clock.sleep(seconds, why="retry")

    def _pause(self, seconds: float) -> None:
        with self._pause_lock:
            until = self.clock.monotonic() + seconds
            if until > self._resume_at:
                self._resume_at, self._paused_for = until, seconds

    def _stop(self, progress: _Progress, state: RetryCallState) -> bool:
        if state.attempt_number < self.policy.attempts:
            return False
        if self.policy.attempts <= 1:
            return True  # no retries asked for (`--max-retries 0`): not even a window's
        error = state.outcome.exception() if state.outcome else None
        if (
            isinstance(error, _Retry)
            and error.throttled
            and self.rate_window is not None
            and progress.throttled_since is not None
        ):
            # A slot in a per-window limit may free only when the window has passed: giving up
            # earlier would fail a run that a little patience completes.
            return self.clock.monotonic() - progress.throttled_since >= self.rate_window
        return True

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _Retry):
            if error.asked is not None:
                # The server said when (within the bound, or _attempt refused it): waiting less
                # provokes another refusal, waiting more is time lost.
                return float(error.asked)
            if error.throttled and self.rate_window is not None:
                # Equal jitter: at least half of each step, so retries spread over the window
                # instead of bunching at its start; never less than a hundredth of the window,
                # so `--retry-wait 0` does not turn a window into a flood of requests.
                first = max(self.policy.initial_wait, self.rate_window / 100)
                ceiling = min(first * 2.0 ** (state.attempt_number - 1), self.rate_window / 2)
                return ceiling / 2 + random.uniform(0, ceiling / 2)
        backoff = wait_random_exponential(
            multiplier=self.policy.initial_wait, max=self.policy.max_wait
        )(state)
        return float(backoff)

    def _log_retry(self, request: httpx.Request, state: RetryCallState) -> None:
        self.retries += 1
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        endpoint = f"{request.method} {request.url.path}"
        attempt = state.attempt_number + 1
        # A long pause is a warning: without a word, a run that waits a minute looks hung. So is
        # an API's first retry, once: an unreachable API is otherwise seconds of silence.
        first = self.retries == 1
        level = logging.WARNING if wait >= LONG_WAIT or first else logging.INFO
        more = "; -v logs each further retry" if first else ""
        if isinstance(error, _Retry) and error.asked is not None:
            log.log(level, "%s: %s %s; waiting %.1f s as its Retry-After asks (attempt %d)%s",
                    self.provider, endpoint, error, wait, attempt, more)
        elif isinstance(error, _Retry) and error.throttled:
            log.log(level, "%s: %s was refused by the rate limit (429 without Retry-After; the "
                    "limit is counted per %s); waiting %.1f s (attempt %d)%s", self.provider,
                    endpoint, _seconds(self.rate_window or 0.0), wait, attempt, more)
        else:
            log.log(level, "%s: retrying %s after %s in %.1f s (attempt %d)%s", self.provider,
                    endpoint, error, wait, attempt, more)

    def close(self) -> None:
        self.inner.close()


def _seconds(value: float) -> str:
    return f"{value:g} s" if value < 10 else f"{value:.0f} s"


def _size(count: float) -> str:
    if count >= MIB:
        return f"{count / MIB:.0f} MiB"
    return f"{count / KIB:.0f} KiB" if count >= KIB else f"{count:.0f} bytes"


def _deadline_passed(deadline: Deadline, what: str) -> str:
    return (f"the run's deadline ({_seconds(deadline.seconds)}, --deadline) has passed; {what}; "
            "raise --deadline if the API is this slow")


def _next_run(clock: Clock, seconds: float) -> str:
    """What to do about a pause too long to wait: when to run again."""
    try:
        moment = clock.utcnow() + timedelta(seconds=seconds)
    except OverflowError:
        return "run again much later, or raise --max-retry-after"
    return f"run again after {moment:%Y-%m-%d %H:%M:%S} UTC, or raise --max-retry-after"


def certificate_failure(error: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification error behind a transport error (None: it is not one).

    httpx wraps httpcore's error, which wraps the ssl module's; walk the whole chain.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date); None when absent or
    unreadable (a non-finite number is unreadable: it cannot be waited for)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - current_clock().time())
