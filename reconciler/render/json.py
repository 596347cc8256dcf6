"""The JSON plan (format version 1): the plan file `apply` reads, and the machine-readable output.

Documented in the README ("JSON plan format"); fields are only ever added within a version.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reconciler import __version__
from reconciler.model import Plan

FORMAT_VERSION = 1


def plan_document(plan: Plan, *, source: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "reconciler_version": __version__,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": source or {},
        "state_checksum": plan.state_checksum,
        "providers": list(plan.providers),
        "summary": plan.summary,
        "has_changes": plan.has_changes,
        "changes": [change.to_json() for change in plan.changes],
        "skipped": [skipped.to_json() for skipped in plan.skipped],
        "warnings": list(plan.warnings),
        "series": dict(plan.series_sizes),
        "scope": plan.scope.to_json() if plan.scope is not None else None,
        "duplicates": [duplicate.to_json() for duplicate in plan.duplicates],
    }
