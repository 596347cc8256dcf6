"""`drift --write`: rewrite the YAML so drifted fields match the remote, and nothing else.

ruamel.yaml's round-trip mode is used for this (and only this): it keeps comments, key order,
flow style and quoting of everything it does not touch, which PyYAML cannot. Each drifted field's
remote value is turned back into the form the YAML uses by its provider (e.g. a Prevail start as
wall-clock time in the session's zone).

Only what changed remotely is written, and only where git keeps the file's content:
- a field edited in git and not applied yet (the YAML differs from HEAD or the base) is never
  overwritten: it is left, and named; a field git cannot judge (`differs`) only with `force`;
- a file whose content is not HEAD's (edited, staged, never committed, or outside any
  repository) is left whole unless `force`: rewriting it would mix remote values into work git
  has not kept.

Only the drifted object changes:
- a value the object shares with others through an alias or a merge key (`<<: *defaults`) is
  written into the object itself, never into the anchor, and the object's alias is broken with
  a note (editing the anchor would change the other objects, and the next apply would send them);
- a file is written only where it really lives inside the configuration directory: a symbolic
  link that leads out of it is left alone, with a note;
- the file keeps its line endings, byte-order mark, `---` and `...` markers with what surrounds
  them, and its spelling of null (`~`, `null`); a file whose text would not change is not
  written.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.util import load_yaml_guess_indent

from reconciler.engine import next_steps
from reconciler.engine.directions import GitRecord
from reconciler.engine.refresh import Refreshed
from reconciler.errors import ReconcilerError
from reconciler.reports import Direction, DriftReport

_BOM = "\ufeff"
_DOCUMENT_START = re.compile(r"---[ \t]*(#.*)?")  # alone on its line, with no content after it
_DOCUMENT_END = re.compile(r"\.\.\.[ \t]*(#.*)?")
_COMMENT_OR_BLANK = re.compile(r"[ \t]*(#.*)?")
_DIRECTIVE = re.compile(r"%.*")
# A null written as `~` or `null` where a value stands (block or flow), not inside a string.
_NULL_WORDS = {
    "~": re.compile(r"(?:^|[:,\[{-])[ \t]*~[ \t]*(?=$|[,\]}#])", re.MULTILINE),
    "null": re.compile(r"(?:^|[:,\[{-])[ \t]*null[ \t]*(?=$|[,\]}#])", re.MULTILINE),
}


@dataclass(frozen=True, kw_only=True)
class Written:
    files: list[Path]
    # Drifted occurrences of a recurring series: their YAML is the rule, not the object, so they
    # are named for a person to turn into an override rather than rewritten.
    occurrences: list[str]
    # What a person should know about a write: an alias broken for one object.
    notes: list[str]
    # Files left alone, and why (uncommitted work, a symbolic link out of the folder).
    skipped: list[str]
    # Fields left as declared, and why (edited in git and not applied yet; git cannot tell).
    left: list[str]


@dataclass(frozen=True, kw_only=True)
class _Edit:
    kind: str
    key: str
    name: str
    value: Any
    merges: bool


def write_remote_values(
    report: DriftReport,
    refreshed: Mapping[str, Refreshed],
    *,
    root: Path,
    record: GitRecord,
    force: bool = False,
) -> Written:
    """Apply each field changed remotely to its YAML file under `root` (the folder or the file
    `drift` was given), where `record` (git) says the file holds no work it has not kept."""
    sides = {side.provider.kind: side for side in refreshed.values()}
    by_file: dict[Path, list[_Edit]] = {}
    occurrences: list[str] = []
    left: list[str] = []
    for item in report.items:
        if item.status != "drifted" or item.location is None:
            continue
        if "@" in item.address.key:
            occurrences.append(str(item.address))
            continue
        side = sides[item.address.kind]
        desired = side.desired[item.address.key]
        for field in item.fields:
            direction = item.direction(field.name)
            if direction is Direction.GIT:
                left.append(f"{item.address} {field.name}: edited in git, not applied yet")
                continue
            if direction is Direction.UNKNOWN and not force:
                left.append(
                    f"{item.address} {field.name}: differs, and git cannot tell which side "
                    "changed it (--force writes the remote value)"
                )
                continue
            by_file.setdefault(Path(item.location.file), []).append(
                _Edit(
                    kind=item.address.kind,
                    key=item.address.key,
                    name=field.name,
                    value=side.provider.yaml_value(desired, field.name, field.before),
                    merges=field.name in side.provider.merge_fields,
                )
            )
    folder = root if root.is_dir() else root.parent
    written: list[Path] = []
    notes: list[str] = []
    skipped: list[str] = []
    for path, edits in sorted(by_file.items()):
        target = _inside(path, folder)
        if target is None:
            skipped.append(
                f"{path} is a symbolic link to a file outside the configuration directory; "
                "edit it by hand"
            )
            continue
        unkept = record.uncommitted(target)
        if unkept is not None and not force:
            again = next_steps.command("drift", "--write")
            skipped.append(
                f"{path} {unkept}; commit it (or pass --force to write into it) and run {again}"
            )
            continue
        if _rewrite(target, path, edits, notes):
            written.append(path)
    return Written(
        files=written, occurrences=occurrences, notes=notes, skipped=skipped, left=left
    )


def _inside(path: Path, folder: Path) -> Path | None:
    """The file `path` really is, when it lies inside `folder` (links resolved); else None."""
    real = Path(os.path.realpath(path))
    inside = os.path.realpath(folder)
    if os.path.commonpath([inside, str(real)]) != inside:
        return None
    return real


def _rewrite(target: Path, shown: Path, edits: list[_Edit], notes: list[str]) -> bool:
    """Edit one file in place; False when its text would not change."""
    raw = target.read_bytes().decode("utf-8")
    bom = raw.startswith(_BOM)
    text = raw.removeprefix(_BOM)
    newline = "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"
    text = text.replace("\r\n", "\n")
    head, body, tail = _split_markers(text)
    yaml = _round_trip(body)
    document = yaml.load(body)
    shared = _shared(document)
    for edit in edits:
        entry = _find(document, edit.kind, edit.key)
        if entry is None:
            raise ReconcilerError(f"{shown}: cannot find {edit.kind}.{edit.key} to update")
        note = _set(entry, edit.name, edit.value, merges=edit.merges, shared=shared)
        if note is not None:
            notes.append(f"{shown}: {edit.kind}.{edit.key}.{edit.name}: {note}")
    out = io.StringIO()
    yaml.dump(document, out)
    new_body = out.getvalue()
    if new_body == body:
        return False
    result = (_BOM if bom else "") + (head + new_body + tail).replace("\n", newline)
    _replace(target, result.encode("utf-8"))
    return True


def _split_markers(text: str) -> tuple[str, str, str]:
    """(head, body, tail): the lines up to a `---` that stands alone, the document, and a
    closing `...` with what follows it; ruamel reads and writes only the body, so the markers
    and the comments around them stay as written."""
    lines = text.splitlines(keepends=True)
    start = 0
    for index, line in enumerate(lines):
        stripped = line.rstrip("\n")
        if _DOCUMENT_START.fullmatch(stripped):
            start = index + 1
            break
        if not (_COMMENT_OR_BLANK.fullmatch(stripped) or _DIRECTIVE.fullmatch(stripped)):
            break
    end = len(lines)
    for index in range(len(lines) - 1, start - 1, -1):
        stripped = lines[index].rstrip("\n")
        if _DOCUMENT_END.fullmatch(stripped):
            end = index
            break
        if not _COMMENT_OR_BLANK.fullmatch(stripped):
            break
    return "".join(lines[:start]), "".join(lines[start:end]), "".join(lines[end:])


class _TildeRepresenter(RoundTripRepresenter):
    """Writes null as `~`, for a file that spells it so."""


class _NullRepresenter(RoundTripRepresenter):
    """Writes null as `null`, for a file that spells it so."""


def _null_as(text: str) -> Any:
    return lambda representer, _: representer.represent_scalar("tag:yaml.org,2002:null", text)


_TildeRepresenter.add_representer(type(None), _null_as("~"))
_NullRepresenter.add_representer(type(None), _null_as("null"))


def _round_trip(body: str) -> YAML:
    """A round-trip reader and writer that keeps the file's indentation and null spelling."""
    # Keep the file's own indentation (ruamel would otherwise impose its defaults).
    _, sequence, offset = load_yaml_guess_indent(body)
    sequence, offset = sequence or 2, offset or 0
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=max(2, sequence - offset), sequence=sequence, offset=offset)
    if _NULL_WORDS["~"].search(body):
        yaml.Representer = _TildeRepresenter
    elif _NULL_WORDS["null"].search(body):
        yaml.Representer = _NullRepresenter
    return yaml


