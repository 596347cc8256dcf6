"""The desired state: load one YAML file or a directory of them, validated, merged and resolved.

    path ──read──▶ YAML with marks ──schema──▶ per-file documents ──merge──▶ DesiredState
                                                                  └─ ${NAME}, semantic checks

Every problem found on the way becomes a `ConfigIssue` (`FILE:LINE:COL: path: message`), and
`load` raises one `ConfigError` carrying all of them, sorted by file and line. The YAML format is
`../shared/config.md`'s; its formal version is `schemas/reconciler.schema.json`.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import Any

from reconciler.config_checks import check_object
from reconciler.config_schema import LITERAL_SECRET, schema_issues
from reconciler.config_yaml import JsonPath, SourceMap, parse_yaml
from reconciler.errors import ConfigError, ConfigIssue, Location
from reconciler.recurrence import Series, expand_series
from reconciler.timeutil import now
from reconciler.working_hours import WorkingHours, collect

__all__ = [
    "KINDS",
    "PROVIDER_OF",
    "RESERVED_METADATA_KEYS",
    "SECRET_SETTINGS",
    "DeclaredObject",
    "DesiredState",
    "ObjectOptions",
    "ProviderSettings",
    "load",
    "load_text",
]

KINDS = ("sessions", "events", "assignments")
PROVIDER_OF = {"sessions": "prevail", "events": "prospero", "assignments": "previsto"}
SECRET_SETTINGS = frozenset({"api_key", "password", "refresh_token"})
RESERVED_METADATA_KEYS = ("reconciler_key", "reconciler_owned")  # count toward Previsto's 20
DEFAULT_BASE_URLS = {
    "prevail": "https://prevail.ai/api/v1",
    "prospero": "https://api.prosperoapp.com",
    "previsto": "https://api.previsto.io",
}
OPTION_FIELDS = frozenset(
    {"key", "protect", "ignore_changes", "allow_short_notice", "via", "remote_id", "recurrence",
     "overrides"}
)

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class ObjectOptions:
    """How the reconciler treats one object, apart from its fields."""

    protect: bool = False
    ignore_changes: tuple[str, ...] = ()
    allow_short_notice: bool = False
    via: str | None = None  # sessions only: "direct" | "request" (None = provider default)
    remote_id: str | None = None  # the unmanaged object `reconciler import` read it from


_NO_OPTIONS = ObjectOptions()
_OPTION_NAMES = frozenset(option.name for option in dataclass_fields(ObjectOptions))


@dataclass(frozen=True, slots=True)
class DeclaredObject:
    """One object as the YAML declares it: managed fields exactly as written, and options."""

    kind: str
    key: str
    fields: Mapping[str, Any]
    options: ObjectOptions
    location: Location  # where the object's entry starts


@dataclass(frozen=True)
class ProviderSettings:
    """One provider's settings with ${NAME} resolved; `secrets` holds the values to redact."""

    name: str
    settings: Mapping[str, str]
    secrets: frozenset[str]
    location: Location


@dataclass(frozen=True)
class DesiredState:
    providers: Mapping[str, ProviderSettings]
    objects: Mapping[str, tuple[DeclaredObject, ...]]  # kind -> objects, in file order
    files: tuple[str, ...]
    # kind -> series key -> recurring series (its occurrences are in `objects`)
    series: Mapping[str, Mapping[str, Series]] = field(default_factory=dict)
    working_hours: Mapping[str, WorkingHours] = field(default_factory=dict)  # canonical zone ->


@dataclass(frozen=True)
class _File:
    """One parsed file and the paths that already have an issue (later checks skip them)."""

    name: str
    document: Mapping[str, Any]
    source: SourceMap
    flawed: frozenset[JsonPath]

    def clean(self, path: JsonPath) -> bool:
        if not self.flawed:  # the usual case, decided without a pass over the paths
            return True
        return not any(bad[: len(path)] == path for bad in self.flawed)

    def flawed_fields(self, path: JsonPath) -> frozenset[str]:
        """The fields of the object at `path` that already have an issue."""
        if not self.flawed:  # the usual case, decided without a pass over the object's paths
            return frozenset()
        return frozenset(str(bad[2]) for bad in self.flawed if len(bad) > 2 and bad[:2] == path)


