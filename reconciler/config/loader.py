"""The desired state: load one YAML file or a directory of them, validated, merged and resolved.

    path ──read──▶ YAML with marks ──schema──▶ per-file documents ──merge──▶ DesiredState
                                                                  └─ ${NAME}, semantic checks

Every problem found on the way becomes a `ConfigIssue` (`FILE:LINE:COL: path: message`), and
`load` raises one `ConfigError` carrying all of them, sorted by file and line. The YAML format is
`../shared/config.md`'s; its formal version is `schemas/reconciler.schema.json`.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from itertools import groupby
from pathlib import Path
from typing import Any

from reconciler.config.checks import check_object
from reconciler.config.discovery import ReadLimits, discover, read_all
from reconciler.config.document import ConfigFile
from reconciler.config.hints import hint_budget
from reconciler.config.notifications import NotificationTarget
from reconciler.config.notifications import collect as collect_notifications
from reconciler.config.plan_defaults import PlanDefaults
from reconciler.config.plan_defaults import collect as collect_defaults
from reconciler.config.recurrence import Series, expand_series
from reconciler.config.renames import Claim, claims, rename_issues
from reconciler.config.review import Review
from reconciler.config.review import collect as collect_review
from reconciler.config.schema import schema_issues
from reconciler.config.scope import declared_scope, derived_scope
from reconciler.config.settings import merge_providers, resolve_references
from reconciler.config.validation import plan_refusals
from reconciler.config.windows import ChangeWindow
from reconciler.config.windows import collect as collect_windows
from reconciler.config.working_hours import WorkingHours, collect
from reconciler.config.yaml import JsonPath, parse_yaml
from reconciler.errors import ConfigError, ReconcilerError
from reconciler.instants import now
from reconciler.model import (
    KINDS,
    ConfigIssue,
    DeclaredObject,
    Location,
    ObjectOptions,
    ProviderSettings,
    Scope,
)

# The entry names that are options of the object, not fields the provider manages.
OPTION_FIELDS = frozenset(
    {"key", "protect", "ignore_changes", "allow_short_notice", "allow_past", "via", "remote_id",
     "recurrence", "overrides", "previous_keys"}
)

# Issues listed per file; the rest are counted in one line. A hostile or generated file can hold
# tens of thousands of problems, and nobody reads past the first screens of them.
ISSUES_PER_FILE = 100

_NO_OPTIONS = ObjectOptions()
_OPTION_NAMES = frozenset(option.name for option in dataclass_fields(ObjectOptions))


@dataclass(frozen=True, kw_only=True)
class DesiredState:
    """The configuration as loaded: providers' settings, declared objects, series, working hours.

    What the engine plans from. `objects` holds every series' occurrences already expanded;
    `series` keeps what the plan needs to judge remote occurrences the rule no longer produces.
    """

    providers: Mapping[str, ProviderSettings]
    objects: Mapping[str, tuple[DeclaredObject, ...]]  # kind -> objects, in file order
    files: tuple[str, ...]
    # kind -> series key -> recurring series (its occurrences are in `objects`)
    series: Mapping[str, Mapping[str, Series]] = field(default_factory=dict)
    working_hours: Mapping[str, WorkingHours] = field(default_factory=dict)  # canonical zone ->
    # Whose objects these are (`providers.stack`, or derived from the repository).
    scope: Scope | None = None
    # Each file's name below the configuration's path -> sha256 of its bytes: what a saved plan's
    # configuration fingerprint covers, independent of where the configuration sits.
    file_digests: Mapping[str, str] = field(default_factory=dict)
    # Where messages about a run go (`notifications:`); URLs resolved only with the providers'.
    notifications: tuple[NotificationTarget, ...] = ()
    # The policy folders `policies:` names, each relative to the file that names it.
    policies: tuple[str, ...] = ()
    windows: tuple[ChangeWindow, ...] = ()  # when apply may write (`windows:`)
    # The options plan and apply are made with, where no flag says otherwise (`defaults:`).
    defaults: PlanDefaults = field(default_factory=PlanDefaults)
    review: Review = field(default_factory=Review)  # the reviewers' zones (`review:`)


def load(
    path: str | Path,
    *,
    environ: Mapping[str, str] | None = None,
    resolve_providers: bool = True,
    providers_required: bool | None = None,
    limits: ReadLimits | None = None,
) -> DesiredState:
    """Load one YAML file, or every *.yaml/*.yml under a directory (hidden ones skipped).

    `resolve_providers` reads the providers' `${NAME}` references from the environment;
    `providers_required` (by default the same) refuses objects whose provider is not
    configured, as a run against real accounts must (the sandbox supplies its own). `limits`
    bound the bytes read (by default from `RECONCILER_MAX_CONFIG_MB`, else 20 MB per file and
    100 MB in total).
    """
    root = Path(path)
    if not os.path.lexists(root):
        # No file to point at: a FILE:1:1 position (or an annotation on it) would be invented.
        raise ReconcilerError(f"{root}: no such file or directory")
    texts: list[tuple[str, str]] = []
    files, issues = discover(root)
    if not files and not issues:
        # A folder has no line to point at either: one plain message.
        raise ReconcilerError(f"{root}: no *.yaml or *.yml files in this directory")
    read, refused = read_all(files, limits or ReadLimits.from_environ(os.environ))
    issues.extend(refused)
    for name, raw in read:
        try:
            texts.append((name, raw.decode("utf-8-sig")))
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            issues.append(
                ConfigIssue(Location(name, line, column), "", "not YAML text: not valid UTF-8")
            )
    state = _load_texts(
        texts,
        issues,
        environ=environ,
        resolve_providers=resolve_providers,
        providers_required=resolve_providers if providers_required is None else providers_required,
        root=root,
    )
    return replace(state, file_digests=_digests(root, read))


def _digests(root: Path, read: list[tuple[str, bytes]]) -> dict[str, str]:
    """sha256 of each file's bytes, named relative to `root` (a lone file by its own name)."""
    digests: dict[str, str] = {}
    for name, raw in read:
        relative = Path(name).name if not root.is_dir() else Path(name).relative_to(root)
        digests[Path(relative).as_posix()] = hashlib.sha256(raw).hexdigest()
    return digests


def load_text(
    text: str,
    *,
    filename: str,
    environ: Mapping[str, str] | None = None,
    resolve_providers: bool = True,
    providers_required: bool | None = None,
) -> DesiredState:
    """Load one YAML document given as text; `filename` is what issues name (and, without
    `providers.stack`, what the scope is derived from)."""
    return _load_texts(
        [(filename, text)],
        [],
        environ=environ,
        resolve_providers=resolve_providers,
        providers_required=resolve_providers if providers_required is None else providers_required,
        root=Path(filename),
    )


def _load_texts(
    texts: list[tuple[str, str]],
    issues: list[ConfigIssue],
    *,
    environ: Mapping[str, str] | None,
    resolve_providers: bool,
    providers_required: bool,
    root: Path,
) -> DesiredState:
    files: list[ConfigFile] = []
    with hint_budget():
        for name, text in texts:
            parsed = _parse(name, text, issues)
            if parsed is not None:
                files.append(parsed)
        environment = os.environ if environ is None else environ
        providers = merge_providers(files, issues, environment, resolve_providers)
        objects, series = _merge_objects(files, issues)
        working_hours = collect(
            [(file.document, file.source, file.clean) for file in files], issues
        )
        notifications = collect_notifications(
            [(file.document, file.source, file.clean) for file in files],
            issues,
            (lambda value, path, source: resolve_references(value, path, source, environment,
                                                            issues))
            if resolve_providers else None,
        )
        windows = collect_windows([(file.document, file.source) for file in files], issues)
        defaults = collect_defaults(
            [(file.document, file.source, file.clean) for file in files], issues
        )
        review = collect_review(
            [(file.document, file.source, file.clean) for file in files], issues
        )
    # What plan would refuse later, found here for every command alike (validate included).
    issues.extend(
        plan_refusals(files, providers, objects, series, providers_required=providers_required)
    )
    if issues:
        raise ConfigError(
            _sorted(issues, [name for name, _ in texts]), count=len(set(issues))
        )
    files_read = tuple(name for name, _ in texts)
    return DesiredState(
        providers=providers,
        objects=objects,
        files=files_read,
        series=series,
        working_hours=working_hours,
        scope=declared_scope(files) or derived_scope(root, environ),
        notifications=notifications,
        windows=windows,
        defaults=defaults,
        review=review,
        policies=tuple(
            (Path(file.name).parent / entry).as_posix()
            for file in files
            for entry in file.document.get("policies") or ()
            if isinstance(entry, str)
        ),
    )


def _parse(name: str, text: str, issues: list[ConfigIssue]) -> ConfigFile | None:
    parsed = parse_yaml(text, name)
    issues.extend(issue for _, issue in parsed.issues)
    flawed = {path for path, _ in parsed.issues}
    document = {} if parsed.document is None and not parsed.issues else parsed.document
    if document is None:
        return None
    if not isinstance(document, dict):
        kind = "a list" if isinstance(document, list) else "a single value"
        issues.append(
            ConfigIssue(
                parsed.source.value_at(()),
                "",
                f"the top level must be a mapping (version, providers, sessions, events, "
                f"assignments), not {kind}",
            )
        )
        return None
    for path, issue in schema_issues(document, parsed.source):
        # a YAML-level problem (duplicate key, tag) already explains what lies under it; each
        # prefix is looked up (not each flawed path compared), so that 20,000 problems in one
        # file cost 20,000 lookups per prefix length, not 20,000 x 20,000 comparisons. Only a
        # reported path counts as flawed: the semantic checks skip flawed fields as explained.
        if not any(path[:end] in flawed for end in range(1, len(path) + 1)):
            issues.append(issue)
            flawed.add(path)
    return ConfigFile(name=name, document=document, source=parsed.source, flawed=frozenset(flawed))


def _merge_objects(
    files: list[ConfigFile], issues: list[ConfigIssue]
) -> tuple[dict[str, tuple[DeclaredObject, ...]], dict[str, dict[str, Series]]]:
    objects: dict[str, tuple[DeclaredObject, ...]] = {}
    series: dict[str, dict[str, Series]] = {}
    moment = now()  # one clock reading per load: every series expands against the same now
    for kind in KINDS:
        declared: list[DeclaredObject] = []
        # Where each key is first declared; the places of any key declared twice or more.
        first: dict[str, tuple[ConfigFile, int]] = {}
        repeated: dict[str, list[tuple[ConfigFile, int]]] = {}
        renamed: list[Claim] = []  # every previous key listed, checked once all keys are known
        for file in files:
            items = file.document.get(kind)
            if not isinstance(items, list):
                continue
            starts = file.source.entry_starts(kind, len(items))
            for index, item in enumerate(items):
                path: JsonPath = (kind, index)
                if not isinstance(item, dict):
                    continue
                key = item.get("key")
                if isinstance(key, str):
                    if key in first:
                        repeated.setdefault(key, [first[key]]).append((file, index))
                    else:
                        first[key] = (file, index)
                renamed.extend(claims(file, kind, index, item))
                flawed = file.flawed_fields(path)
                found = check_object(kind, item, path, file.source, flawed=flawed)
                issues.extend(found)
                if not found and file.clean(path) and isinstance(key, str):
                    base = _declared(kind, key, item, starts[index])
                    if "recurrence" not in item and "overrides" not in item:
                        declared.append(base)
                        continue
                    # A series becomes its occurrences here, before any provider sees it.
                    expansion = expand_series(base, item, path, file.source, now=moment)
                    issues.extend(expansion.issues)
                    declared.extend(expansion.occurrences)
                    if expansion.series is not None:
                        series.setdefault(kind, {})[key] = expansion.series
        for key, ((where, index), *later) in repeated.items():
            also = ", ".join(str(other.source.at((kind, at, "key"))) for other, at in later)
            issues.append(
                where.source.issue((kind, index, "key"), f'duplicate key "{key}" (also at {also})')
            )
        issues.extend(rename_issues(kind, renamed, first))
        objects[kind] = tuple(declared)
    return objects, series


def _declared(kind: str, key: str, item: Mapping[str, Any], location: Location) -> DeclaredObject:
    options = (
        ObjectOptions(
            protect=bool(item.get("protect", False)),
            ignore_changes=tuple(item.get("ignore_changes") or ()),
            allow_short_notice=bool(item.get("allow_short_notice", False)),
            allow_past=bool(item.get("allow_past", False)),
            via=item.get("via"),
            remote_id=item.get("remote_id"),
            previous_keys=tuple(item.get("previous_keys") or ()),
        )
        if not _OPTION_NAMES.isdisjoint(item)
        else _NO_OPTIONS  # most objects set none: one shared, immutable instance
    )
    return DeclaredObject(
        kind=kind,
        key=key,
        # Field names interned: the YAML reader makes a new string for every key of every object,
        # and a plan holds these dicts for all of them.
        fields={
            sys.intern(name): value for name, value in item.items() if name not in OPTION_FIELDS
        },
        options=options,
        location=location,
    )


def _sorted(issues: list[ConfigIssue], order: list[str]) -> list[ConfigIssue]:
    """The issues in file and line order, at most `ISSUES_PER_FILE` per file and a count line."""
    rank = {name: index for index, name in enumerate(order)}
    unique = sorted(
        dict.fromkeys(issues),
        key=lambda issue: (
            rank.get(issue.location.file, len(rank)),
            issue.location.file,
            issue.location.line,
            issue.location.column,
        ),
    )
    shown: list[ConfigIssue] = []
    for _, group in groupby(unique, key=lambda issue: issue.location.file):
        listed = list(group)
        shown.extend(listed[:ISSUES_PER_FILE])
        if len(listed) > ISSUES_PER_FILE:
            more = len(listed) - ISSUES_PER_FILE
            # One line in place of the rest, at the first one left out: a file with thousands
            # of problems is fixed from its first ones, and the output stays readable.
            shown.append(
                ConfigIssue(
                    listed[ISSUES_PER_FILE].location,
                    "",
                    f"and {more:,} more problem{'s' if more != 1 else ''} in this file "
                    f"(only the first {ISSUES_PER_FILE} are listed)",
                )
            )
    return shown
