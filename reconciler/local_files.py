"""The files and folders a run writes on this machine: never through a symbolic link, and every
failure one line that names the path and what to do (`LocalFileError`).

A schedule repository is checked out by CI and by colleagues, so it can hold links planted to
make a run write somewhere else: `.reconciler/journal.jsonl` pointing at a shell start-up file
that apply would append to, or `.reconciler` itself pointing into the home folder. So:

- every file is opened with `O_NOFOLLOW`: the kernel refuses a link as its final component at
  the moment of opening (where the flag is missing, as on Windows, it is looked at first);
- the folders of a relative path, which lie below the working folder and may come from a
  checkout, are refused when one is a link; an absolute path is one the user wrote, and its
  folders are used as they are (macOS's `/tmp` is itself a link).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from reconciler.errors import LocalFileError

NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOSE_ON_EXEC = getattr(os, "O_CLOEXEC", 0)
# What a full disk, a quota or a file-size limit answers a write.
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_NOT_ALLOWED = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
# The folder a run keeps its own state in, below the working folder.
STATE_FOLDER = ".reconciler"


def append_text(path: Path, text: str, *, what: str, fix: str) -> None:
    """Add `text` at the end of the file (created if missing). `what` names the file in a
    message ("the journal"); `fix` is the way out besides removing the obstacle."""
    _write(path, text.encode("utf-8"), os.O_APPEND, what=what, fix=fix)


def write_text(path: Path, text: str, *, what: str, fix: str) -> None:
    """Make `text` the whole file (created if missing)."""
    _write(path, text.encode("utf-8"), os.O_TRUNC, what=what, fix=fix)


def make_folder(folder: Path, *, what: str, fix: str) -> None:
    """Create `folder` and the folders above it that are missing; a state folder this creates
    is ignored by git from the start (`STATE_FOLDER`)."""
    _refuse_linked_folders(folder, what=what, fix=fix)
    created = [part for part in (folder, *folder.parents) if part.name == STATE_FOLDER
               and not part.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise failure(error, folder, what=what, fix=fix, folder=True) from None
    for state in created:
        _ignore_everything(state)


def _ignore_everything(folder: Path) -> None:
    """A `.gitignore` of `*` in a folder just made (as pytest's and ruff's caches have), so a
    habitual `git add -A` commits neither the sandbox's database nor the journal."""
    try:
        descriptor = os.open(folder / ".gitignore",
                             os.O_WRONLY | os.O_CREAT | os.O_EXCL | NO_FOLLOW | _CLOSE_ON_EXEC,
                             0o666)
    except OSError:
        return  # one already there is the user's; git then sees what they chose
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(b"# Created by reconciler: its own state (the sandbox, the journal).\n*\n")


def refuse_link(path: Path, *, what: str, fix: str) -> None:
    """For a file opened by code that cannot be given `O_NOFOLLOW` (SQLite): refuse a link as
    it, or as a folder of a relative path, before it is opened."""
    _refuse_linked_folders(path.parent, what=what, fix=fix)
    if path.is_symlink():
        raise _link(path, what=what, fix=fix)


def _write(path: Path, data: bytes, mode: int, *, what: str, fix: str) -> None:
    make_folder(path.parent, what=what, fix=fix)
    if not NO_FOLLOW and path.is_symlink():
        raise _link(path, what=what, fix=fix)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | mode | NO_FOLLOW | _CLOSE_ON_EXEC,
                             0o666)
    except OSError as error:
        raise failure(error, path, what=what, fix=fix) from None
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
    except OSError as error:
        raise failure(error, path, what=what, fix=fix) from None


def _refuse_linked_folders(folder: Path, *, what: str, fix: str) -> None:
    if folder.is_absolute():
        return
    part = Path()
    for name in folder.parts:
        part /= name
        if name != ".." and part.is_symlink():
            raise _link(part, what=what, fix=fix)


def _link(path: Path, *, what: str, fix: str) -> LocalFileError:
    return LocalFileError(
        path,
        f"{path} is a symbolic link, and {what} is never written through one (a link in a "
        f"checkout could point at any file): remove the link, or {fix}",
    )


def failure(
    error: OSError, path: Path, *, what: str, fix: str, folder: bool = False
) -> LocalFileError:
    """One line for what stopped the write of `path`."""
    reason = error.strerror or str(error)
    if path.is_symlink():
        return _link(path, what=what, fix=fix)
    blocking = _file_on_the_way(path if folder else path.parent)
    if blocking is not None:
        return LocalFileError(
            blocking,
            f"{blocking} is a file, not a folder, so {what} cannot be kept below it: remove or "
            f"rename it, or {fix}",
        )
    if error.errno == errno.EISDIR:
        return LocalFileError(path, f"{path} is a folder, not a file; {fix} for {what}")
    action = "create the folder" if folder else "write"
    place = f"{path}" if folder else f"{what} {path}"
    if error.errno in _NOT_ALLOWED:
        return LocalFileError(
            path,
            f"cannot {action} {place} ({reason}): run where it can be written, or {fix}",
        )
    if error.errno in _NO_ROOM:
        return LocalFileError(
            path, f"cannot {action} {place} ({reason}): free some space there, or {fix}"
        )
    return LocalFileError(path, f"cannot {action} {place} ({reason}); {fix}")


def _file_on_the_way(folder: Path) -> Path | None:
    """The nearest of `folder` and the folders above it that exists and is not a folder."""
    for part in (folder, *folder.parents):
        if part.exists() or part.is_symlink():
            return None if part.is_dir() else part
    return None
