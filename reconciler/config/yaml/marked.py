"""YAML with marks: PyYAML's safe composer, recording where every value and key starts.

Slower than the fast reader (`reader`), and used where positions or words matter: a file the
fast reader must not read (tags, merge keys, non-finite numbers), a problem to locate and word, or a
position the text scan does not give. Scalars mean what they mean to the fast reader
(`scalars`); duplicate mapping keys are errors, merge keys (`<<`) work, and alias expansion
is bounded so that a small file cannot expand into a huge one.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from reconciler.config.yaml.locate import JsonPath
from reconciler.config.yaml.scalars import in_64_bits, resolve_plain
from reconciler.config.yaml.source import (
    MAX_DEPTH,
    MarkedSourceMap,
    ParsedFile,
    SourceMap,
    format_path,
)
from reconciler.model import ConfigIssue, Location

MAX_ALIAS_NODES = 10_000  # nodes reached again through aliases; a billion-laughs file hits it
MAX_NODES = 1_000_000  # all nodes of one file, whatever their origin

_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_NULL = "tag:yaml.org,2002:null"
_INT = "tag:yaml.org,2002:int"
# The longest !!int text (underscores aside) read at all: 64 binary digits, `0b` and a sign.
_INT_TEXT = 67
_BEYOND_64_BITS = "an integer beyond 64 bits (no field takes one); write a smaller number"
# The explicit tags whose values a configuration may hold: YAML's plain scalar types.
_PLAIN_VALUE_TAGS = frozenset(
    {_STR, _NULL, _INT, "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool"}
)
# Every unquoted, untagged scalar gets this tag and is resolved by `resolve_plain`, so that
# PyYAML's YAML 1.1 resolvers (yes/no as booleans, 010 as octal, timestamps) never apply.
_PLAIN = "tag:reconciler,2026:plain"
# A lone surrogate (written as an escape, "\\ud800") is no character: it cannot be printed, sent
# as UTF-8 or compared with what an API returns.
_SURROGATE = re.compile("[\ud800-\udfff]")


class MarkedLoader(yaml.SafeLoader):
    """The safe loader with one implicit resolver: plain scalars are resolved by `resolve_plain`."""


MarkedLoader.yaml_implicit_resolvers = {
    "<": [(_MERGE, re.compile(r"^<<$"))],
    None: [(_PLAIN, re.compile(r".*", re.DOTALL))],
}


_FastLoader: type[MarkedLoader] | None = None
if yaml.__with_libyaml__:

    class _CLoader(yaml.CSafeLoader):
        """libyaml's safe loader with the same resolvers as `MarkedLoader`."""

    _CLoader.yaml_implicit_resolvers = MarkedLoader.yaml_implicit_resolvers
    _FastLoader = _CLoader  # type: ignore[assignment]


def _short(tag: str) -> str:
    """`tag:yaml.org,2002:python/object` as it is written: `!!python/object`."""
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix) :] if tag.startswith(prefix) else tag


def _unsupported(tag: str) -> str:
    return f"unsupported tag {_short(tag)}: only plain YAML values are read"


class _Abort(Exception):
    """Stops building a document that cannot be built safely (alias bomb, recursion)."""

    def __init__(self, issue: ConfigIssue) -> None:
        super().__init__(str(issue))
        self.issue = issue