def load(
    path: str | Path,
    *,
    environ: Mapping[str, str] | None = None,
    resolve_providers: bool = True,
) -> DesiredState:
    """Load one YAML file, or every *.yaml/*.yml under a directory (hidden ones skipped)."""
    root = Path(path)
    issues: list[ConfigIssue] = []
    texts: list[tuple[str, str]] = []
    for file in _discover(root, issues):
        name = str(file)
        try:
            raw = file.read_bytes()
        except OSError as exc:
            issues.append(_whole_file(name, f"cannot read: {exc.strerror or exc}"))
            continue
        try:
            texts.append((name, raw.decode("utf-8-sig")))
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            issues.append(
                ConfigIssue(Location(name, line, column), "", "not YAML text: not valid UTF-8")
            )
    return _load_texts(texts, issues, environ=environ, resolve_providers=resolve_providers)


def load_text(
    text: str,
    *,
    filename: str,
    environ: Mapping[str, str] | None = None,
    resolve_providers: bool = True,
) -> DesiredState:
    """Load one YAML document given as text; `filename` is what issues name."""
    return _load_texts([(filename, text)], [], environ=environ, resolve_providers=resolve_providers)


def _whole_file(name: str, message: str) -> ConfigIssue:
    return ConfigIssue(Location(name, 1, 1), "", message)


def _discover(root: Path, issues: list[ConfigIssue]) -> list[Path]:
    if not root.is_dir():
        if not root.exists():
            issues.append(_whole_file(str(root), "no such file or directory"))
            return []
        return [root]
    found: list[Path] = []

    def unreadable(error: OSError) -> None:
        issues.append(_whole_file(str(error.filename), f"cannot read: {error.strerror}"))

    for folder, directories, files in os.walk(root, onerror=unreadable):
        directories[:] = [name for name in directories if not name.startswith(".")]
        found.extend(
            Path(folder, name)
            for name in files
            if not name.startswith(".") and name.endswith((".yaml", ".yml"))
        )
    if not found and not issues:
        issues.append(_whole_file(str(root), "no *.yaml or *.yml files in this directory"))
    return sorted(found, key=lambda file: file.relative_to(root).parts)


def _load_texts(
    texts: list[tuple[str, str]],
    issues: list[ConfigIssue],
    *,
    environ: Mapping[str, str] | None,
    resolve_providers: bool,
) -> DesiredState:
    files: list[_File] = []
    for name, text in texts:
        parsed = _parse(name, text, issues)
        if parsed is not None:
            files.append(parsed)
    providers = _merge_providers(
        files, issues, os.environ if environ is None else environ, resolve_providers
    )
    objects, series = _merge_objects(files, issues)
    working_hours = collect([(file.document, file.source, file.clean) for file in files], issues)
    if resolve_providers:
        _require_providers(files, providers, issues)
    if issues:
        raise ConfigError(_sorted(issues, [name for name, _ in texts]))
    files_read = tuple(name for name, _ in texts)
    return DesiredState(providers, objects, files_read, series, working_hours)


def _parse(name: str, text: str, issues: list[ConfigIssue]) -> _File | None:
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
        # a YAML-level problem (duplicate key, tag) already explains what lies under it
        if not any(path[: len(bad)] == bad for bad in flawed if bad):
            issues.append(issue)
        flawed.add(path)
    return _File(name, document, parsed.source, frozenset(flawed))


def _merge_providers(
    files: list[_File],
    issues: list[ConfigIssue],
    environ: Mapping[str, str],
    resolve: bool,
) -> dict[str, ProviderSettings]:
    providers: dict[str, ProviderSettings] = {}
    first_at: dict[str, Location] = {}
    for file in files:
        block = file.document.get("providers")
        if not isinstance(block, dict):
            continue
        for name, raw in block.items():
            path: JsonPath = ("providers", name)
            here = file.source.at(path)
            if name in first_at:
                issues.append(
                    file.source.issue(
                        path,
                        f'provider "{name}" is configured twice (first at {first_at[name]}); '
                        "keep one",
                    )
                )
                continue
            first_at[name] = here
            if name not in DEFAULT_BASE_URLS or not isinstance(raw, dict):
                continue
            providers[name] = _provider(name, raw, file, here, issues, environ, resolve)
    return providers


