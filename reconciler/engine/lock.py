"""One apply per scope and account at a time on this machine: a file lock in the user's cache.

Two applies of one scope that overlap both plan from the same remote state and both create what
is missing: every new object twice. The lock (filelock: `flock` on POSIX, so a killed run never
leaves it held) makes the second apply wait for the first, then plan from what the first made.
It lives in the user's cache directory (platformdirs), not in the working folder, and is named
by the scope and the accounts the run writes to, so two checkouts, two folders of one
repository, or two folders that share a `--sandbox-db` take turns. Applies from other machines
meet in the CI's `concurrency:` group, not here.

The lock file is never opened through a symbolic link: filelock (3.20.3 and later, the floor in
pyproject.toml) opens it with O_NOFOLLOW on POSIX and refuses a reparse point on Windows, so a
link planted at the lock's path cannot make the lock create or truncate another file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import platformdirs
from filelock import FileLock, Timeout

from reconciler import clock
from reconciler.errors import ReconcilerError
from reconciler.local_files import failure, make_folder
from reconciler.providers.base import Provider

# How often a waiting apply tries the lock again (filelock's own default).
POLL_INTERVAL = 0.05
FIX = "set XDG_CACHE_HOME to another folder"


def lock_directory() -> Path:
    """Where every apply on this machine keeps its locks (`~/.cache/reconciler/locks` on Linux,
    the platform's cache folder elsewhere)."""
    return Path(platformdirs.user_cache_dir("reconciler", appauthor=False)) / "locks"


def accounts(providers: Mapping[str, Provider], *, sandbox_db: Path | None = None) -> list[str]:
    """What the run writes to, named without a secret: each provider's origin and account name
    (`prevail https://.../ acme`), or the embedded sandbox's database file."""
    if sandbox_db is not None:
        return [f"sandbox {sandbox_db.resolve()}"]
    return sorted(
        f"{name} {provider.client.base_url} {provider.account}".rstrip()
        for name, provider in providers.items()
    )


def lock_path(directory: Path, scope: str, written: Iterable[str] = ()) -> Path:
    """`apply-team-a-<digest>.lock`: the scope's name made a file name, kept apart from any other
    scope or account set by a digest of both (`a/b` and `a-b` are two scopes)."""
    readable = "".join(char if char.isalnum() or char in "._-" else "-" for char in scope)[:60]
    identity = json.dumps([scope, sorted(written)])
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return directory / f"apply-{readable}-{digest}.lock"


@contextmanager
def apply_lock(
    scope: str,
    *,
    written: Iterable[str] = (),
    directory: Path | None = None,
    wait: float,
    on_wait: Callable[[Path], None] | None = None,
) -> Iterator[Path]:
    """Hold the lock of the scope on these accounts; wait up to `wait` seconds for another
    holder to finish."""
    path = lock_path(directory or lock_directory(), scope, written)
    make_folder(path.parent, what="the apply lock", fix=FIX)
    lock = FileLock(path)
    if not _try(lock, path):
        if on_wait is not None:
            on_wait(path)
        if not _wait_for(lock, path, wait):
            raise ReconcilerError(
                f"another apply of the scope {scope!r} is still running on this machine (it "
                f"holds {path}); waited {wait:g} s. Run apply again once it has finished, or "
                "wait longer with --lock-timeout"
            )
    try:
        yield path
    finally:
        lock.release()


def _try(lock: FileLock, path: Path) -> bool:
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return False
    except OSError as error:
        raise failure(error, path, what="the apply lock", fix=FIX) from None
    return True


def _wait_for(lock: FileLock, path: Path, wait: float) -> bool:
    """Poll for the lock until `wait` seconds have passed on the injected clock (filelock's own
    blocking acquire would sleep on the real one); True once it is held."""
    ticking = clock.current()
    deadline = ticking.monotonic() + wait
    while True:
        ticking.sleep(min(POLL_INTERVAL, max(0.0, deadline - ticking.monotonic())), why="lock")
        if _try(lock, path):
            return True
        if ticking.monotonic() >= deadline:
            return False
