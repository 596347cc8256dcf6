"""Where each change comes from (`plan --base-ref origin/main`): the PR, or an edit outside git.

Git is the record of what was applied, so no state file is needed to tell a PR's changes from
drift: `declared_at_ref` reads the declared state at the base ref, and `label_origins` answers the
reviewer's question: does this change come from the PR (`config`: the object's declaration
differs between the base ref and HEAD) or does it revert an edit made outside git (`drift`: the
declaration is the same at both, the remote differs)? Within an update, each field is judged on
its own too (`Change.drift_fields`): a pull request may change one field of an object while
another was edited remotely, and `--on-drift` acts on exactly those fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from reconciler.engine.diff import same
from reconciler.engine.refresh import Refreshed
from reconciler.engine.worktree import GitMissing, Repository
from reconciler.errors import ConfigError, ReconcilerError
from reconciler.model import Action, Address, Change, Origin, Plan
from reconciler.providers.base import Provider
from reconciler.reports import counted

# The actions whose fields set an existing object's values (a create or removal has no remote
# value to keep).
REVERTS_FIELDS = frozenset({Action.UPDATE, Action.REPLACE})


def _repository(path: Path) -> Repository:
    try:
        repository = Repository.holding(path)
    except GitMissing as error:
        raise ReconcilerError(f"--base-ref needs git: {error}") from None
    if repository is None:
        raise ReconcilerError(f"--base-ref: {path} is not inside a git repository")
    return repository


def commit_of(path: Path, ref: str) -> str:
    """The commit `ref` names in the repository holding `path` (recorded in a saved plan, so
    that applying it later compares with the same base even if the ref has moved)."""
    found = _repository(path).commit(ref)
    if found is None:
        raise ReconcilerError(f"--base-ref: {ref!r} is not a commit here (fetch it first)")
    return found


def declared_at_ref(
    path: Path,
    ref: str,
    providers: Mapping[str, Provider],
    *,
    protected: set[Address] | None = None,
) -> dict[Address, Mapping[str, Any]]:
    """Canonical declared fields of every object under `path` as of `ref`; the addresses of
    the objects declared `protect: true` there are added to `protected` when it is given."""
    repository = _repository(path)
    commit = repository.commit(ref)
    if commit is None:
        raise ReconcilerError(f"--base-ref: {ref!r} is not a commit here (fetch it first)")
    try:
        declared = repository.declared_at(commit, path, providers)
    except ConfigError as error:
        raise ReconcilerError(
            f"--base-ref: the configuration at {ref} does not load "
            f"({counted(len(error.issues), 'problems')}); compare against a ref whose "
            "configuration is valid"
        ) from None
    if declared is None:
        # The path did not exist at the base ref: every declared object is new in this change.
        return {}
    if protected is not None:
        protected.update(declared.protected)
    return dict(declared.fields)


def label_origins(
    plan: Plan,
    head: Mapping[str, Refreshed],
    base_declared: Mapping[Address, Mapping[str, Any]],
) -> Plan:
    """Each change marked `config` (the PR changed the object) or `drift` (the remote did)."""
    declared_now = {
        desired.address: desired.fields
        for side in head.values()
        for desired in side.desired.values()
    }
    labelled: list[Change] = []
    for change in plan.changes:
        now = declared_now.get(change.address)
        before = base_declared.get(change.address)
        if before is None and change.moved_from is not None:
            # Renamed since the base ref: declared there under its old key. The rename is the
            # PR's; its fields still tell the PR's edits from remote ones.
            before = base_declared.get(change.moved_from)
        if now is None and before is None:
            origin = Origin.DRIFT
        elif now is None or before is None or change.moved_from is not None:
            origin = Origin.CONFIG
        else:
            origin = Origin.DRIFT if same(dict(now), dict(before)) else Origin.CONFIG
        drifted: tuple[str, ...] = ()
        if now is not None and before is not None and change.action in REVERTS_FIELDS:
            # A field declared alike at the base ref and now, yet planned: the remote moved.
            drifted = tuple(
                field.name
                for field in change.fields
                if same(now.get(field.name), before.get(field.name))
            )
        labelled.append(replace(change, origin=origin, drift_fields=drifted))
    return replace(plan, changes=tuple(labelled))
