"""Pacing under a documented rate limit: evenly spaced request slots, waited for on the injected
clock, one pacer per credential.

A rate limit belongs to the API key, not to the run: two configurations that share a Previsto
key, each pacing itself at 98 % of 120 a minute, send twice the limit together. So the pacer is
found by the credential (`pacer_for`): every client of the process that uses one key shares one
pacer, and the slots it hands out are kept in a store that other processes on the machine read
too (a workflow matrix on a self-hosted runner): an SQLite file in the user's cache folder,
through pyrate-limiter's `SQLiteBucket` behind a file lock. Where that file cannot be used (a
read-only home), the pacer keeps its slots in memory and says so once.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import platformdirs

from reconciler.clock import Clock
from reconciler.clock import current as current_clock

log = logging.getLogger("reconciler.transport")

# Pace at this share of a documented limit: clocks and networks jitter, and a 429 costs more
# than the 2 % given up here.
PACING_SHARE = 0.98
# The shared store drops slots older than their window every this many turns (each turn adds one).
LEAK_EVERY = 100


def pacing_store() -> Path:
    """The file every process on this machine keeps its pacing slots in."""
    return Path(platformdirs.user_cache_dir("reconciler", appauthor=False)) / "pacing.sqlite"


class Pacer:
    """Evenly spaced request slots at a share of a rate limit (thread-safe, blocking).

    pyrate-limiter decides each slot and how long until the next one; the wait itself is the
    injected clock's, so a test sees the pacing as a list of waits instead of spending it. With
    `store`, the slots are an SQLite table named by `name` (a credential's digest) that every
    pacer of that name reads, in any process; each is stamped with the clock's wall time, which
    processes share. Without, they live in this pacer (GCRA on the monotonic clock).
    """

    def __init__(
        self, requests_per_minute: float, *, store: Path | None = None, name: str = "requests"
    ) -> None:
        per_minute = max(1, int(requests_per_minute * PACING_SHARE))
        self.requests_per_minute = per_minute
        self.name = name
        self._lock = threading.Lock()
        self._turns = 0
        # The SQLite bucket admits a slot once no other lies within the interval before it, so
        # slots fall `interval + 1` ms apart: one less than the share's spacing, in whole ms,
        # keeps the pace at the share (a ceiling would lose up to 2 % at 1,200 a minute).
        self._interval_ms = max(1, int(60_000 / per_minute) - 1)
        self._bucket: Any = None
        self.shared = False
        if store is not None:
            self._bucket = _shared_bucket(store, name, self._interval_ms)
            self.shared = self._bucket is not None
        if self._bucket is None:
            # Imported here: pyrate-limiter loads asyncio and multiprocessing, a sixth of
            # start-up, and only a provider with a documented limit is paced.
            from pyrate_limiter import GCRA, Duration, InMemoryStateStore, Rate, StateBucket

            self._bucket = StateBucket(
                [Rate(per_minute, Duration.MINUTE, burst=1)], GCRA(), InMemoryStateStore()
            )

    @property
    def clock(self) -> Clock:
        return current_clock()  # read at each wait: a test installs its own

    def now_ms(self) -> int:
        moment = self.clock.time() if self.shared else self.clock.monotonic()
        return int(moment * 1000)

    def wait_turn(self) -> None:
        from pyrate_limiter import RateItem

        # Each slot is stamped with the injected clock's milliseconds; the bucket reads no
        # clock of its own.
        while True:
            with self._lock:
                item = RateItem(self.name, self.now_ms())
                if self._bucket.put(item):
                    self._taken(item.timestamp)
                    return
                wait_ms = self._bucket.waiting(item)
                assert isinstance(wait_ms, int)  # both stores answer synchronously
            # Outside the lock: another thread (or process) may take its slot meanwhile (then
            # this one waits again for the next).
            self.clock.sleep(max(wait_ms, 1) / 1000, why="pacing")

    def _taken(self, stamp: int) -> None:
        self._turns += 1
        if self.shared and self._turns % LEAK_EVERY == 0:
            self._bucket.leak(stamp)


def _shared_bucket(store: Path, name: str, interval_ms: int) -> Any:
    """One slot per `interval_ms` in the store's table `name`; None when the file cannot be
    used (the pacer then keeps its slots in memory)."""
    import sqlite3

    from filelock import Timeout
    from pyrate_limiter import Rate
    from pyrate_limiter.buckets.sqlite_bucket import SQLiteBucket

    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteBucket.init_from_file(
            [Rate(1, interval_ms)], table=f"pace_{name}", db_path=str(store), use_file_lock=True
        )
    except (OSError, sqlite3.Error, Timeout) as error:
        log.warning("pacing: the shared store %s cannot be used (%s); this run paces itself "
                    "alone", store.name, error)
        return None


_PACERS: dict[str, Pacer] = {}  # by credential and store
_PACERS_LOCK = threading.Lock()


def pacer_for(credential: str, requests_per_minute: float, *, store: Path | None) -> Pacer:
    """The process's one pacer for a credential (`credential`: a digest, never the secret) and
    store, made at the first client's rate: one key has one limit, however many configurations
    use it."""
    with _PACERS_LOCK:
        pacer = _PACERS.get(f"{credential} {store}")
        if pacer is None:
            pacer = Pacer(requests_per_minute, store=store, name=credential)
            _PACERS[f"{credential} {store}"] = pacer
        elif max(1, int(requests_per_minute * PACING_SHARE)) != pacer.requests_per_minute:
            log.warning("pacing: two configurations give one key different rates; the first, "
                        "%d a minute, paces both", pacer.requests_per_minute)
        return pacer
