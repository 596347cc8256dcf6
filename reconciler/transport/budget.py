"""A retry budget per credential: retries may add only a share to the requests a key sends.

Backoff bounds one request's retries; it does not bound a process's. When an API falters, every
configuration that uses its key retries at once, and `watch` runs many: five attempts each turn
a struggling server's load into five times that load. So the retries of one key are counted
together, over a sliding minute on the injected clock, as Finagle's `RetryBudget` and gRPC's
retry throttling do: a retry is allowed while the key's retries in the window stay under
`floor + share * requests sent`. The floor keeps a quiet key's few failures retried as before;
past the budget a request fails with the error it met instead of being sent again.

A retry that waits for what the server asked (`Retry-After`, or a per-window limit's slot) is
not charged: the server said when it will answer, so the retry adds no load it did not invite.
"""

from __future__ import annotations

import threading
from collections import deque

from reconciler.clock import current as current_clock

# A fifth more requests than were sent, and ten a minute whatever the traffic: a run's handful
# of transient failures are all retried; an outage is not multiplied by the attempts.
RETRY_SHARE = 0.2
RETRY_FLOOR = 10
WINDOW_SECONDS = 60.0


class RetryBudget:
    """How many retries a credential may send now (thread-safe)."""

    def __init__(
        self, *, share: float = RETRY_SHARE, floor: int = RETRY_FLOOR,
        window: float = WINDOW_SECONDS,
    ) -> None:
        self.share = share
        self.floor = floor
        self.window = window
        self._lock = threading.Lock()
        self._requests: deque[float] = deque()
        self._retries: deque[float] = deque()
        self.refused = 0  # retries not sent because the budget was spent

    def sent(self) -> None:
        """One request was sent for the first time."""
        with self._lock:
            self._requests.append(self._now())

    def withdraw(self) -> bool:
        """Take one retry from the budget; False (and nothing taken) when it is spent."""
        with self._lock:
            now = self._now()
            for stamps in (self._requests, self._retries):
                if stamps and stamps[-1] > now:
                    stamps.clear()  # stamped by another clock (one a test installed): stale
                while stamps and stamps[0] <= now - self.window:
                    stamps.popleft()
            if len(self._retries) >= self.floor + self.share * len(self._requests):
                self.refused += 1
                return False
            self._retries.append(now)
            return True

    def spent(self) -> str:
        """The budget in words, for the message of a request that was not retried."""
        with self._lock:
            return (f"{len(self._retries)} retries against {len(self._requests)} requests in "
                    f"the last {self.window:.0f} s")

    @staticmethod
    def _now() -> float:
        return current_clock().monotonic()  # read at each use: a test installs its own


_BUDGETS: dict[str, RetryBudget] = {}
_BUDGETS_LOCK = threading.Lock()


def budget_for(credential: str | None) -> RetryBudget:
    """The process's one budget for a credential (a digest, never the secret); a client with no
    credential named gets a budget of its own."""
    if credential is None:
        return RetryBudget()
    with _BUDGETS_LOCK:
        return _BUDGETS.setdefault(credential, RetryBudget())
