"""The plan file: a reviewed plan saved as JSON, read back, and checked against the live state."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.engine.refresh import Refreshed, state_checksum
from reconciler.errors import ReconcilerError, StalePlanError
from reconciler.model import Change, Plan
from reconciler.render.json import FORMAT_VERSION, plan_document


def save_plan(plan: Plan, path: Path, *, source: dict[str, Any]) -> None:
    document = plan_document(plan, source=source)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def load_plan(path: Path) -> tuple[Plan, dict[str, Any]]:
    """A saved plan and its source (the config path and target it was made from)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ReconcilerError(f"{path}: not a readable plan file ({error})") from None
    if not isinstance(document, dict) or document.get("format_version") != FORMAT_VERSION:
        raise ReconcilerError(
            f"{path}: not a reconciler plan of format version {FORMAT_VERSION}; make it again "
            "with `reconciler plan PATH -o FILE`"
        )
    try:
        plan = Plan(
            changes=tuple(Change.from_json(item) for item in document["changes"]),
            state_checksum=str(document["state_checksum"]),
            providers=tuple(document.get("providers", ())),
            series_sizes={str(k): int(v) for k, v in (document.get("series") or {}).items()},
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ReconcilerError(f"{path}: the plan file is damaged ({error!r})") from None
    source = document.get("source") or {}
    return plan, source if isinstance(source, dict) else {}


def check_fresh(plan: Plan, refreshed: Mapping[str, Refreshed], path: Path) -> None:
    """Refuse a saved plan when any object it touches changed remotely since it was made."""
    now = state_checksum(refreshed, [change.address for change in plan.changes])
    if now != plan.state_checksum:
        raise StalePlanError(
            f"{path} is stale: the remote state of the objects it changes is not what it was "
            "when the plan was made; run `reconciler plan` again and review the new plan"
        )
