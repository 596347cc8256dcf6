"""Which side moved: each drifted field judged against git (HEAD, and the base with `--base-ref`).

`detect_drift` finds where the remote and declared values differ; it cannot say who moved. Git
can. A field whose YAML now differs from the YAML at HEAD, or from the base ref's (the commit
last applied), was edited in git and is not applied yet: apply sends it, and `drift --write` must
never overwrite it with the remote value. A field git declares alike now, at HEAD and at the base
was changed remotely. Without a record to tell (no repository, no commit yet, a file git does not
track, a configuration at HEAD that does not load) the field only differs.

The same record guards `drift --write` as a whole: a file whose content is not HEAD's (edited,
staged, or never committed) holds work git has not kept, and is not rewritten unless forced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from reconciler.engine.diff import same
from reconciler.engine.origins import commit_of, declared_at_ref
from reconciler.engine.refresh import Refreshed
from reconciler.engine.worktree import Declared, GitMissing, Repository
from reconciler.errors import ConfigError
from reconciler.model import Address
from reconciler.providers.base import Provider
from reconciler.reports import Direction, DriftItem, DriftReport, counted


@dataclass(frozen=True, kw_only=True)
class GitRecord:
    """What git holds of one configuration: its declaration at HEAD (and at the base), and
    which of its files are committed as they are now. `missing` says why directions cannot be
    told (None: they can)."""

    repository: Repository | None
    head: Declared | None = None
    base: Declared | None = None
    committed: frozenset[str] = frozenset()  # files HEAD holds, relative to the top level
    changed: frozenset[str] = frozenset()  # of those, the ones whose content is not HEAD's
    missing: str | None = None

    def uncommitted(self, file: Path | str) -> str | None:
        """Why `file` holds work git has not kept (None: its content is HEAD's)."""
        if self.repository is None:
            why = f" ({self.missing})" if self.missing else ""
            return f"is not in a git repository{why}"
        relative = self.repository.relative(file)
        if relative is None:
            return "lies outside the git repository"
        if relative not in self.committed:
            return "is not committed (git does not track it)"
        if relative in self.changed:
            return "has uncommitted changes"
        return None


def read_record(
    path: Path, providers: Mapping[str, Provider], *, base_ref: str | None
) -> GitRecord:
    """git's record of the configuration at `path`. A base ref that is not a commit, or whose
    configuration does not load, is an error (as for `plan --base-ref`); a missing record at
    HEAD is not: the directions are then unknown."""
    base: Declared | None = None
    if base_ref is not None:
        protected: set[Address] = set()
        fields = declared_at_ref(path, commit_of(path, base_ref), providers, protected=protected)
        base = Declared(fields=fields, protected=frozenset(protected))
    try:
        repository = Repository.holding(path)
    except GitMissing as error:
        return GitRecord(repository=None, base=base, missing=str(error))
    if repository is None:
        return GitRecord(repository=None, base=base)
    head = repository.commit("HEAD")
    relative = repository.relative(path)
    if head is None or relative is None:
        why = (
            "the repository has no commit yet"
            if head is None
            else "the configuration lies outside the repository"
        )
        return GitRecord(repository=repository, base=base, missing=why)
    committed = repository.files_at(head, relative)
    changed = repository.changed_since(head, relative)
    try:
        declared = repository.declared_at(head, path, providers)
    except ConfigError as error:
        return GitRecord(
            repository=repository,
            base=base,
            committed=committed,
            changed=changed,
            missing=("the configuration at HEAD does not load "
                     f"({counted(len(error.issues), 'problems')})"),
        )
    empty = Declared(fields={}, protected=frozenset())
    return GitRecord(
        repository=repository,
        head=declared or empty,
        base=base,
        committed=committed,
        changed=changed,
    )


def with_directions(
    report: DriftReport, refreshed: Mapping[str, Refreshed], record: GitRecord
) -> DriftReport:
    """The report with each drifted field's direction, and a note when git cannot tell."""
    sides = {side.provider.kind: side for side in refreshed.values()}
    items: list[DriftItem] = []
    for item in report.items:
        side = sides.get(item.address.kind)
        desired = side.desired.get(item.address.key) if side else None
        if item.status != "drifted" or desired is None:
            items.append(item)
            continue
        now = {**desired.fields, "protect": desired.protect}
        file = item.location.file if item.location else None
        directions = {
            change.name: _direction(record, item.address, change.name, now, file)
            for change in item.fields
        }
        items.append(replace(item, directions=directions))
    notes = list(report.notes)
    if any(Direction.UNKNOWN in item.moved() for item in items if item.status == "drifted"):
        notes.append(_unknown_note(record))
    return replace(report, items=tuple(items), notes=tuple(notes))


def _direction(
    record: GitRecord, address: Address, name: str, now: Mapping[str, Any], file: str | None
) -> Direction:
    if record.head is None or record.repository is None or file is None:
        return Direction.UNKNOWN
    if record.repository.relative(file) not in record.committed:
        return Direction.UNKNOWN  # a file git does not track: no earlier version to compare
    for declared in (record.head, record.base):
        if declared is None:
            continue
        fields = declared.fields.get(address)
        if fields is None:
            return Direction.GIT  # the object was added (or renamed) in git since
        then = address in declared.protected if name == "protect" else fields.get(name)
        if not same(now.get(name), then):
            return Direction.GIT
    return Direction.REMOTE


def _unknown_note(record: GitRecord) -> str:
    if record.repository is None:
        why = "the configuration is not in a git repository"
        if record.missing:
            why += f" ({record.missing})"
    elif record.missing:
        why = record.missing
    else:
        why = "a file holding them is not committed"
    return (
        f"git cannot tell whether some fields were edited here or remotely: {why}; they are "
        "reported as `differs`"
    )
