"""What the transport is told and what it raises: the retry policy, the bounds on an answer,
and the failures a caller meets (a lost answer, a pause too long to wait, a deadline passed, an
answer too large or too slow)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})
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
