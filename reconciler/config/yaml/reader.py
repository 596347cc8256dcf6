"""Parse one config file into plain JSON values and a map back to FILE:LINE:COL.

Two readers, one meaning. ryaml (serde_yaml, in Rust) reads a file about ten times faster than
PyYAML and records no positions; PyYAML's composer (`marked`) records where every
value starts. A file is read with ryaml when it uses nothing ryaml reads differently (tags, merge
keys, non-finite numbers) and it reads cleanly; positions are then found only when asked for
(`locate`). Otherwise, or when ryaml finds a problem, PyYAML reads it with marks and words
the problem. Scalars mean the same in both (`scalars`: YAML 1.2 core, dates and times as
strings).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import ryaml

from reconciler.config.yaml.locate import (
    JsonPath,
    ObjectStarts,
    entry_sizes,
    object_starts,
    top_level_shape,
)
from reconciler.config.yaml.source import MAX_DEPTH, MarkedSourceMap, ParsedFile, SourceMap
from reconciler.model import ConfigIssue, Location

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


class DeferredSourceMap(SourceMap):
    """Positions of a file read without marks, found when first asked for.

    Where each object of a top-level list starts, and where each top-level key is, come from a
    scan of the text (`locate`), which every plan needs; so do the keys of those objects, where
    most problems point. Any other position reads the file again with marks, which only a rarer
    problem (or a rarely used feature) needs: a file with a problem in each of 40,000 objects
    would spend most of its time there.
    """

    def __init__(self, file: str, text: str, document: Mapping[str, Any]) -> None:
        super().__init__(file)
        self._text = text
        self._shape = top_level_shape(document)
        self._sizes = entry_sizes(document)
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
        elif 2 <= len(path) <= 3 and isinstance(path[0], str) and isinstance(path[1], int):
            found = self._object_at(path[0], path[1], path[2:])
            if found is not None:
                return found
        return self._marks().at(path)

    def _object_at(self, name: str, index: int, rest: JsonPath) -> Location | None:
        """An object of a top-level list (an issue points at its start, as the marks' `at`
        does) or one of its keys, from the scan; None where the scan is not sure."""
        starts = self._object_starts()
        sizes = self._sizes.get(name)
        size = sizes[index] if sizes is not None and 0 <= index < len(sizes) else None
        if size is None or not starts.lines_as_marks():  # only a mapping's start is sure
            return None
        if not rest:
            return starts.get((name, index))
        if not isinstance(rest[0], str):
            return None
        return starts.key_at(name, index, rest[0], size)

    def _object_starts(self) -> ObjectStarts:
        if self._starts is None:
            self._starts = object_starts(self._text, self._shape, self.file)
        return self._starts

    def _marks(self) -> SourceMap:
        if self._marked is None:
            from reconciler.config.yaml.marked import marked_positions  # PyYAML: see parse_yaml

            self._marked = marked_positions(self._text, self.file)
        return self._marked


# The marked reader refuses nesting deeper than MAX_DEPTH with its place. Deeper than libyaml's
# own limit (1,000 levels), ryaml takes time quadratic in the depth (20 s for 100,000
# levels of `[`) and the marked reader's fallback recurses out of the stack, so such a file is
# refused by `too_deep` before either reads it.
_LIBYAML_DEPTH = 1_000


def parse_yaml(text: str, filename: str) -> ParsedFile:
    """Parse one file; an empty file is an empty document (None), as YAML says.

    ryaml first (positions found later, only where asked for), else the marked reader; a file
    nested beyond what they read in linear time is refused first.
    """
    deep = too_deep(text, filename)
    if deep is not None:
        empty = MarkedSourceMap(filename, {}, {})
        return ParsedFile(document=None, source=empty, issues=(((), deep),))
    document = read_fast(text)
    if document is not None:
        return ParsedFile(
            document=document, source=DeferredSourceMap(filename, text, document), issues=()
        )
    # Imported here: PyYAML takes a noticeable share of start-up, and a run whose files ryaml
    # reads cleanly never needs it.
    from reconciler.config.yaml.marked import read_marked

    return read_marked(text, filename)


def too_deep(text: str, filename: str) -> ConfigIssue | None:
    """An issue at the place where `text` nests deeper than libyaml allows, else None.

    libyaml's parser counts events in C without building them (`raw_parse`): about a tenth of
    ryaml's time on a flow-style file, and it stops at the first level too deep, in
    milliseconds however deep the file goes. Any other problem is left to the readers to word.
    """
    if len(text) <= _LIBYAML_DEPTH or _flow_depth(text) <= _LIBYAML_DEPTH:
        return None  # every level takes at least one character, and a bracket
    import yaml  # PyYAML: see parse_yaml

    if not yaml.__with_libyaml__:
        return None  # the marked reader's recursion guard still answers, more slowly
    from yaml import _yaml

    try:
        _yaml.CParser(text).raw_parse()
    except yaml.MarkedYAMLError as exc:
        if exc.problem is None or "maximum nesting depth" not in exc.problem:
            return None
        mark = exc.problem_mark
        where = Location(filename, mark.line + 1, mark.column + 1) if mark else None
        return ConfigIssue(
            where or Location(filename, 1, 1),
            "",
            f"invalid YAML: nested deeper than {MAX_DEPTH} levels",
        )
    except yaml.YAMLError:
        return None
    return None


_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _flow_depth(text: str) -> int:
    """How deep the text's brackets nest, counting those inside strings too: an upper bound of
    the flow nesting, found in C-speed passes, so that libyaml's exact check (and PyYAML's
    import) is paid only by a file that might be too deep. Block nesting needs indentation, so
    a file too deep by blocks alone is too large to read anyway."""
    if text.count("[") + text.count("{") <= _LIBYAML_DEPTH:
        return 0
    depth = deepest = 0
    for bracket in _NOT_BRACKET.sub("", text):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif depth:
            depth -= 1
    return deepest


def read_fast(text: str) -> dict[str, Any] | None:
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
