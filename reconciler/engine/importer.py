"""`reconciler import` and `apply --adopt`: bring existing, unmanaged objects under management.

    import ──list unmanaged, filter──▶ YAML entries (key from name and date, remote_id)
    apply --adopt ──▶ one marking request per entry (our key on the object), nothing else

Import writes YAML that declares each chosen object exactly as it is, with a key derived from
its name and date (slugified, unique) and `remote_id`, the object it came from. Planning such an
entry finds no managed twin, so it would be a create; `plan_adoptions` turns that create into
an adoption when `--adopt` is given (Prospero: a merge patch of the customFields markers only)
and into a skipped entry otherwise, so an imported object is never created a second time.
Previsto assignments are found by `select: {id}` and only gain the two reserved metadata keys.
Prevail cannot adopt (additional_details, where the key lives, is not editable): such entries
are skipped with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

from slugify import slugify as ascii_slug

from reconciler import __version__
from reconciler.config import DesiredState
from reconciler.config.recurrence import split_key
from reconciler.engine import next_steps
from reconciler.errors import ReconcilerError
from reconciler.instants import iana_zone, now, parse_instant
from reconciler.model import PROVIDER_OF, RemoteObject
from reconciler.providers.base import Provider

log = logging.getLogger(__name__)

MAX_KEY = 63
SINGULAR = {"sessions": "session", "events": "event", "assignments": "assignment"}


@dataclass(frozen=True, kw_only=True)
class Imported:
    """What `reconciler import` produced: the YAML text, how many entries, and notes for people."""

    text: str
    count: int
    notes: tuple[str, ...] = ()


def parse_filters(texts: Sequence[str]) -> dict[str, str]:
    """`--where status=confirmed` options as {field path: value}."""
    filters: dict[str, str] = {}
    for text in texts:
        name, equals, value = text.partition("=")
        if not equals or not name.strip():
            raise ReconcilerError(f"--where {text!r}: write FIELD=VALUE, e.g. status=confirmed")
        filters[name.strip()] = value
    return filters


def import_objects(
    state: DesiredState,
    providers: Mapping[str, Provider],
    *,
    kind: str,
    where: Mapping[str, str],
    since: date | None,
    source: str,
) -> Imported:
    """YAML declaring every unmanaged `kind` object that passes the filters."""
    provider = providers.get(PROVIDER_OF[kind])
    if provider is None:
        raise ReconcilerError(
            f"importing {kind} needs providers.{PROVIDER_OF[kind]} in the configuration "
            "(or run with --sandbox)"
        )
    known = _declared_ids(state, kind)  # imported before, or selected: never twice
    candidates = [remote for remote in provider.list_unmanaged() if remote.remote_id not in known]
    _check_filter_names(where, candidates, kind)
    chosen = [
        remote
        for remote in candidates
        if _passes(remote, where) and (since is None or _starts_on_or_after(remote, since))
    ]
    chosen.sort(key=lambda remote: (remote.starts_at or "", remote.key, remote.remote_id))
    declared = state.objects.get(kind, ())
    # A renamed object's previous keys stay taken: they still identify it, remotely.
    taken = {obj.key for obj in declared} | {
        parts[0] for obj in declared if (parts := split_key(obj.key))
    } | {old for obj in declared for old in obj.options.previous_keys}
    entries = []
    for remote in chosen:
        key = unique_key(remote.key, _day(remote), taken, SINGULAR[kind])
        entry: dict[str, Any] = {"key": key}
        if kind != "assignments":  # an assignment's `select: {id}` already names it
            entry["remote_id"] = remote.remote_id
        entry.update(provider.declared_from_remote(remote))
        entries.append(entry)
    notes = []
    refusal = provider.adoption_refusal()
    if refusal and entries:
        notes.append(f"these {kind} cannot be adopted: {refusal}")
    return Imported(
        text=_document(kind, entries, source, where, since), count=len(entries), notes=tuple(notes)
    )


def unique_key(name: str, day: date | None, taken: set[str], fallback: str) -> str:
    """`quarterly-all-hands-2027-01-14`: slugified name and date, made unique with -2, -3..."""
    suffix = f"-{day.isoformat()}" if day else ""
    slug = slugify(name) or fallback
    stem = slug[: MAX_KEY - len(suffix) - 4].rstrip("-._") + suffix
    key, number = stem, 2
    while key in taken:
        key, number = f"{stem}-{number}", number + 1
    taken.add(key)
    return key


def slugify(text: str) -> str:
    """Lower-case ASCII letters and digits joined by '-', as keys are written. Every script is
    transliterated (python-slugify, through text-unidecode), so a Japanese, Cyrillic or Greek
    title keeps a readable key (会議 → hui-yi) instead of falling back to `event-<date>`."""
    return ascii_slug(text)


# -- import helpers ------------------------------------------------------------------------------


def _declared_ids(state: DesiredState, kind: str) -> set[str]:
    """Remote ids the configuration already names (imported before, or selected)."""
    ids = set()
    for obj in state.objects.get(kind, ()):
        if obj.options.remote_id:
            ids.add(obj.options.remote_id)
        select = obj.fields.get("select")
        if isinstance(select, Mapping) and isinstance(select.get("id"), str):
            ids.add(select["id"])
    return ids


def _check_filter_names(
    where: Mapping[str, str], candidates: list[RemoteObject], kind: str
) -> None:
    known = {name for remote in candidates for name in remote.fields}
    for name in where:
        if candidates and name.partition(".")[0] not in known:
            raise ReconcilerError(
                f"--where {name}=...: {kind} have no field {name.partition('.')[0]!r} "
                f"(fields: {', '.join(sorted(known))})"
            )


def _passes(remote: RemoteObject, where: Mapping[str, str]) -> bool:
    return all(_text(_lookup(remote.fields, name)) == value for name, value in where.items())


def _lookup(fields: Mapping[str, Any], dotted: str) -> Any:
    value: Any = fields
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _starts_on_or_after(remote: RemoteObject, since: date) -> bool:
    day = _day(remote)
    return day is not None and day >= since


def _day(remote: RemoteObject) -> date | None:
    """The object's start date: local in its zone when it has one, else UTC."""
    start = remote.starts_at or remote.fields.get("start")
    if not isinstance(start, str):
        return None
    if len(start) == 10:
        return date.fromisoformat(start)
    moment = parse_instant(start)
    zone = remote.fields.get("time_zone")
    if isinstance(zone, str):
        return moment.astimezone(iana_zone(zone)).date()
    return moment.astimezone(UTC).date()


def _document(
    kind: str,
    entries: list[dict[str, Any]],
    source: str,
    where: Mapping[str, str],
    since: date | None,
) -> str:
    chosen = " ".join(
        [*(f"--where {name}={value}" for name, value in where.items()),
         *([f"--since {since.isoformat()}"] if since else [])]
    )
    header = [
        f"# Imported by reconciler {__version__} on {now():%Y-%m-%d} from {source}:",
        f"# {len(entries)} unmanaged {kind}{' chosen by ' + chosen if chosen else ''}.",
        f"# {next_steps.command('apply', '--adopt')} marks them as managed without changing",
        "# them; until then plan and apply leave them alone (remote_id names the object each came",
        "# from).",
    ]
    import yaml  # here: only `import` writes YAML, and plan/apply import this module for --adopt

    body = yaml.safe_dump(
        {"version": 1, kind: entries}, sort_keys=False, allow_unicode=True, width=100
    )
    return "\n".join(header) + "\n" + body
