"""What each target was already told: the fingerprints of the findings notified to it.

Kept in the user's cache folder (platformdirs, as the apply locks are:
`~/.cache/reconciler/notified` on Linux), one small JSON file per scope and target, because:
- the repository stays stateless, as the design wants: no file to commit, none in the working
  folder that a fresh checkout loses or a colleague's run overwrites;
- it is per machine, like the runs that read it: two folders or checkouts of one configuration
  on a machine share it, and a run on another machine starts afresh;
- losing it costs at most one repeated message, never a missed one (a CI runner that starts
  empty keeps it between runs with a cache step; the README shows one).

Only digests are stored, never a remote value or a URL. Two runs of one scope that finish at the
same moment may both tell a new finding; no lock is worth a message said twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import platformdirs

from reconciler.local_files import write_text

FIX = "set XDG_CACHE_HOME to another folder"


def memory_directory() -> Path:
    return Path(platformdirs.user_cache_dir("reconciler", appauthor=False)) / "notified"


class Memory:
    """The findings told to one target about one scope, per trigger."""

    def __init__(self, *, scope: str, target: str, directory: Path | None = None) -> None:
        readable = "".join(c if c.isalnum() or c in "._-" else "-" for c in scope)[:60]
        digest = hashlib.sha256(json.dumps([scope, target]).encode()).hexdigest()[:16]
        self.path = (directory or memory_directory()) / f"{readable}-{digest}.json"

    def told(self) -> dict[str, frozenset[str]]:
        """Trigger -> the fingerprints told; empty when nothing was kept (or it is unreadable:
        then a finding is told again, never lost)."""
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(document, dict):
            return {}
        return {
            str(trigger): frozenset(str(item) for item in items)
            for trigger, items in document.items()
            if isinstance(items, list)
        }

    def keep(self, told: Mapping[str, Iterable[str]]) -> None:
        """Remember these fingerprints (per trigger), replacing what was kept."""
        document = {trigger: sorted(set(items)) for trigger, items in sorted(told.items())}
        write_text(
            self.path,
            json.dumps(document, indent=1) + "\n",
            what="the memory of notifications sent",
            fix=FIX,
        )
