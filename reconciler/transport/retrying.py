"""The retrying transport: every request's attempts, waits and reads, and the run's deadline
(the policy as a whole is described in `reconciler.transport`)."""
from __future__ import annotations

import functools
import logging
import math
import random
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
from reconciler.transport.answers import certificate_failure, retry_after
from reconciler.transport.budget import RetryBudget
from reconciler.transport.pacing import Pacer
from reconciler.transport.policy import (
    IDEMPOTENT,
    KIB,
    LONG_WAIT,
    MIB,
    RATE_GRACE,
    RETRY_STATUSES,
    DeadlineExceeded,
    ResponseLimits,
    ResponseLost,
    ResponseTooLarge,
    RetryAfterExceeded,
    RetryPolicy,
    TransferTooSlow,
)

# The name users see in -v output, whichever module of the package logs.
log = logging.getLogger("reconciler.transport")


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
        limits: ResponseLimits | None = None,
        deadline: Deadline | None = None,
        budget: RetryBudget | None = None,
    ) -> None:
        self.inner = inner
        self.budget = budget
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
        self.budget_refusals = 0
        self._pause_lock = threading.Lock()
        self._resume_at = 0.0  # the clock's monotonic() before which the server asked for quiet
        self._paused_for = 0.0  # how long that pause was, as the server asked (seconds)

    @property
    def clock(self) -> Clock:
        """The installed clock, read at each use: a test installs its own."""
        return current_clock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._check_deadline(request, "not sent")
        self._honour_pause(request)
        if self.budget is not None:
            self.budget.sent()
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
        if self._out_of_attempts(progress, state):
            return True
        error = state.outcome.exception() if state.outcome else None
        invited = isinstance(error, _Retry) and (error.asked is not None or error.throttled)
        if invited or self.budget is None or self.budget.withdraw():
            return False
        # The key's retries are spent: sending this one again would add to a failing API's
        # load for every configuration that uses the key.
        self.budget_refusals += 1
        level = logging.WARNING if self.budget_refusals == 1 else logging.INFO
        log.log(level, "%s: not retrying after %s: the retry budget of this key is spent (%s)",
                self.provider, error, self.budget.spent())
        return True

    def _out_of_attempts(self, progress: _Progress, state: RetryCallState) -> bool:
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
