"""The JSON plan (format version 1): the plan file `apply` reads, and the machine-readable output.

A published format: `schemas/plan.schema.json` describes it and the README documents it field
by field. Fields are only ever added within a version, so readers ignore fields they do not know.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache
from typing import Any

from reconciler import __version__
from reconciler.instants import format_utc, zone_or_utc
from reconciler.model import Change, Plan

FORMAT_VERSION = 1
# Set by test suites only (see `audited`): a file that collects the schema check of every plan.
AUDIT_VARIABLE = "RECONCILER_PLAN_SCHEMA_AUDIT"
PLAN_SCHEMA = "plan.schema.json"
SCHEMA_ID = "https://raw.githubusercontent.com/reconciler/reconciler/main/schemas/plan.schema.json"


def plan_document(plan: Plan, *, source: dict[str, Any] | None = None) -> dict[str, Any]:
    scope = plan.scope.name if plan.scope is not None else None
    return {
        "$schema": SCHEMA_ID,
        "format_version": FORMAT_VERSION,
        "reconciler_version": __version__,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": source or {},
        "state_checksum": plan.state_checksum,
        "providers": list(plan.providers),
        "summary": plan.summary,
        "has_changes": plan.has_changes,
        "changes": [change_document(change, scope=scope) for change in plan.changes],
        "skipped": [skipped.to_json() for skipped in plan.skipped],
        "warnings": list(plan.warnings),
        "series": dict(plan.series_sizes),
        "scope": plan.scope.to_json() if plan.scope is not None else None,
        "duplicates": [duplicate.to_json() for duplicate in plan.duplicates],
        # The overlaps (same person or place) the apply would introduce or resolve.
        "conflicts": plan.conflicts.to_json(),
        # Judged when the plan was made; `apply plan.json` judges the changes again.
        "policy": {
            "sets": list(plan.policy_sets),
            "findings": [finding.to_json() for finding in plan.findings],
        },
    }


def change_document(change: Change, *, scope: str | None) -> dict[str, Any]:
    """One change as the plan publishes it: what the plan file keeps, plus the plan's scope and
    the object's times on both clocks (derived, so a saved plan never has to be trusted for
    them)."""
    out = change.to_json()
    out["scope"] = scope
    out["times"] = _times(change)
    return out


def change_summary(change: Change, *, scope: str | None) -> dict[str, Any]:
    """A change as the JSON plan publishes it, without its `fields`, `requests` and the other
    lists: what declarative policies read (the same facts are in `before` and `after`), made
    without the cost of the rest on a plan of many thousand changes."""
    return {
        "address": str(change.address),
        "kind": change.address.kind,
        "key": change.address.key,
        "provider": change.provider,
        "action": change.action.value,
        "reason": change.reason,
        "remote_id": change.remote_id,
        "before": change.before,
        "after": change.after,
        "origin": change.origin.value if change.origin is not None else None,
        "scope": scope,
        "times": _times(change),
    }


def _times(change: Change) -> dict[str, Any] | None:
    """The object's start and end in UTC and on the wall clock of its zone (UTC without one)."""
    if not change.starts_at:
        return None
    if _is_date(change.starts_at):  # an all-day object: its dates are the same on every clock
        fields = change.after if change.after is not None else change.before
        end = (fields or {}).get("end")
        return {
            "time_zone": change.time_zone,
            "start": {"utc": change.starts_at, "local": change.starts_at},
            "end": {"utc": end, "local": end} if isinstance(end, str) and _is_date(end) else None,
        }
    zone = zone_or_utc(change.time_zone)
    start = _instant(change.starts_at)
    end = _end(change, start)
    return {
        "time_zone": change.time_zone,
        "start": _both_clocks(start, zone),
        "end": _both_clocks(end, zone) if end is not None else None,
    }


def _end(change: Change, start: datetime) -> datetime | None:
    """Where the object's fields say: an event's `end`, a session's `duration_hours`."""
    fields = change.after if change.after is not None else change.before
    if not fields:
        return None
    end, duration = fields.get("end"), fields.get("duration_hours")
    try:
        if isinstance(end, str):
            return _instant(end)
        if isinstance(duration, int | float) and not isinstance(duration, bool):
            return start + timedelta(hours=duration)
    except (ValueError, OverflowError):
        return None  # a remote value the API let through: shown as it is elsewhere
    return None


def _is_date(text: str) -> bool:
    return len(text) == 10  # YYYY-MM-DD: canonical instants always carry a time


def _instant(text: str) -> datetime:
    """A canonical instant of the plan (UTC, `Z`); read as UTC should it carry no offset."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _both_clocks(moment: datetime, zone: tzinfo) -> dict[str, str]:
    # Computed here rather than through `instants.local`: a plan of 10,000 changes does this
    # 20,000 times, and policies read it on every plan.
    return {"utc": format_utc(moment), "local": moment.astimezone(zone).isoformat()}


def audited(document: dict[str, Any], *, schema: str = PLAN_SCHEMA) -> dict[str, Any]:
    """`document`, once checked against the published `schema` when a test suite asks.

    A suite sets `AUDIT_VARIABLE` to a file: every plan the CLI prints or saves, and every
    result `apply --format json` prints (in process or in a child process, such as the Action's
    steps), is validated and its problems appended there, one JSON line per document, for the
    suite to fail on. Unset, this does nothing.
    """
    log = os.environ.get(AUDIT_VARIABLE)
    if log:
        problems = schema_problems(document, schema=schema)
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"schema": schema, "problems": problems}) + "\n")
    return document


def schema_problems(document: Any, *, schema: str = PLAN_SCHEMA) -> list[str]:
    """What in `document` the published `schema` refuses (`[]`: a valid plan)."""
    return [
        f"/{'/'.join(str(part) for part in error.instance_path)}: {error.message}"
        for error in _validator(schema).iter_errors(document)
    ]


@cache
def _validator(schema: str) -> Any:
    import jsonschema_rs  # loaded for audits and policies only

    from reconciler.published import load_published

    return jsonschema_rs.Draft202012Validator(load_published(schema))
