"""Parse one config file into plain JSON values and a map back to FILE:LINE:COL.

Two readers, one meaning. ryaml (serde_yaml, in Rust) reads a file about ten times faster than
PyYAML and records no positions; PyYAML's composer records where every value starts. A file is
read with ryaml when it uses nothing ryaml reads differently (tags, merge keys, non-finite
numbers) and it reads cleanly; positions are then found only when asked for (`config_locate`).
Otherwise, or when ryaml finds a problem, PyYAML reads it with marks and words the problem.
Scalars mean the same in both (`yaml_scalars`: YAML 1.2 core, dates and times as strings);
duplicate mapping keys are errors, merge keys (`<<`) work, and alias expansion is bounded so that
a small file cannot expand into a huge one.
"""

from __future__ import annotations

import json
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import ryaml
import yaml

from reconciler.config_locate import JsonPath as JsonPath  # re-exported: the config modules use it
from reconciler.config_locate import ObjectStarts, object_starts, top_level_shape
from reconciler.errors import ConfigIssue, Location
from reconciler.yaml_scalars import resolve_plain

MAX_ALIAS_NODES = 10_000  # nodes reached again through aliases; a billion-laughs file hits it
MAX_NODES = 1_000_000  # all nodes of one file, whatever their origin
MAX_DEPTH = 100

_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_NULL = "tag:yaml.org,2002:null"
# Every unquoted, untagged scalar gets this tag and is resolved by `resolve_plain`, so that
# PyYAML's YAML 1.1 resolvers (yes/no as booleans, 010 as octal, timestamps) never apply.
_PLAIN = "tag:reconciler,2026:plain"
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
# What sends a file to the marked reader even when ryaml could read it: a tag or a directive (ryaml
# drops unknown tags silently), a merge key (ryaml keeps `<<` as a plain key), a non-finite number
# (reported as an issue). False alarms only cost speed. Each pattern runs only if a plain
# substring search (much faster on a large file) finds its first character.
_TAG_OR_DIRECTIVE = re.compile(r"(?:^|[\s\[\{,])!|^%", re.MULTILINE)
_NON_FINITE_WORDS = (".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN")
_NON_FINITE = re.compile(r"\.(?:inf|Inf|INF|nan|NaN|NAN)\b")


def _needs_marks(text: str) -> bool:
    if ("!" in text or "%" in text) and _TAG_OR_DIRECTIVE.search(text):
        return True
    if "<<" in text:
        return True
    return any(word in text for word in _NON_FINITE_WORDS) and bool(_NON_FINITE.search(text))


class _Loader(yaml.SafeLoader):
    """The safe loader with one implicit resolver: plain scalars are resolved by `resolve_plain`."""


_Loader.yaml_implicit_resolvers = {
    "<": [(_MERGE, re.compile(r"^<<$"))],
    None: [(_PLAIN, re.compile(r".*", re.DOTALL))],
}


_FastLoader: type[_Loader] | None = None
if yaml.__with_libyaml__:

    class _CLoader(yaml.CSafeLoader):
        """libyaml's safe loader with the same resolvers as `_Loader`."""

    _CLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    _FastLoader = _CLoader  # type: ignore[assignment]


def _short(tag: str) -> str:
    """`tag:yaml.org,2002:python/object` as it is written: `!!python/object`."""
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix) :] if tag.startswith(prefix) else tag


def _unsupported(tag: str) -> str:
    return f"unsupported tag {_short(tag)}: only plain YAML values are read"