def _replace(target: Path, content: bytes) -> None:
    """Write the file whole or not at all (a crash never leaves half a configuration)."""
    mode = os.stat(target).st_mode & 0o7777
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _shared(document: Any) -> set[int]:
    """The ids of the values reached more than once: anchored mappings, lists and scalars met
    again through their aliases, and what merge keys bring into other mappings."""
    seen: set[int] = set()
    shared: set[int] = set()
    stack = [document]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            shared.add(id(node))
            continue  # its children were counted when it was first met
        seen.add(id(node))
        if isinstance(node, CommentedMap | CommentedSeq):
            children = node.values() if isinstance(node, CommentedMap) else node
            stack.extend(child for child in children if _shareable(child))
    return shared


def _shareable(value: Any) -> bool:
    """A value an alias can reach: a mapping or a list, or a scalar with an anchor."""
    return isinstance(value, CommentedMap | CommentedSeq) or _anchor_of(value) is not None


def _find(document: Any, kind: str, key: str) -> CommentedMap | None:
    items = document.get(kind) if isinstance(document, CommentedMap) else None
    if not isinstance(items, CommentedSeq):
        return None
    for entry in items:
        if isinstance(entry, CommentedMap) and str(entry.get("key")) == key:
            return entry
    return None


def _set(
    entry: CommentedMap, name: str, value: Any, *, merges: bool, shared: set[int]
) -> str | None:
    """Set one field of one object; a note when an alias had to be broken to do so.

    Mappings change key by key (None removes a key) to keep their layout. A merging field
    (metadata, custom fields) carries only the keys that differ; any other mapping is the whole
    remote value, so keys it lacks are removed.
    """
    own = {key for key, _ in entry.non_merged_items()}
    current = entry.get(name)
    inherited = name in entry and name not in own  # from a merge key
    note = None
    if inherited or id(current) in shared:
        note = _broken(_anchor_of(current), inherited=inherited)
    if isinstance(value, Mapping) and isinstance(current, CommentedMap):
        if note is not None:
            current = _copy(current)
            entry[name] = current
        if not merges:
            for sub in [sub for sub in current if sub not in value]:
                current.pop(sub)
        for sub, sub_value in value.items():
            if sub_value is None:
                current.pop(sub, None)
            else:
                current[sub] = sub_value
    elif value is None and not inherited:
        entry.pop(name, None)
    else:
        # Set on the object itself: a value from a merge key is overridden (null included,
        # which removing the key would not do), an alias is replaced.
        entry[name] = value
    return note


def _anchor_of(value: Any) -> str | None:
    anchor = getattr(value, "anchor", None)
    found = getattr(anchor, "value", None)
    return found if isinstance(found, str) else None


def _broken(anchor: str | None, *, inherited: bool) -> str:
    source = f"the anchor &{anchor}" if anchor else "an alias"
    if inherited:
        source = "a merge key (<<)"
    return (
        f"was shared through {source}; the remote value is written into this object only, and "
        "the anchor and the objects that share it are unchanged"
    )


def _copy(mapping: CommentedMap) -> CommentedMap:
    """The mapping's own copy, in its flow or block style, without its anchor."""
    copied = CommentedMap()
    for key, item in mapping.items():
        copied[key] = item
    if mapping.fa.flow_style():
        copied.fa.set_flow_style()
    return copied
