"""Which files a configuration path names: one YAML file, or every *.yaml/*.yml below a folder.

Hidden files and folders are skipped; files are sorted by their path below the folder, so that
the merge order (and every message) is the same on every machine.
"""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.model import ConfigIssue, Location


def whole_file(name: str, message: str) -> ConfigIssue:
    return ConfigIssue(Location(name, 1, 1), "", message)


def discover(root: Path) -> tuple[list[Path], list[ConfigIssue]]:
    """The files to read at `root`, sorted, and the problems met while looking."""
    issues: list[ConfigIssue] = []
    if not root.is_dir():
        if not root.exists():
            issues.append(whole_file(str(root), "no such file or directory"))
            return [], issues
        return [root], issues
    found: list[Path] = []

    def unreadable(error: OSError) -> None:
        issues.append(whole_file(str(error.filename), f"cannot read: {error.strerror}"))

    for folder, directories, files in os.walk(root, onerror=unreadable):
        directories[:] = [name for name in directories if not name.startswith(".")]
        found.extend(
            Path(folder, name)
            for name in files
            if not name.startswith(".") and name.endswith((".yaml", ".yml"))
        )
    if not found and not issues:
        issues.append(whole_file(str(root), "no *.yaml or *.yml files in this directory"))
    return sorted(found, key=lambda file: file.relative_to(root).parts), issues