def format_path(path: JsonPath) -> str:
    """`events[2].location.name`; names that are not plain identifiers are quoted in brackets."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_NAME.match(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part)}]"
    return text


class SourceMap(ABC):
    """Where the values (and mapping keys) of one file start."""

    def __init__(self, file: str) -> None:
        self.file = file

    @abstractmethod
    def value_at(self, path: JsonPath) -> Location:
        """Where the value at `path` starts (or its nearest recorded ancestor)."""

    @abstractmethod
    def at(self, path: JsonPath) -> Location:
        """Where an issue about `path` points: a mapping entry's key, else the value's start."""

    def entry_starts(self, name: str, count: int) -> Sequence[Location]:
        """Where each of the `count` items of the top-level list `name` starts."""
        return [self.value_at((name, index)) for index in range(count)]

    def issue(self, path: JsonPath, message: str) -> ConfigIssue:
        return ConfigIssue(self.at(path), format_path(path), message)


class MarkedSourceMap(SourceMap):
    """Every position recorded while the file was read."""

    def __init__(
        self,
        file: str,
        values: Mapping[JsonPath, Location],
        keys: Mapping[JsonPath, Location],
    ) -> None:
        super().__init__(file)
        self.values = values
        self.keys = keys

    def value_at(self, path: JsonPath) -> Location:
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return Location(self.file, 1, 1)

    def at(self, path: JsonPath) -> Location:
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            found = self.keys.get(prefix) or self.values.get(prefix)
            if found is not None:
                return found
        return Location(self.file, 1, 1)


class DeferredSourceMap(SourceMap):
    """Positions of a file read without marks, found when first asked for.

    Where each object of a top-level list starts, and where each top-level key is, come from a
    scan of the text (`config_locate`), which every plan needs; any other position reads the file
    again with marks, which only a problem to report (or a rarely used feature) needs.
    """

    def __init__(self, file: str, text: str, document: Mapping[str, Any]) -> None:
        super().__init__(file)
        self._text = text
        self._shape = top_level_shape(document)
        self._starts: ObjectStarts | None = None
        self._marked: SourceMap | None = None

    def value_at(self, path: JsonPath) -> Location:
        if len(path) == 2 and isinstance(path[1], int):
            found = self._object_starts().get(path)
            if found is not None:
                return found
        return self._marks().value_at(path)

    def entry_starts(self, name: str, count: int) -> Sequence[Location]:
        found = self._object_starts().entries(name)
        if found is not None and len(found) == count:
            return found
        return super().entry_starts(name, count)

    def at(self, path: JsonPath) -> Location:
        if len(path) == 1:
            found = self._object_starts().get(path)
            if found is not None:
                return found
        return self._marks().at(path)

    def _object_starts(self) -> ObjectStarts:
        if self._starts is None:
            self._starts = object_starts(self._text, self._shape, self.file)
        return self._starts

    def _marks(self) -> SourceMap:
        if self._marked is None:
            self._marked = _parse_with(_FastLoader or _Loader, self._text, self.file).source
        return self._marked


@dataclass(frozen=True)
class ParsedFile:
    """One file's document (None when it could not be read as YAML) and what went wrong."""

    document: Any
    source: SourceMap
    issues: tuple[tuple[JsonPath, ConfigIssue], ...]


class _Abort(Exception):
    """Stops building a document that cannot be built safely (alias bomb, recursion)."""

    def __init__(self, issue: ConfigIssue) -> None:
        super().__init__(str(issue))
        self.issue = issue


