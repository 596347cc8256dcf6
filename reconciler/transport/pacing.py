"""Pacing under a documented rate limit: evenly spaced request slots (pyrate-limiter's GCRA),
waited for on the injected clock."""

from __future__ import annotations

import threading

from reconciler.clock import Clock
from reconciler.clock import current as current_clock

# Pace at this share of a documented limit: clocks and networks jitter, and a 429 costs more
# than the 2 % given up here.
PACING_SHARE = 0.98


class Pacer:
    """Evenly spaced request slots at a share of a rate limit (thread-safe, blocking).

    pyrate-limiter's GCRA decides each slot and how long until the next one; the wait itself is
    the injected clock's, so a test sees the pacing as a list of waits instead of spending it.
    """

    def __init__(self, requests_per_minute: float) -> None:
        # Imported here: pyrate-limiter loads asyncio and multiprocessing, a sixth of start-up,
        # and only a provider with a documented limit is paced.
        from pyrate_limiter import GCRA, Duration, InMemoryStateStore, Rate, StateBucket

        per_minute = max(1, int(requests_per_minute * PACING_SHARE))
        self._bucket = StateBucket(
            [Rate(per_minute, Duration.MINUTE, burst=1)],
            GCRA(),
            InMemoryStateStore(),
        )
        self._lock = threading.Lock()
        self.requests_per_minute = per_minute

    @property
    def clock(self) -> Clock:
        return current_clock()  # read at each wait: a test installs its own

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