def _provider(
    name: str,
    raw: Mapping[str, Any],
    file: _File,
    here: Location,
    issues: list[ConfigIssue],
    environ: Mapping[str, str],
    resolve: bool,
) -> ProviderSettings:
    settings: dict[str, str] = {"base_url": DEFAULT_BASE_URLS[name]}
    secrets: set[str] = set()
    for setting, value in raw.items():
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # numeric settings (requests_per_minute) travel as text too
        if not isinstance(value, str):
            continue
        path: JsonPath = ("providers", name, setting)
        if not file.clean(path):  # the schema said what is wrong with it
            continue
        if not resolve:
            settings[setting] = value
            continue
        if setting in SECRET_SETTINGS and not _REFERENCE.fullmatch(value):
            issues.append(file.source.issue(path, LITERAL_SECRET))  # the schema's rule, kept here
            continue
        resolved = _resolve(value, path, file.source, environ, issues)
        if resolved is None:
            continue
        if setting == "base_url" and not resolved.startswith(("http://", "https://")):
            issues.append(file.source.issue(path, "must resolve to an http:// or https:// URL"))
            continue
        settings[setting] = resolved
        if setting in SECRET_SETTINGS:
            secrets.add(resolved)
    return ProviderSettings(name, settings, frozenset(secrets), here)


def _resolve(
    value: str,
    path: JsonPath,
    source: SourceMap,
    environ: Mapping[str, str],
    issues: list[ConfigIssue],
) -> str | None:
    """Replace every ${NAME} with the environment's value; None (and an issue) when one lacks."""
    missing = False
    for variable in dict.fromkeys(_REFERENCE.findall(value)):
        if variable not in environ:
            issues.append(
                source.issue(
                    path,
                    f"environment variable {variable} is not set: export it before running",
                )
            )
            missing = True
        elif environ[variable] == "":
            issues.append(source.issue(path, f"environment variable {variable} is set but empty"))
            missing = True
    if missing:
        return None
    return _REFERENCE.sub(lambda match: environ[match.group(1)], value)


def _merge_objects(
    files: list[_File], issues: list[ConfigIssue]
) -> tuple[dict[str, tuple[DeclaredObject, ...]], dict[str, dict[str, Series]]]:
    objects: dict[str, tuple[DeclaredObject, ...]] = {}
    series: dict[str, dict[str, Series]] = {}
    moment = now()  # one clock reading per load: every series expands against the same now
    for kind in KINDS:
        declared: list[DeclaredObject] = []
        # Where each key is first declared; the places of any key declared twice or more.
        first: dict[str, tuple[_File, int]] = {}
        repeated: dict[str, list[tuple[_File, int]]] = {}
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
        objects[kind] = tuple(declared)
    return objects, series


def _declared(kind: str, key: str, item: Mapping[str, Any], location: Location) -> DeclaredObject:
    options = (
        ObjectOptions(
            protect=bool(item.get("protect", False)),
            ignore_changes=tuple(item.get("ignore_changes") or ()),
            allow_short_notice=bool(item.get("allow_short_notice", False)),
            via=item.get("via"),
            remote_id=item.get("remote_id"),
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


def _require_providers(
    files: list[_File], providers: Mapping[str, ProviderSettings], issues: list[ConfigIssue]
) -> None:
    """Objects of a kind need their provider configured somewhere."""
    for kind in KINDS:
        provider = PROVIDER_OF[kind]
        if provider in providers:
            continue
        for file in files:
            items = file.document.get(kind)
            if isinstance(items, list) and items:
                issues.append(
                    file.source.issue(
                        (kind,),
                        f"{kind} are declared but providers.{provider} is not configured "
                        "in any file",
                    )
                )
                break


def _sorted(issues: list[ConfigIssue], order: list[str]) -> list[ConfigIssue]:
    rank = {name: index for index, name in enumerate(order)}
    unique = list(dict.fromkeys(issues))
    return sorted(
        unique,
        key=lambda issue: (
            rank.get(issue.location.file, len(rank)),
            issue.location.file,
            issue.location.line,
            issue.location.column,
        ),
    )