class _Builder:
    """Turns a composed node graph into JSON values, recording marks and problems as it goes."""

    def __init__(self, loader: _Loader, filename: str) -> None:
        self.loader = loader
        self.file = filename
        self.values: dict[JsonPath, Location] = {}
        self.keys: dict[JsonPath, Location] = {}
        self.issues: list[tuple[JsonPath, ConfigIssue]] = []
        self.seen: set[int] = set()
        self.active: set[int] = set()
        self.aliased = 0
        self.total = 0

    def location(self, mark: yaml.Mark) -> Location:
        return Location(self.file, mark.line + 1, mark.column + 1)

    def report(self, path: JsonPath, where: Location, message: str) -> None:
        self.issues.append((path, ConfigIssue(where, format_path(path), message)))

    def build(self, node: yaml.Node, path: JsonPath, *, via_alias: bool = False) -> Any:
        where = self.location(node.start_mark)
        via_alias = via_alias or id(node) in self.seen
        self.seen.add(id(node))
        self.total += 1
        if via_alias:
            self.aliased += 1
        if self.aliased > MAX_ALIAS_NODES or self.total > MAX_NODES:
            # name the top-level entry that expands: the value reached here is just the last one
            raise _Abort(
                ConfigIssue(
                    self.keys.get(path[:1], where),
                    format_path(path[:1]),
                    f"the document expands to too many values through aliases (limit "
                    f"{MAX_ALIAS_NODES:,}); write the values out instead of nesting aliases",
                )
            )
        if id(node) in self.active:
            raise _Abort(ConfigIssue(where, format_path(path), "an alias refers to itself"))
        if len(path) > MAX_DEPTH:
            raise _Abort(
                ConfigIssue(where, format_path(path), f"nested deeper than {MAX_DEPTH} levels")
            )
        self.values[path] = where
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path, where)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                if node.tag != _MAP:
                    self.report(path, where, _unsupported(node.tag))
                return self.mapping(node, path, via_alias)
            if node.tag != _SEQ:
                self.report(path, where, _unsupported(node.tag))
            assert isinstance(node, yaml.SequenceNode)
            return [
                self.build(item, (*path, index), via_alias=via_alias)
                for index, item in enumerate(node.value)
            ]
        finally:
            self.active.discard(id(node))

    def scalar(self, node: yaml.ScalarNode, path: JsonPath, where: Location) -> Any:
        if node.tag == _PLAIN:
            value = resolve_plain(node.value)
            if isinstance(value, float) and not math.isfinite(value):
                self.report(path, where, f"{node.value} is not a finite number")
            return value
        try:
            value = self.loader.construct_object(node)
        except yaml.constructor.ConstructorError:
            value = None
        if not isinstance(value, str | int | float | bool | type(None)) or (
            value is None and node.tag != _NULL
        ):
            # !!python/object, !!binary, an explicit !!timestamp...: keep the text, refuse the tag
            self.report(path, where, _unsupported(node.tag))
            return node.value
        if isinstance(value, float) and not math.isfinite(value):
            self.report(path, where, f"{node.value} is not a finite number")
        return value

    def mapping(self, node: yaml.MappingNode, path: JsonPath, via_alias: bool) -> dict[str, Any]:
        # merge sources first, so that explicit entries override their values and their marks
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self.merge(value_node, path, merged, via_alias)
        self.values[path] = self.location(node.start_mark)
        explicit: dict[str, Any] = {}
        first_at: dict[str, Location] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                continue
            key = self.key(key_node, path)
            key_at = self.location(key_node.start_mark)
            entry = (*path, key)
            if key in first_at:
                first = first_at[key]
                self.report(
                    entry,
                    key_at,
                    f'duplicate key "{key}" in one mapping (first at line {first.line}, '
                    f"column {first.column}); keep one",
                )
                continue
            first_at[key] = key_at
            self.keys[entry] = key_at
            explicit[key] = self.build(value_node, entry, via_alias=via_alias)
        return {**{k: v for k, v in merged.items() if k not in explicit}, **explicit}

    def merge(
        self, node: yaml.Node, path: JsonPath, merged: dict[str, Any], via_alias: bool
    ) -> None:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                self.report(
                    path, self.location(source.start_mark), "a merge key (<<) takes mappings"
                )
                continue
            value = self.build(source, path, via_alias=via_alias)
            for key, item in value.items():
                merged.setdefault(key, item)  # earlier sources win, as YAML's merge key says

    def key(self, node: yaml.Node, path: JsonPath) -> str:
        """Mapping keys must be strings; anything else is reported and used as written."""
        where = self.location(node.start_mark)
        if not isinstance(node, yaml.ScalarNode):
            placeholder = f"<key at line {where.line}>"
            self.report((*path, placeholder), where, "a mapping key must be a plain string")
            return placeholder
        if node.tag != _STR and not (
            node.tag == _PLAIN and isinstance(resolve_plain(node.value), str)
        ):
            self.report(
                (*path, node.value),
                where,
                f'the key {node.value} is not read as a string; quote it ("{node.value}")',
            )
        return str(node.value)


