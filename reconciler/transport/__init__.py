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
- **A retry budget per credential** (`budget.py`): the retries of every client of one key, in
  the process, stay within a fifth of its requests (at least ten a minute); past that a request
  fails with what it met instead of adding to a failing API's load.
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

from reconciler.transport.answers import certificate_failure, retry_after
from reconciler.transport.budget import RetryBudget, budget_for
from reconciler.transport.pacing import PACING_SHARE, Pacer, pacer_for, pacing_store
from reconciler.transport.policy import (
    DeadlineExceeded,
    ResponseLimits,
    ResponseLost,
    ResponseTooLarge,
    RetryAfterExceeded,
    RetryPolicy,
    TransferTooSlow,
)
from reconciler.transport.retrying import ResilientTransport

__all__ = [
    "PACING_SHARE",
    "DeadlineExceeded",
    "Pacer",
    "ResilientTransport",
    "ResponseLimits",
    "ResponseLost",
    "ResponseTooLarge",
    "RetryAfterExceeded",
    "RetryBudget",
    "RetryPolicy",
    "TransferTooSlow",
    "budget_for",
    "certificate_failure",
    "pacer_for",
    "pacing_store",
    "retry_after",
]
