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

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from reconciler.config import load
from reconciler.engine.diff import same
from reconciler.engine.refresh import Refreshed
from reconciler.errors import ConfigError, ReconcilerError
from reconciler.model import PROVIDER_OF, Action, Address, Change, Origin, Plan
from reconciler.providers.base import Provider

# The actions whose fields set an existing object's values (a create or removal has no remote
# value to keep).
REVERTS_FIELDS = frozenset({Action.UPDATE, Action.REPLACE})


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as error:
        raise ReconcilerError(f"--base-ref needs git on PATH ({error.strerror})") from None


def commit_of(path: Path, ref: str) -> str:
    """The commit `ref` names in the repository holding `path` (recorded in a saved plan, so
    that applying it later compares with the same base even if the ref has moved)."""
    here = path if path.is_dir() else path.parent
    if _git(here, "rev-parse", "--show-toplevel").returncode != 0:
        raise ReconcilerError(f"--base-ref: {path} is not inside a git repository")
    found = _git(here, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if found.returncode != 0:
        raise ReconcilerError(f"--base-ref: {ref!r} is not a commit here (fetch it first)")
    return found.stdout.decode().strip()


def declared_at_ref(
    path: Path,
    ref: str,
    providers: Mapping[str, Provider],
    *,
    protected: set[Address] | None = None,
) -> dict[Address, Mapping[str, Any]]:
    """Canonical declared fields of every object under `path` as of `ref`; the addresses of
    the objects declared `protect: true` there are added to `protected` when it is given."""
    here = path if path.is_dir() else path.parent
    top = _git(here, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise ReconcilerError(f"--base-ref: {path} is not inside a git repository")
    root = Path(top.stdout.decode().strip())
    relative = path.resolve().relative_to(root.resolve())
    if _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise ReconcilerError(f"--base-ref: {ref!r} is not a commit here (fetch it first)")
    archive = _git(root, "archive", "--format=tar", ref, "--", str(relative))
    if archive.returncode != 0:
        # The path did not exist at the base ref: every declared object is new in this change.
        return {}
    with tempfile.TemporaryDirectory(prefix="reconciler-base-") as scratch:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as bundle:
            bundle.extractall(scratch, filter="data")
        try:
            state = load(Path(scratch) / relative, resolve_providers=False)
        except ConfigError as error:
            raise ReconcilerError(
                f"--base-ref: the configuration at {ref} does not load ({len(error.issues)} "
                "problem(s)); compare against a ref whose configuration is valid"
            ) from None
    declared: dict[Address, Mapping[str, Any]] = {}
    for kind, objects in state.objects.items():
        provider = providers.get(PROVIDER_OF[kind])
        for obj in objects:
            fields = provider.canonical(obj).fields if provider else obj.fields
            declared[Address(kind, obj.key)] = fields
            if protected is not None and obj.options.protect:
                protected.add(Address(kind, obj.key))
    return declared


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