def _problem(exc: yaml.YAMLError, text: str, filename: str) -> ConfigIssue:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = (
            Location(filename, mark.line + 1, mark.column + 1) if mark else Location(filename, 1, 1)
        )
        message = exc.problem or exc.context or "invalid YAML"
        if exc.problem and exc.context:
            context_mark = exc.context_mark
            if context_mark is not None and context_mark is not mark:
                message += (
                    f" ({exc.context} at line {context_mark.line + 1}, "
                    f"column {context_mark.column + 1})"
                )
            else:
                message += f" ({exc.context})"
        return ConfigIssue(where, "", f"invalid YAML: {message}")
    if isinstance(exc, yaml.reader.ReaderError):
        before = text[: exc.position]
        line = before.count("\n") + 1
        column = exc.position - (before.rfind("\n") + 1) + 1
        return ConfigIssue(
            Location(filename, line, column),
            "",
            f"not YAML text: the character #x{exc.character:04x} is not allowed",
        )
    return ConfigIssue(Location(filename, 1, 1), "", f"invalid YAML: {exc}")


def parse_yaml(text: str, filename: str) -> ParsedFile:
    """Parse one file; an empty file is an empty document (None), as YAML says.

    ryaml first (positions found later, only where asked for). Where the marked reader is needed,
    libyaml (PyYAML's C parser) composes about ten times faster than the pure-Python parser, which
    words its errors better: so libyaml reads the file, and the Python parser reads it again
    whenever libyaml finds a problem, for the better message.
    """
    document = _read_fast(text)
    if document is not None:
        return ParsedFile(document, DeferredSourceMap(filename, text, document), ())
    if _FastLoader is not None:
        fast = _parse_with(_FastLoader, text, filename)
        if not fast.issues:
            return fast
    return _parse_with(_Loader, text, filename)


def _read_fast(text: str) -> dict[str, Any] | None:
    """The document as ryaml reads it, or None where the marked reader must read the file.

    Read with ryaml only if it reads cleanly (a syntax error, duplicate key or alias bomb is for
    the marked reader to locate and word), its top level is a mapping, and every mapping key is a
    string (orjson refuses any other key, faster than a walk in Python).
    """
    if _needs_marks(text):
        return None
    try:
        document = ryaml.loads(text)  # type: ignore[attr-defined]  # re-exported untyped
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # an error, or a Rust panic (a BaseException): marks
        return None
    if not isinstance(document, dict):
        return None
    try:
        orjson.dumps(document)
    except TypeError:
        return None
    return document


def _parse_with(loader_class: type[_Loader], text: str, filename: str) -> ParsedFile:
    empty = MarkedSourceMap(filename, {}, {})
    try:
        loader = loader_class(text)  # the reader checks the characters here
    except yaml.YAMLError as exc:
        return ParsedFile(None, empty, (((), _problem(exc, text, filename)),))
    builder = _Builder(loader, filename)
    try:
        node = loader.get_single_node()
        if node is None:
            return ParsedFile(
                None, MarkedSourceMap(filename, {(): Location(filename, 1, 1)}, {}), ()
            )
        document = builder.build(node, ())
    except yaml.YAMLError as exc:
        return ParsedFile(None, empty, (((), _problem(exc, text, filename)),))
    except RecursionError:
        issue = ConfigIssue(Location(filename, 1, 1), "", "invalid YAML: nested too deeply")
        return ParsedFile(None, empty, (((), issue),))
    except _Abort as abort:
        return ParsedFile(None, empty, (((), abort.issue),))
    finally:
        loader.dispose()
    source = MarkedSourceMap(filename, builder.values, builder.keys)
    return ParsedFile(document, source, tuple(builder.issues))
