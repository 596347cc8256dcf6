"""One apply per scope at a time on this machine: a file lock under `.reconciler/locks/`.

Two applies of one scope that overlap both plan from the same remote state and both create what
is missing: every new object twice. The lock (filelock: `flock` on POSIX, so a killed run never
leaves it held) makes the second apply wait for the first, then plan from what the first made.
Applies from other machines meet in the CI's `concurrency:` group, not here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from reconciler import clock
from reconciler.errors import ReconcilerError

# How often a waiting apply tries the lock again (filelock's own default).
POLL_INTERVAL = 0.05


def lock_path(directory: Path, scope: str) -> Path:
    """`.reconciler/locks/apply-team-a.lock`: the scope's name made a file name, kept apart from
    any other scope's by a short digest (`a/b` and `a-b` are two scopes)."""
    readable = "".join(char if char.isalnum() or char in "._-" else "-" for char in scope)[:60]
    digest = hashlib.sha256(scope.encode()).hexdigest()[:8]
    return directory / "locks" / f"apply-{readable}-{digest}.lock"


@contextmanager
def apply_lock(
    scope: str,
    *,
    directory: Path,
    wait: float,
    on_wait: Callable[[Path], None] | None = None,
) -> Iterator[Path]:
    """Hold the scope's apply lock; wait up to `wait` seconds for another holder to finish."""
    path = lock_path(directory, scope)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path)
    if not _try(lock):
        if on_wait is not None:
            on_wait(path)
        if not _wait_for(lock, wait):
            raise ReconcilerError(
                f"another apply of the scope {scope!r} is still running on this machine (it "
                f"holds {path}); waited {wait:g} s. Run apply again once it has finished, or "
                "wait longer with --lock-timeout"
            )
    try:
        yield path
    finally:
        lock.release()


def _try(lock: FileLock) -> bool:
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return False
    return True


def _wait_for(lock: FileLock, wait: float) -> bool:
    """Poll for the lock until `wait` seconds have passed on the injected clock (filelock's own
    blocking acquire would sleep on the real one); True once it is held."""
    ticking = clock.current()
    deadline = ticking.monotonic() + wait
    while True:
        ticking.sleep(min(POLL_INTERVAL, max(0.0, deadline - ticking.monotonic())), why="lock")
        if _try(lock):
            return True
        if ticking.monotonic() >= deadline:
            return False
