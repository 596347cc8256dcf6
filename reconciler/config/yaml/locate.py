"""Where top-level keys, the objects of top-level lists and their keys start, from a scan of
the text.

Every declared object carries its place (`events.yaml:120:5`) for plans and findings to name;
reading a large file again with PyYAML's marks for that costs seconds. The objects of a block
sequence start at its `- ` lines of one indentation, which a regular expression finds in
milliseconds. The scan is trusted only where it agrees with the document: a top-level key found
once, and exactly as many `- ` lines as the list has items. Anything else (a list written in flow
style, a key spelt unusually) is simply left out, and its position is read with marks instead.

An object's own keys (`events[3].colour`, where most problems point) are found the same way, one
object at a time when first asked for: its first key after the dash, then the lines at that key's
indentation. They are trusted only if every such line is a key (or a nested list's `- `), no name
repeats, and they are as many as the object's keys in the document.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from reconciler.model import Location

JsonPath = tuple[str | int, ...]

# The patterns start with the newline before a line rather than `^`: a literal first character
# lets the regular expression engine skip ahead instead of trying every offset of a large file.
# They run over the text with a newline put in front (`lines`), so that the first line has one.

# A mapping key: plain or quoted (without escapes), followed by a colon and a space or the
# line's end.
_KEY_TEXT = (
    r"""(?:"(?P<double>[^"\\\n]*)"|'(?P<single>[^'\n]*)'|(?P<plain>[A-Za-z_][\w-]*))"""
    r"[ \t]*:(?=[ \t\r\n]|$)"
)
_KEY = re.compile(_KEY_TEXT)
# A top-level key: a key at column 0.
_TOP_KEY = re.compile(r"\n" + _KEY_TEXT)
# A block sequence entry: indentation, a dash, then a space or the line's end (and the spaces).
_DASH = re.compile(r"\n( *)-(?=[ \t\r\n]|$)[ \t]*")
# Lines that end a top-level list: any other line at column 0 (a key, a document marker).
_COLUMN_ZERO = re.compile(r"\n(?:[^\s#-]|---|\.\.\.)")
_NEWLINE = re.compile("\n")
# Line breaks PyYAML counts besides "\n" and "\r\n", which the scan's line numbers do not.
_OTHER_BREAKS = ("\x85", "\u2028", "\u2029")


def entry_sizes(document: Mapping[str, Any]) -> dict[str, list[int | None]]:
    """For each top-level list, how many keys each of its objects has (None: not a mapping).

    What an object's keys found by the scan are checked against, kept instead of the document.
    """
    return {
        str(name): [len(item) if isinstance(item, dict) else None for item in value]
        for name, value in document.items()
        if isinstance(value, list)
    }


def top_level_shape(document: Mapping[str, Any]) -> dict[str, int | None]:
    """Each top-level key and its list's length (None: not a list): all the scan checks against.

    Kept instead of the document, so that remembering positions does not keep every parsed
    value alive.
    """
    return {
        str(name): len(value) if isinstance(value, list) else None
        for name, value in document.items()
    }


def object_starts(text: str, shape: Mapping[str, int | None], file: str) -> ObjectStarts:
    """`(key,)` -> where a top-level key is; `(key, index)` -> where that list item starts.

    `shape` is the document's `top_level_shape`.
    """
    # In `lines`, the newline before the line that starts at offset n of `text` is at offset n.
    lines = "\n" + text
    keys: dict[str, list[int]] = {}
    for match in _TOP_KEY.finditer(lines):
        name = match.group("double") or match.group("single") or match.group("plain")
        keys.setdefault(name, []).append(match.start())
    top: dict[str, int] = {}
    entries: dict[str, list[int]] = {}
    ends: dict[str, int] = {}
    for name, offsets in keys.items():
        if name not in shape or len(offsets) != 1:
            continue
        top[name] = offsets[0]
        length = shape[name]
        if length:
            nodes, end = _entry_nodes(lines, offsets[0])
            if len(nodes) == length:
                entries[name] = nodes
                ends[name] = min(end, len(text))
    return ObjectStarts(text, file, top, entries, ends)


def _entry_nodes(lines: str, key_offset: int) -> tuple[list[int], int]:
    """Where each entry of the list under a top-level key goes on after its dash and spaces, and
    where the list ends.

    `lines` is the text with a newline in front; offsets in and out are the text's own.
    """
    newline = lines.find("\n", key_offset + 1)
    body = len(lines) if newline < 0 else newline  # the newline before the line after the key
    end_match = _COLUMN_ZERO.search(lines, body)
    end = end_match.start() if end_match is not None else len(lines)
    first = _DASH.search(lines, body, end)
    if first is None:
        return [], end
    # Entries of this list are the dashes at the first one's indentation; a nested list's
    # entries sit deeper and do not match.
    entry = _entries_at(len(first.group(1)))
    return [match.end() - 1 for match in entry.finditer(lines, body, end)], end


@lru_cache(maxsize=16)
def _entries_at(indent: int) -> re.Pattern[str]:
    return re.compile(rf"\n {{{indent}}}-(?=[ \t\r\n]|$)[ \t]*")


@lru_cache(maxsize=16)
def _lines_within(indent: int) -> re.Pattern[str]:
    """A line with content indented at most `indent` spaces, and what that content is: a key
    (the group that read its name), a block sequence entry's dash (`dash`), nothing but a
    comment (`blank`), or else something other (`indent` is the last group)."""
    return re.compile(
        rf"\n(?P<indent> {{0,{indent}}})(?=[^ \n])"
        rf"(?:{_KEY_TEXT}|(?P<dash>-(?=[ \t\r\n]|$))|(?P<blank>[ \t\r]*(?:#|(?=\n)|$)))?"
    )


