"""`apply --format json`: one JSON document on stdout, once the run is over, whatever its end.

A published format (`schemas/apply.schema.json`, format version 1): each change of the plan under
the address the JSON plan gives it, with what became of it (`applied`, `failed`, `not attempted`,
`left out` by the check before the first write), and what reading back the writes found. Like
Terraform's `-json`, stdout carries the machine's document only: the text apply prints for
people (the plan, each outcome, the final table) goes to stderr instead, next to the notes,
progress and errors that were there already. The exit code is the text mode's.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from typing import Any

import click

from reconciler import __version__
from reconciler.cli.common import EXIT_ERROR, EXIT_OK
from reconciler.engine.apply import ApplyReport
from reconciler.engine.readback import ReadBack
from reconciler.errors import ReconcilerError
from reconciler.model import Plan, Skipped
from reconciler.redaction import redact_json
from reconciler.render.json import audited

FORMAT_VERSION = 1
SCHEMA_ID = "https://raw.githubusercontent.com/reconciler/reconciler/main/schemas/apply.schema.json"
# Interrupted as the command's handler ends it (the other codes are the text mode's too).
EXIT_INTERRUPTED = 130


@dataclass(kw_only=True)
class ApplyRecord:
    """What an apply got to, filled in as it goes: a run refused or stopped early leaves the
    later parts empty, and its changes `not attempted`."""

    plan: Plan | None = None
    left_out: Sequence[Skipped] = ()
    report: ApplyReport | None = None
    read_back: ReadBack = field(default_factory=ReadBack)


def json_format_option(command: Callable[..., None]) -> Callable[..., None]:
    """`--format text|json` for `apply`: with json, the command runs inside `json_output`,
    and `recorded()` gives it the record to fill in."""

    @click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="json: one document on stdout once the run ends (each change's result, the "
        "read-back, the exit code); the text output goes to stderr.",
    )
    @functools.wraps(command)
    def wrapper(*args: Any, output_format: str, **kwargs: Any) -> None:
        with json_output(output_format == "json") as record:
            click.get_current_context().meta[_RECORD] = record
            command(*args, **kwargs)

    return wrapper


def recorded() -> ApplyRecord:
    """The record of the running apply (kept, and printed, only with `--format json`)."""
    record = click.get_current_context().meta.setdefault(_RECORD, ApplyRecord())
    assert isinstance(record, ApplyRecord)
    return record


_RECORD = "reconciler.apply_record"


@contextmanager
def json_output(enabled: bool) -> Iterator[ApplyRecord]:
    """Around the whole of `apply`: with `enabled`, what it prints on stdout goes to stderr, and
    the document goes to stdout at the end, then the run ends as it would have (an error is
    raised on, for the command's handler to print and exit with)."""
    record = ApplyRecord()
    if not enabled:
        yield record
        return
    machine = sys.stdout
    error: BaseException | None = None
    try:
        with redirect_stdout(sys.stderr):
            yield record
    except BaseException as raised:
        error = raised
        raise
    finally:
        document = audited(apply_document(record, error=error), schema="apply.schema.json")
        click.echo(redact_json(document, indent=2), file=machine)


def apply_document(record: ApplyRecord, *, error: BaseException | None) -> dict[str, Any]:
    exit_code = _exit_code(error)
    plan = record.plan
    return {
        "$schema": SCHEMA_ID,
        "format_version": FORMAT_VERSION,
        "reconciler_version": __version__,
        "exit_code": exit_code,
        "error": _message(error),
        "summary": plan.summary if plan is not None else None,
        "results": _counts(record),
        "changes": _changes(record),
        "read_back": _read_back(record.read_back),
    }


def _changes(record: ApplyRecord) -> list[dict[str, Any]]:
    if record.plan is None:
        return []
    report = record.report
    outcomes = (
        {outcome.change.address: outcome for outcome in report.outcomes}
        if (report is not None)
        else {}
    )
    left_out = {skipped.address: skipped.reason for skipped in record.left_out}
    changes = []
    for change in record.plan.changes:
        result, message, remote_id = "not attempted", "", change.remote_id
        if (outcome := outcomes.get(change.address)) is not None:
            result = "applied" if outcome.ok else "failed"
            message, remote_id = outcome.message, outcome.remote_id or remote_id
        elif change.address in left_out:
            result, message = "left out", left_out[change.address]
        changes.append(
            {
                "address": str(change.address),
                "kind": change.address.kind,
                "key": change.address.key,
                "provider": change.provider,
                "action": change.action.value,
                "result": result,
                "message": message,
                "remote_id": remote_id,
            }
        )
    return changes


def _counts(record: ApplyRecord) -> dict[str, int]:
    counts = dict.fromkeys(("applied", "failed", "not attempted", "left out"), 0)
    for change in _changes(record):
        counts[change["result"]] += 1
    return counts


def _read_back(checked: ReadBack) -> dict[str, Any]:
    return {
        "verified": [str(change.address) for change in checked.verified],
        "unverified": [
            {"address": str(item.change.address), "reason": item.reason}
            for item in checked.unverified
        ],
        "duplicates_removed": [
            {
                "address": str(outcome.change.address),
                "removed": outcome.ok,
                "message": outcome.message,
                "remote_id": outcome.remote_id or outcome.change.remote_id,
            }
            for outcome in checked.removed
        ],
    }


def _exit_code(error: BaseException | None) -> int:
    if error is None:
        return EXIT_OK
    if isinstance(error, SystemExit):
        code = error.code
        return code if isinstance(code, int) else EXIT_ERROR if code else EXIT_OK
    if isinstance(error, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    return EXIT_ERROR  # the command's handler ends every other error with this code


def _message(error: BaseException | None) -> str | None:
    """The error the run stopped on, as stderr says it (a failed change's message is its own)."""
    if isinstance(error, ReconcilerError):
        return str(error)
    if error is None or isinstance(error, SystemExit | KeyboardInterrupt):
        return None
    return f"internal error ({type(error).__name__})"
