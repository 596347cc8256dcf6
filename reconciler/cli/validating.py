"""`validate PATH...`: each path checked as a configuration of its own, reported as text or JSON.

Several paths are what pre-commit passes (the changed files); one path reads as it always has.
Every path is checked even after one fails, so one run lists every problem; the exit code is 1
when any path has one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from reconciler.cli.common import EXIT_ERROR
from reconciler.config import DesiredState, load
from reconciler.errors import ConfigError, ReconcilerError
from reconciler.model import ConfigIssue
from reconciler.render.safe import visible
from reconciler.reports import counted

FORMAT_VERSION = 1


@dataclass(frozen=True, kw_only=True)
class PathCheck:
    """What checking one path found: its state when valid, else its issues or its one error."""

    path: Path
    state: DesiredState | None = None
    issues: tuple[ConfigIssue, ...] = ()
    problems: int = 0
    error: str | None = None  # a problem with no position (a path that does not exist)

    @property
    def valid(self) -> bool:
        return self.state is not None

    def to_json(self) -> dict[str, Any]:
        state = self.state
        return {
            "path": str(self.path),
            "valid": self.valid,
            "files": len(state.files) if state else 0,
            "objects": {kind: len(found) for kind, found in state.objects.items()}
            if state else {},
            "problems": self.problems,
            "issues": [
                {
                    "file": issue.location.file,
                    "line": issue.location.line,
                    "column": issue.location.column,
                    "path": issue.path,
                    "message": issue.message,
                }
                for issue in self.issues
            ],
            "error": self.error,
        }


def check_path(path: Path, *, providers_required: bool = True) -> PathCheck:
    """Load one configuration without contacting any API; its problems, never an exception."""
    try:
        state = load(path, resolve_providers=False, providers_required=providers_required)
    except ConfigError as error:
        return PathCheck(path=path, issues=tuple(error.issues), problems=error.count)
    except ReconcilerError as error:
        return PathCheck(path=path, problems=1, error=str(error))
    return PathCheck(path=path, state=state)


def report(checks: Sequence[PathCheck], output_format: str) -> None:
    """Print the checks (valid ones on stdout, problems on stderr; JSON all on stdout), then exit
    1 when any path has a problem."""
    failed = [check for check in checks if not check.valid]
    if output_format == "json":
        document = {
            "format_version": FORMAT_VERSION,
            "valid": not failed,
            "problems": sum(check.problems for check in checks),
            "paths": [check.to_json() for check in checks],
        }
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        for check in checks:
            _text(check, named=len(checks) > 1)
        # One path whose one problem has no position is said in its one line already.
        if failed and not (len(checks) == 1 and failed[0].error is not None):
            problems = sum(check.problems for check in failed)
            plural = "s" if problems != 1 else ""
            where = f" in {len(failed)} of {len(checks)} paths" if len(checks) > 1 else ""
            click.echo(f"Error: the configuration has {problems} problem{plural}{where}", err=True)
    if failed:
        raise SystemExit(EXIT_ERROR)


def _text(check: PathCheck, *, named: bool) -> None:
    if check.error is not None:
        click.echo(visible(f"Error: {check.error}"), err=True)
        return
    for issue in check.issues:
        click.echo(visible(str(issue)), err=True)
    state = check.state
    if state is None:
        return
    counts = ", ".join(counted(len(objects), kind) for kind, objects in state.objects.items())
    where = visible(f"{check.path}: ") if named else ""
    click.echo(f"Valid: {where}{counts} in {counted(len(state.files), 'files')}.")
    if state.scope is not None:
        click.echo(f"Scope: {state.scope.name} ({state.scope.origin})")

