"""Which files a configuration path names, and reading them within bounds.

One YAML file, or every *.yaml/*.yml below a folder (the suffix in any case: `x.YAML` is read).
Hidden files and folders are skipped; files are sorted by their path below the folder, so that
the merge order (and every message) is the same on every machine.

The files may come from a pull request, so nothing named here is trusted: only regular files are
read (a FIFO would block forever, `/dev/zero` never ends), a symbolic link inside a folder is
followed only to a file inside that folder, and every read is bounded per file and in total. A
path given explicitly may be a link to anywhere: whoever runs the command chose it.
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import ReconcilerError
from reconciler.model import ConfigIssue, Location

SUFFIXES = (".yaml", ".yml")
# Policy files (`reconciler.policy`) may sit beside the configuration; they are never read as it.
POLICY_SUFFIXES = (".policy.yaml", ".policy.yml")
LIMIT_VARIABLE = "RECONCILER_MAX_CONFIG_MB"
# A 30,000-object schedule is about 6 MB of YAML: 20 MB per file is three times the largest
# configuration measured, and five such files (100 MB) bound what one run holds in memory
# (the text, then the parsed values: several times the bytes) to well under a CI runner's RAM.
DEFAULT_FILE_MB = 20
TOTAL_FILES = 5  # the total limit, in files of the largest size allowed
_MB = 1_000_000
_CHUNK = 1 << 20


@dataclass(frozen=True, kw_only=True)
class ReadLimits:
    """How many bytes one file, and all the files of one configuration, may hold."""

    file_bytes: int = DEFAULT_FILE_MB * _MB
    total_bytes: int = DEFAULT_FILE_MB * TOTAL_FILES * _MB

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ReadLimits:
        """`RECONCILER_MAX_CONFIG_MB=N`: N MB per file and 5 x N MB in total."""
        text = environ.get(LIMIT_VARIABLE, "").strip()
        if not text:
            return cls()
        try:
            megabytes = float(text)
        except ValueError:
            megabytes = 0.0
        # 1e309 reads as infinity: no number of bytes, so refused like any other non-number.
        if not 0 < megabytes < math.inf:
            raise ReconcilerError(
                f"{LIMIT_VARIABLE} must be a positive number of megabytes, not {text!r}"
            )
        file_bytes = int(megabytes * _MB)
        return cls(file_bytes=file_bytes, total_bytes=file_bytes * TOTAL_FILES)


def whole_file(name: str, message: str) -> ConfigIssue:
    return ConfigIssue(Location(name, 1, 1), "", message)


def is_config_name(name: str) -> bool:
    lowered = name.lower()
    return (
        not name.startswith(".")
        and lowered.endswith(SUFFIXES)
        and not lowered.endswith(POLICY_SUFFIXES)
    )


def discover(root: Path) -> tuple[list[Path], list[ConfigIssue]]:
    """The files to read at `root`, sorted, and the problems met while looking.

    Every file returned was a regular file when looked at; `read_bounded` checks again.
    """
    issues: list[ConfigIssue] = []
    if not root.is_dir():
        try:
            mode = root.stat().st_mode  # follows a link: an explicit path may point anywhere
        except FileNotFoundError:
            issues.append(whole_file(str(root), "no such file or directory"))
            return [], issues
        except OSError as error:
            issues.append(whole_file(str(root), f"cannot read: {error.strerror or error}"))
            return [], issues
        if not stat.S_ISREG(mode):
            issues.append(whole_file(str(root), _not_regular(mode)))
            return [], issues
        return [root], issues
    found: list[Path] = []
    inside = os.path.realpath(root)

    def unreadable(error: OSError) -> None:
        issues.append(whole_file(str(error.filename), f"cannot read: {error.strerror}"))

    for folder, directories, files in os.walk(root, onerror=unreadable):
        directories[:] = [name for name in directories if not name.startswith(".")]
        # os.walk lists a link to a folder among the folders and does not follow it: one named
        # like a config file is refused below rather than skipped without a word.
        names = [*files, *(name for name in directories if Path(folder, name).is_symlink())]
        for name in names:
            if not is_config_name(name):
                continue
            file = Path(folder, name)
            problem = _refusal(file, inside)
            if problem is None:
                found.append(file)
            else:
                issues.append(whole_file(str(file), problem))
    return sorted(found, key=lambda file: file.relative_to(root).parts), issues


def _refusal(file: Path, inside: str) -> str | None:
    """Why a file found in the folder whose real path is `inside` is not read (None: read it)."""
    try:
        if stat.S_ISLNK(os.lstat(file).st_mode):
            target = os.path.realpath(file)
            if os.path.commonpath([inside, target]) != inside:
                return (
                    "a symbolic link to a file outside the configuration directory is not "
                    "followed; copy the file in, or pass its path explicitly"
                )
        mode = os.stat(file).st_mode
    except FileNotFoundError:
        return "a symbolic link to nothing (its target does not exist)"
    except OSError as error:
        return f"cannot read: {error.strerror or error}"
    return None if stat.S_ISREG(mode) else _not_regular(mode)


def _not_regular(mode: int) -> str:
    if stat.S_ISDIR(mode):
        what = "a directory"
    elif stat.S_ISFIFO(mode):
        what = "a FIFO (named pipe)"
    elif stat.S_ISSOCK(mode):
        what = "a socket"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        what = "a device"
    else:
        what = "not a regular file"
    return f"not read: {what}, not a regular file"


def read_bounded(file: Path, limit: int) -> bytes | str:
    """The bytes of `file`, or why they were not read (it changed kind, or exceeds `limit`).

    Opened without blocking, so that a FIFO put in the file's place after `discover` looked
    cannot hang the run; at most `limit + 1` bytes are read, whatever the file claims to hold.
    """
    try:
        descriptor = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        return f"cannot read: {error.strerror or error}"
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            return _not_regular(mode)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(descriptor, min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        return f"cannot read: {error.strerror or error}"
    finally:
        os.close(descriptor)
    if size > limit:
        return (
            f"larger than the {_megabytes(limit)} MB a configuration file may hold; "
            f"set {LIMIT_VARIABLE} to raise the limit"
        )
    return b"".join(chunks)


def read_all(
    files: list[Path], limits: ReadLimits
) -> tuple[list[tuple[str, bytes]], list[ConfigIssue]]:
    """Each file's bytes, in order, within the per-file and total limits; the refusals."""
    read: list[tuple[str, bytes]] = []
    issues: list[ConfigIssue] = []
    total = 0
    for file in files:
        name = str(file)
        remaining = limits.total_bytes - total
        if remaining < 0:
            break
        result = read_bounded(file, min(limits.file_bytes, remaining))
        if isinstance(result, str):
            if remaining < limits.file_bytes and result.startswith("larger than"):
                result = (
                    f"not read: the configuration's files exceed the "
                    f"{_megabytes(limits.total_bytes)} MB they may hold together; "
                    f"set {LIMIT_VARIABLE} to raise the limit"
                )
                total = limits.total_bytes + 1  # the rest are not read either
            issues.append(whole_file(name, result))
            continue
        total += len(result)
        read.append((name, result))
    return read, issues


def _megabytes(count: int) -> str:
    return f"{count / _MB:g}"
