"""Time as a dependency: the one clock that every wait in the client asks.

Backoff, `Retry-After`, a rate limit's window and pacing, the look-up after a lost create and the
apply lock's poll all read the time and wait through `current()`; a run's `Deadline` is read on
the same clock. The process runs on
`SYSTEM_CLOCK`; a test suite installs a clock of its own (`installed`) whose sleeps return at
once and are recorded, so a test asserts the waits ("7 s as the Retry-After asked") instead of
spending them. A process-wide setting rather than a context variable: an apply's worker threads
must wait on the same clock as the thread that started them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime


class Clock:
    """The machine's clocks and `time.sleep`; subclasses replace all three together."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back: for deadlines and elapsed time."""
        return time.monotonic()

    def time(self) -> float:
        """Seconds since the epoch: for instants shared with a server (`Retry-After` dates)."""
        return time.time()

    def sleep(self, seconds: float, *, why: str = "") -> None:
        """Wait `seconds` (nothing for zero or less); `why` names the wait for whoever records
        waits (`retry`, `retry-after`, `pacing`, `lost-create`, `lock`, `interrupted`,
        `policy-command`)."""
        if seconds > 0:
            # The product's one real sleep: every other wait reaches it through `current()`,
            # which a test replaces.
            time.sleep(seconds)

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)


class VirtualClock(Clock):
    """Time that moves only when it is waited on or advanced (thread-safe): a benchmark's hour
    of compressed time, a test's instant waits. `monotonic()` and `time()` start from the
    machine's own and move together."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._elapsed = 0.0
        self._monotonic_origin = time.monotonic()
        self._epoch_origin = time.time()

    def monotonic(self) -> float:
        with self._lock:
            return self._monotonic_origin + self._elapsed

    def time(self) -> float:
        with self._lock:
            return self._epoch_origin + self._elapsed

    def sleep(self, seconds: float, *, why: str = "") -> None:
        self.advance(max(0.0, seconds))
        # Let other threads (an apply's workers, a served sandbox) run, as a real wait would.
        time.sleep(0)

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass without anyone waiting (another party's time)."""
        with self._lock:
            self._elapsed += seconds

    @property
    def elapsed(self) -> float:
        """Seconds this clock has moved since it was made."""
        with self._lock:
            return self._elapsed


SYSTEM_CLOCK = Clock()
_current: Clock = SYSTEM_CLOCK


def current() -> Clock:
    """The clock waits are measured and spent on."""
    return _current


@contextmanager
def installed(clock: Clock) -> Iterator[Clock]:
    """Use `clock` for every wait until the block ends (then the one before it again)."""
    global _current
    before, _current = _current, clock
    try:
        yield clock
    finally:
        _current = before


@dataclass(frozen=True, kw_only=True)
class Deadline:
    """The moment on `clock` by which a run must be done (`--deadline`): `seconds` after it
    started; `at` is the clock's `monotonic()` then."""

    seconds: float
    at: float
    clock: Clock

    @classmethod
    def after(cls, seconds: float, *, clock: Clock | None = None) -> Deadline:
        """A deadline `seconds` from now, on `clock` (the installed one when None)."""
        ticking = clock or current()
        return cls(seconds=seconds, at=ticking.monotonic() + seconds, clock=ticking)

    def remaining(self) -> float:
        """Seconds left (zero or less once it has passed)."""
        return self.at - self.clock.monotonic()