def _key_name(match: re.Match[str]) -> str:
    return match.group("double") or match.group("single") or match.group("plain") or ""


class ObjectStarts(Mapping[JsonPath, Location]):
    """The scan's positions, turned into lines and columns only when one is asked for.

    The scan itself keeps offsets only, so that a file of 10,000 objects costs one pass of the
    regular expression; loading asks for a whole list at once (`entries`).
    """

    def __init__(
        self,
        text: str,
        file: str,
        top: dict[str, int],
        entries: dict[str, list[int]],
        ends: dict[str, int],
    ) -> None:
        self._text = text
        self._file = file
        self._top = top
        self._entries = entries
        self._ends = ends
        self._newlines: list[int] | None = None
        # (list, index) -> each key of that object -> its offset; None: the scan is not sure.
        self._keys: dict[tuple[str, int], dict[str, int] | None] = {}
        self._lines_as_marks: bool | None = None

    def __getitem__(self, path: JsonPath) -> Location:
        if len(path) == 1 and path[0] in self._top:
            return self._at(self._top[str(path[0])])
        if len(path) == 2 and isinstance(path[1], int) and path[0] in self._entries:
            nodes = self._entries[str(path[0])]
            if 0 <= path[1] < len(nodes):
                return self._at(self._node(nodes[path[1]]))
        raise KeyError(path)

    def __iter__(self) -> Iterator[JsonPath]:
        yield from ((name,) for name in self._top)
        for name, nodes in self._entries.items():
            yield from ((name, index) for index in range(len(nodes)))

    def __len__(self) -> int:
        return len(self._top) + sum(len(nodes) for nodes in self._entries.values())

    def entries(self, name: str) -> list[Location] | None:
        """Where every item of the list `name` starts (None: the scan left that list out)."""
        nodes = self._entries.get(name)
        if nodes is None:
            return None
        return [self._at(self._node(after)) for after in nodes]

    def lines_as_marks(self) -> bool:
        r"""Whether this scan numbers lines as PyYAML's marks do: the text breaks lines only with
        "\n" or "\r\n" (PyYAML also breaks at a lone "\r", NEL and the Unicode separators)."""
        if self._lines_as_marks is None:
            text = self._text
            self._lines_as_marks = text.count("\r") == text.count("\r\n") and not any(
                other in text for other in _OTHER_BREAKS
            )
        return self._lines_as_marks

    def key_at(self, name: str, index: int, key: str, size: int | None) -> Location | None:
        """Where the key `key` of the object `name[index]` is, when the scan is sure of it.

        `size` is how many keys that object has in the document (None: it is not a mapping).
        """
        if not self.lines_as_marks():
            return None
        if (name, index) not in self._keys:
            self._keys[(name, index)] = self._object_keys(name, index, size)
        keys = self._keys[(name, index)]
        if keys is None or key not in keys:
            return None
        return self._at(keys[key])

    def _object_keys(self, name: str, index: int, size: int | None) -> dict[str, int] | None:
        """Each key of the object `name[index]` and its offset, if the scan can be sure of them."""
        nodes = self._entries.get(name)
        if size is None or nodes is None or not 0 <= index < len(nodes):
            return None
        text = self._text
        start = self._node(nodes[index])
        # The object ends where the next entry's line starts, or where the list ends.
        if index + 1 < len(nodes):
            end = text.rfind("\n", 0, nodes[index + 1]) + 1
        else:
            end = self._ends[name]
        first = _KEY.match(text, start, end)
        if first is None:
            return None
        keys = {_key_name(first): start}
        indent = start - (text.rfind("\n", 0, start) + 1)
        first_line_end = text.find("\n", start, end)
        if first_line_end < 0:  # the whole object is on the dash's line
            return keys if len(keys) == size else None
        # Every line at most as indented as the first key: a key of this object, a nested list's
        # entry (a list may sit flush with its key), a comment or a blank line. Deeper lines
        # belong to the values.
        for line in _lines_within(indent).finditer(text, first_line_end, end):
            kind = line.lastgroup or "indent"
            if kind == "blank":
                continue
            if kind == "indent" or len(line.group("indent")) != indent:
                return None
            if kind == "dash":
                continue
            name = _key_name(line)
            if name in keys:
                return None
            # A quoted key starts at its quote, before the group that read its name.
            keys[name] = line.start(kind) if kind == "plain" else line.start(kind) - 1
        return keys if len(keys) == size else None

    def _node(self, after_dash: int) -> int:
        """Where an entry's node starts: on the dash's line, or the next line with content."""
        text = self._text
        if after_dash < len(text) and text[after_dash] not in "#\r\n":
            return after_dash
        return _node_start(text, after_dash)

    def _newline_offsets(self) -> list[int]:
        if self._newlines is None:
            self._newlines = [match.start() for match in _NEWLINE.finditer(self._text)]
        return self._newlines

    def _at(self, offset: int) -> Location:
        newlines = self._newline_offsets()
        before = bisect_left(newlines, offset)  # newlines before the offset
        line_start = newlines[before - 1] + 1 if before else 0
        return Location(self._file, before + 1, offset - line_start + 1)


def _node_start(text: str, after_dash: int) -> int:
    """Where the node of a `- ` entry starts: after the dash, or on the next line with content."""
    position = after_dash
    while True:
        line_end = text.find("\n", position)
        line_end = len(text) if line_end < 0 else line_end
        segment = text[position:line_end]
        stripped = segment.lstrip(" \t")
        if stripped and not stripped.startswith("#") and stripped != "\r":
            return position + len(segment) - len(stripped)
        if line_end >= len(text):
            return after_dash
        position = line_end + 1