class _Builder:
    """Turns a composed node graph into JSON values, recording marks and problems as it goes."""

    def __init__(self, loader: MarkedLoader, filename: str) -> None:
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
        if _SURROGATE.search(node.value):
            self.report(path, where, _surrogate(node.value))
            return _SURROGATE.sub("\ufffd", node.value)
        if node.tag == _PLAIN:
            value = resolve_plain(node.value)
            if isinstance(value, float) and not math.isfinite(value):
                self.report(path, where, f"{node.value} is not a finite number")
            return value
        if node.tag not in _PLAIN_VALUE_TAGS:
            # !!python/object, !!binary, !!timestamp...: refused before PyYAML's constructor
            # runs (its !!timestamp fails on a value its pattern does not match)
            self.report(path, where, _unsupported(node.tag))
            return node.value
        if node.tag == _INT and len(node.value.replace("_", "")) > _INT_TEXT:
            # Refused unread: PyYAML converts hex of any length, and 1:2:3:... (base 60) in
            # quadratic time, into numbers that no field holds and Python cannot print.
            self.report(path, where, _BEYOND_64_BITS)
            return node.value
        try:
            value = self.loader.construct_object(node)
        except yaml.constructor.ConstructorError:
            value = None
        except (ValueError, KeyError, TypeError, OverflowError):
            # PyYAML's constructors fail this way on "!!bool maybe", "!!int 0x" or an !!int
            # with more digits than Python converts (4,300)
            self.report(path, where, f"not a valid {_short(node.tag)} value")
            return node.value
        if not isinstance(value, str | int | float | bool | type(None)) or (
            value is None and node.tag != _NULL
        ):
            # !!python/object, !!binary, an explicit !!timestamp...: keep the text, refuse the tag
            self.report(path, where, _unsupported(node.tag))
            return node.value
        if isinstance(value, float) and not math.isfinite(value):
            self.report(path, where, f"{node.value} is not a finite number")
        if isinstance(value, int) and not isinstance(value, bool) and not in_64_bits(value):
            self.report(path, where, _BEYOND_64_BITS)
            return node.value
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
        if _SURROGATE.search(node.value):
            replaced = _SURROGATE.sub("\ufffd", node.value)
            self.report((*path, replaced), where, _surrogate(node.value))
            return replaced
        if node.tag != _STR and not (
            node.tag == _PLAIN and isinstance(resolve_plain(node.value), str)
        ):
            self.report(
                (*path, node.value),
                where,
                f'the key {node.value} is not read as a string; quote it ("{node.value}")',
            )
        return str(node.value)


def _surrogate(text: str) -> str:
    found = _SURROGATE.search(text)
    code = ord(found[0]) if found else 0xD800
    return (
        f"contains \\u{code:04x}, half of a UTF-16 surrogate pair and not a character on its "
        "own: write the character itself"
    )


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


def read_marked(text: str, filename: str) -> ParsedFile:
    """Read a file with marks, its problems worded as well as PyYAML can.

    libyaml (PyYAML's C parser) composes about ten times faster than the pure-Python parser, which
    words its errors better: so libyaml reads the file, and the Python parser reads it again
    whenever libyaml finds a problem, for the better message.
    """
    if _FastLoader is not None:
        fast = parse_with(_FastLoader, text, filename)
        if not fast.issues:
            return fast
    return parse_with(MarkedLoader, text, filename)


def marked_positions(text: str, filename: str) -> SourceMap:
    """Every position in a file already read cleanly elsewhere (no need to word problems)."""
    return parse_with(_FastLoader or MarkedLoader, text, filename).source


def parse_with(loader_class: type[MarkedLoader], text: str, filename: str) -> ParsedFile:
    empty = MarkedSourceMap(filename, {}, {})
    try:
        loader = loader_class(text)  # the reader checks the characters here
    except yaml.YAMLError as exc:
        return ParsedFile(
            document=None, source=empty, issues=(((), _problem(exc, text, filename)),)
        )
    builder = _Builder(loader, filename)
    try:
        node = loader.get_single_node()
        if node is None:
            return ParsedFile(
                document=None,
                source=MarkedSourceMap(filename, {(): Location(filename, 1, 1)}, {}),
                issues=(),
            )
        document = builder.build(node, ())
    except yaml.YAMLError as exc:
        return ParsedFile(
            document=None, source=empty, issues=(((), _problem(exc, text, filename)),)
        )
    except RecursionError:
        issue = ConfigIssue(Location(filename, 1, 1), "", "invalid YAML: nested too deeply")
        return ParsedFile(document=None, source=empty, issues=(((), issue),))
    except _Abort as abort:
        return ParsedFile(document=None, source=empty, issues=(((), abort.issue),))
    finally:
        loader.dispose()
    source = MarkedSourceMap(filename, builder.values, builder.keys)
    return ParsedFile(document=document, source=source, issues=tuple(builder.issues))
