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

from reconciler.errors import ReconcilerError


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
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if on_wait is not None:
            on_wait(path)
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise ReconcilerError(
                f"another apply of the scope {scope!r} is still running on this machine (it "
                f"holds {path}); waited {wait:g} s. Run apply again once it has finished, or "
                "wait longer with --lock-timeout"
            ) from None
    try:
        yield path
    finally:
        lock.release()
