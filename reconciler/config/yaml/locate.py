"""Where top-level keys and the objects of top-level lists start, from a scan of the text.

Every declared object carries its place (`events.yaml:120:5`) for plans and findings to name;
reading a large file again with PyYAML's marks for that costs seconds. The objects of a block
sequence start at its `- ` lines of one indentation, which a regular expression finds in
milliseconds. The scan is trusted only where it agrees with the document: a top-level key found
once, and exactly as many `- ` lines as the list has items. Anything else (a list written in flow
style, a key spelt unusually) is simply left out, and its position is read with marks instead.
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

# A top-level key: at column 0, plain or quoted, followed by a colon and a space or the line's end.
_TOP_KEY = re.compile(
    r"""\n(?:"(?P<double>[^"\\\n]*)"|'(?P<single>[^'\n]*)'|(?P<plain>[A-Za-z_][\w-]*))"""
    r"[ \t]*:(?=[ \t\r\n]|$)"
)
# A block sequence entry: indentation, a dash, then a space or the line's end (and the spaces).
_DASH = re.compile(r"\n( *)-(?=[ \t\r\n]|$)[ \t]*")
# Lines that end a top-level list: any other line at column 0 (a key, a document marker).
_COLUMN_ZERO = re.compile(r"\n(?:[^\s#-]|---|\.\.\.)")
_NEWLINE = re.compile("\n")


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
    for name, offsets in keys.items():
        if name not in shape or len(offsets) != 1:
            continue
        top[name] = offsets[0]
        length = shape[name]
        if length:
            nodes = _entry_nodes(lines, offsets[0])
            if len(nodes) == length:
                entries[name] = nodes
    return ObjectStarts(text, file, top, entries)


def _entry_nodes(lines: str, key_offset: int) -> list[int]:
    """Where each entry of the list under a top-level key goes on after its dash and spaces.

    `lines` is the text with a newline in front; offsets in and out are the text's own.
    """
    newline = lines.find("\n", key_offset + 1)
    body = len(lines) if newline < 0 else newline  # the newline before the line after the key
    end_match = _COLUMN_ZERO.search(lines, body)
    end = end_match.start() if end_match is not None else len(lines)
    first = _DASH.search(lines, body, end)
    if first is None:
        return []
    # Entries of this list are the dashes at the first one's indentation; a nested list's
    # entries sit deeper and do not match.
    entry = _entries_at(len(first.group(1)))
    return [match.end() - 1 for match in entry.finditer(lines, body, end)]


@lru_cache(maxsize=16)
def _entries_at(indent: int) -> re.Pattern[str]:
    return re.compile(rf"\n {{{indent}}}-(?=[ \t\r\n]|$)[ \t]*")


class ObjectStarts(Mapping[JsonPath, Location]):
    """The scan's positions, turned into lines and columns only when one is asked for.

    The scan itself keeps offsets only, so that a file of 10,000 objects costs one pass of the
    regular expression; loading asks for a whole list at once (`entries`).
    """

    def __init__(
        self, text: str, file: str, top: dict[str, int], entries: dict[str, list[int]]
    ) -> None:
        self._text = text
        self._file = file
        self._top = top
        self._entries = entries
        self._newlines: list[int] | None = None

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
