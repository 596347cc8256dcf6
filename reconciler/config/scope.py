"""The configuration's scope: whose objects these are on an account that many teams share.

`providers.stack` names it. Without it the scope is derived from where the configuration lives,
so that two folders of one repository, or two repositories, never share one by accident:

    <owner>/<repository>[/<path of the configuration inside it>]

The repository is named by its `origin` remote (what a clone on a laptop and a checkout in
GitHub Actions agree on), else by `GITHUB_REPOSITORY`, else by its folder; outside git the
configuration's own folder (or file) name is the scope. The plan's header shows the scope and how
it was chosen, so that a user can write it down as `stack:` before moving the files.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

from reconciler.config.document import ConfigFile
from reconciler.config.settings import STACK
from reconciler.model import Scope

MAX_NAME = 100
_NOT_NAME = re.compile(r"[^a-z0-9._/-]+")
SET_IT = "set providers.stack to name it"


def declared_scope(files: list[ConfigFile]) -> Scope | None:
    """`providers.stack` from the first file that sets it cleanly (the schema checked its form)."""
    for file in files:
        block = file.document.get("providers")
        if not isinstance(block, dict):
            continue
        name = block.get(STACK)
        path = ("providers", STACK)
        if isinstance(name, str) and file.clean(path):
            return Scope(
                name=name, origin=f"providers.stack at {file.source.at(path)}", declared=True
            )
    return None


def derived_scope(path: Path, environ: Mapping[str, str] | None = None) -> Scope:
    """The scope of a configuration without `stack:`, from its repository and place in it."""
    environ = os.environ if environ is None else environ
    resolved = path.resolve()
    here = resolved if resolved.is_dir() else resolved.parent
    top = _git(here, "rev-parse", "--show-toplevel")
    if top is None:
        name = scope_name(resolved.name) or "default"
        return Scope(
            name=name,
            origin=f"derived from the folder name, outside any git repository; {SET_IT}",
        )
    root = Path(top).resolve()
    remote = _git(root, "config", "--get", "remote.origin.url")
    repository = _repository_of(remote) if remote else None
    if repository:
        how = "the git remote origin"
    elif environ.get("GITHUB_REPOSITORY"):
        repository, how = environ["GITHUB_REPOSITORY"], "GITHUB_REPOSITORY"
    else:
        repository, how = root.name, "the repository's folder name"
    try:
        inside = resolved.relative_to(root).as_posix()
    except ValueError:
        inside = ""
    inside = "" if inside == "." else inside
    name = scope_name(f"{repository}/{inside}" if inside else repository) or "default"
    where = f" and the path {inside}" if inside else ""
    return Scope(name=name, origin=f"derived from {how}{where}; {SET_IT}")


def scope_name(text: str) -> str:
    """Text as a scope name: lower case, other characters as '-', at most 100 characters."""
    name = _NOT_NAME.sub("-", text.lower()).strip("-./_")
    return name[:MAX_NAME].rstrip("-./_")


def _repository_of(url: str) -> str | None:
    """`owner/name` of a remote URL (https, ssh or scp-like), never its credentials or host."""
    parts = [part for part in re.split(r"[/:]", url.strip().rstrip("/")) if part]
    if len(parts) < 2:
        return None
    name = parts[-1].removesuffix(".git")
    return f"{parts[-2]}/{name}" if name else None


def _git(cwd: Path, *args: str) -> str | None:
    """One git query's answer, or None (no git, not a repository, no such setting)."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    answer = done.stdout.strip()
    return answer if done.returncode == 0 and answer else None
