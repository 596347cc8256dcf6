"""What git records of the configuration: commits, the declared state at one, changed files.

Git is the record of what was applied (there is no state file). `plan --base-ref` reads the
declared state at the base commit; `drift` compares each drifted field with the YAML at HEAD
(and the base) to tell an edit made in git and not applied yet from one made remotely, and
`drift --write` leaves alone a file whose content is not HEAD's. Files at a commit are read from
git's objects (`git archive`), never through the working tree: a symbolic link stored in the
repository is not followed, and one that leads out of the extracted tree is not extracted.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.config import DesiredState, load
from reconciler.errors import ReconcilerError
from reconciler.model import PROVIDER_OF, Address
from reconciler.providers.base import Provider


class GitMissing(ReconcilerError):
    """git could not be run at all (not installed, not on PATH)."""


def run_git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as error:
        raise GitMissing(f"git cannot be run ({error.strerror})") from None


@dataclass(frozen=True, kw_only=True)
class Declared:
    """The canonical declared fields of every object at one commit, and which were protected."""

    fields: dict[Address, Mapping[str, Any]]
    protected: frozenset[Address]


@dataclass(frozen=True)
class Repository:
    """The git work tree holding a configuration; `root` is its top level, links resolved."""

    root: Path

    @classmethod
    def holding(cls, path: Path) -> Repository | None:
        """The work tree `path` (a file or a folder) lies in; None outside any."""
        here = path if path.is_dir() else path.parent
        found = run_git(here, "rev-parse", "--show-toplevel")
        if found.returncode != 0:
            return None
        return cls(Path(os.path.realpath(found.stdout.decode().strip())))

    def relative(self, path: Path | str) -> str | None:
        """`path` (its links resolved) relative to the top level, as git names it; None when it
        lies outside the repository."""
        real = os.path.realpath(path)
        root = str(self.root)
        if os.path.commonpath([root, real]) != root:
            return None
        return Path(os.path.relpath(real, root)).as_posix()

    def commit(self, ref: str) -> str | None:
        """The commit `ref` names here; None when it names none (or HEAD before a commit)."""
        found = run_git(self.root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        return found.stdout.decode().strip() if found.returncode == 0 else None

    def files_at(self, commit: str, under: str) -> frozenset[str]:
        """The files `commit` holds below `under` (a path relative to the top level)."""
        listed = run_git(self.root, "ls-tree", "-r", "-z", "--name-only", commit, "--", under)
        return _names(listed.stdout) if listed.returncode == 0 else frozenset()

    def changed_since(self, commit: str, under: str) -> frozenset[str]:
        """The files below `under` whose content differs from `commit`'s: edited, staged or
        deleted in the work tree (a file git does not track is not among them)."""
        listed = run_git(
            self.root, "diff", "--name-only", "-z", "--no-renames", commit, "--", under
        )
        if listed.returncode != 0:
            raise ReconcilerError(f"git diff failed: {_first_line(listed.stderr)}")
        return _names(listed.stdout)

    def load_at(self, commit: str, path: Path) -> DesiredState | None:
        """The configuration at `path` as `commit` holds it; None when `commit` does not hold
        `path`. Raises ConfigError when it does not load."""
        relative = self.relative(path)
        if relative is None:
            raise ReconcilerError(f"{path} lies outside the git repository at {self.root}")
        archive = run_git(self.root, "archive", "--format=tar", commit, "--", relative)
        if archive.returncode != 0:
            return None
        with tempfile.TemporaryDirectory(prefix="reconciler-at-commit-") as scratch:
            with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as bundle:
                bundle.extractall(scratch, filter=_inside_only)
            return load(Path(scratch) / relative, resolve_providers=False)

    def declared_at(
        self, commit: str, path: Path, providers: Mapping[str, Provider]
    ) -> Declared | None:
        """Canonical declared fields at `commit` (None: `path` did not exist then)."""
        state = self.load_at(commit, path)
        if state is None:
            return None
        fields: dict[Address, Mapping[str, Any]] = {}
        protected: set[Address] = set()
        for kind, objects in state.objects.items():
            provider = providers.get(PROVIDER_OF[kind])
            for obj in objects:
                address = Address(kind, obj.key)
                fields[address] = provider.canonical(obj).fields if provider else obj.fields
                if obj.options.protect:
                    protected.add(address)
        return Declared(fields=fields, protected=frozenset(protected))


def _inside_only(member: tarfile.TarInfo, destination: str) -> tarfile.TarInfo | None:
    """tarfile's `data` filter, except that a member it refuses (a link out of the extracted
    tree, an absolute path) is left out rather than failing the whole read: the loader refuses
    such a link in the work tree too."""
    try:
        return tarfile.data_filter(member, destination)
    except tarfile.FilterError:
        return None


def _names(output: bytes) -> frozenset[str]:
    return frozenset(os.fsdecode(name) for name in output.split(b"\0") if name)


def _first_line(output: bytes) -> str:
    text = output.decode(errors="replace").strip()
    return text.splitlines()[0] if text else "no message"
