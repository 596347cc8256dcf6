"""What `plan` would refuse in a loaded configuration, checked without any network.

`load` runs these after every file has been read and checked on its own, for `validate` and for
every command that plans, so that "Valid" means plan will not refuse the configuration for its
own content:

- each declared kind has its provider configured (unless the sandbox supplies them);
- each recurring series has at least one occurrence: a rule that yields none (`COUNT=0`, an
  UNTIL before the start, exdates that drop every date) would otherwise plan to remove every
  occurrence the series has;
- no occurrence ends before it starts (an override's `end` before its start), nor falls
  outside the years a schedule may use (an override's start in year 9999).

The rest is checked where it is read: base URLs with the providers block (`settings`, with the
transport's own rule), numbers and text as the YAML is parsed (`yaml`), values by the schema and
per object (`schema`, `checks`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime

from reconciler.config.checks import in_range, out_of_range
from reconciler.config.document import ConfigFile
from reconciler.config.series import SEPARATOR, Series
from reconciler.config.settings import require_providers
from reconciler.instants import format_utc, parse_instant
from reconciler.model import ConfigIssue, DeclaredObject, ProviderSettings


def plan_refusals(
    files: Sequence[ConfigFile],
    providers: Mapping[str, ProviderSettings],
    objects: Mapping[str, Sequence[DeclaredObject]],
    series: Mapping[str, Mapping[str, Series]],
    *,
    providers_required: bool,
) -> list[ConfigIssue]:
    """Every issue `plan` would meet in the loaded configuration before contacting any API."""
    issues: list[ConfigIssue] = []
    if providers_required:
        require_providers(list(files), providers, issues)
    issues.extend(_series_without_occurrences(series))
    for kind in ("sessions", "events"):
        issues.extend(_occurrences_out_of_range(kind, objects.get(kind, ())))
    issues.extend(_occurrences_ending_before_start(objects.get("events", ())))
    return issues


def has_occurrence(series: Series) -> bool:
    """Whether the rule, less its exdates and after `until`, yields any occurrence at all: past,
    within the horizon or beyond it (a series that ended is still a series). The expansion's
    own walk found out (`Series.outlook`)."""
    outlook = series.outlook
    return bool(outlook.declared or outlook.last_past or outlook.first_beyond)


def _series_without_occurrences(
    series: Mapping[str, Mapping[str, Series]],
) -> Iterator[ConfigIssue]:
    for by_key in series.values():
        for one in by_key.values():
            if not has_occurrence(one):
                yield ConfigIssue(
                    one.location,
                    one.path,
                    f'the series has no occurrence: the rule "{one.rule.text}" with its exdates '
                    "and until yields none at all; fix COUNT, UNTIL, until or exdates (to "
                    "remove the series, delete its entry and apply with --prune)",
                )


def _occurrences_out_of_range(
    kind: str, declared: Sequence[DeclaredObject]
) -> Iterator[ConfigIssue]:
    """An occurrence an override moved out of the years a schedule may use (a plain object's
    start and end are checked by `checks`, where they are written)."""
    for item in declared:
        if SEPARATOR not in item.key:
            continue
        zone = item.fields.get("time_zone")
        for name in ("start", "end"):
            text = item.fields.get(name)
            if not isinstance(text, str):
                continue
            when = _when(text, zone)
            if when is not None and not in_range(when):
                yield ConfigIssue(item.location, "", f"{kind}.{item.key}: {name} "
                                  + out_of_range(text))


def _occurrences_ending_before_start(
    events: Sequence[DeclaredObject],
) -> Iterator[ConfigIssue]:
    """An occurrence whose override ends it before it starts (a plain event's start and end are
    compared by `checks`, and an override that moves only the start keeps the duration)."""
    for event in events:
        if SEPARATOR not in event.key:
            continue
        start, end = event.fields.get("start"), event.fields.get("end")
        if not isinstance(start, str) or not isinstance(end, str):
            continue
        zone = event.fields.get("time_zone")
        begins, ends = _when(start, zone), _when(end, zone)
        if begins is None or ends is None or type(begins) is not type(ends):
            continue
        if not (in_range(begins) and in_range(ends)):
            continue  # said once, as out of range
        if ends < begins:  # both dates or both aware date-times (the types match)
            yield ConfigIssue(
                event.location,
                "",
                f"events.{event.key} ends ({_shown(ends)}) before it starts ({_shown(begins)}): "
                "give the override an end after its start",
            )


def _shown(when: date) -> str:
    """An instant as the scheduling checks show it (UTC), a date as it is."""
    return format_utc(when) if isinstance(when, datetime) else when.isoformat()


def _when(text: str, zone: object) -> datetime | date | None:
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return parse_instant(text, zone if isinstance(zone, str) else None)
    except (KeyError, ValueError, OverflowError):
        return None
