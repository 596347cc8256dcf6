"""`drift --write`: rewrite the YAML so drifted fields match the remote, keeping its comments.

ruamel.yaml's round-trip mode is used for this (and only this): it keeps comments, key order,
flow style and quoting of everything it does not touch, which PyYAML cannot. Each drifted field's
remote value is turned back into the form the YAML uses by its provider (e.g. a Prevail start as
wall-clock time in the session's zone).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.util import load_yaml_guess_indent

from reconciler.engine.refresh import Refreshed
from reconciler.errors import ReconcilerError
from reconciler.model import DriftReport


@dataclass(frozen=True, kw_only=True)
class Written:
    files: list[Path]
    # Drifted occurrences of a recurring series: their YAML is the rule, not the object, so they
    # are named for a person to turn into an override rather than rewritten.
    occurrences: list[str]


def write_remote_values(report: DriftReport, refreshed: Mapping[str, Refreshed]) -> Written:
    """Apply every drifted field's remote value to its YAML file."""
    sides = {side.provider.kind: side for side in refreshed.values()}
    by_file: dict[Path, list[tuple[str, str, str, Any, bool]]] = {}
    occurrences: list[str] = []
    for item in report.items:
        if item.status != "drifted" or item.location is None:
            continue
        if "@" in item.address.key:
            occurrences.append(str(item.address))
            continue
        side = sides[item.address.kind]
        desired = side.desired[item.address.key]
        for field in item.fields:
            value = side.provider.yaml_value(desired, field.name, field.before)
            by_file.setdefault(Path(item.location.file), []).append(
                (
                    item.address.kind,
                    item.address.key,
                    field.name,
                    value,
                    field.name in side.provider.merge_fields,
                )
            )
    written = []
    for path, edits in sorted(by_file.items()):
        text = path.read_text(encoding="utf-8")
        # Keep the file's own indentation (ruamel would otherwise impose its defaults).
        _, sequence, offset = load_yaml_guess_indent(text)
        sequence, offset = sequence or 2, offset or 0
        yaml = YAML(typ="rt")
        yaml.preserve_quotes = True
        yaml.width = 4096
        yaml.indent(mapping=max(2, sequence - offset), sequence=sequence, offset=offset)
        document = yaml.load(text)
        for kind, key, name, value, merges in edits:
            entry = _find(document, kind, key)
            if entry is None:
                raise ReconcilerError(f"{path}: cannot find {kind}.{key} to update")
            _set(entry, name, value, merges=merges)
        with path.open("w", encoding="utf-8") as handle:
            yaml.dump(document, handle)
        written.append(path)
    return Written(files=written, occurrences=occurrences)


def _find(document: Any, kind: str, key: str) -> CommentedMap | None:
    items = document.get(kind) if isinstance(document, CommentedMap) else None
    if not isinstance(items, CommentedSeq):
        return None
    for entry in items:
        if isinstance(entry, CommentedMap) and str(entry.get("key")) == key:
            return entry
    return None


def _set(entry: CommentedMap, name: str, value: Any, *, merges: bool) -> None:
    """Set one field; mappings change key by key (None removes a key) to keep their layout.

    A merging field (metadata, custom fields) carries only the keys that differ; any other
    mapping is the whole remote value, so keys it lacks are removed.
    """
    current = entry.get(name)
    if isinstance(value, Mapping) and isinstance(current, CommentedMap):
        if not merges:
            for sub in [sub for sub in current if sub not in value]:
                current.pop(sub)
        for sub, sub_value in value.items():
            if sub_value is None:
                current.pop(sub, None)
            else:
                current[sub] = sub_value
        return
    if value is None:
        entry.pop(name, None)
        return
    entry[name] = value
