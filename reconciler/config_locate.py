"""Where top-level keys and the objects of top-level lists start, from a scan of the text.

A plan names each object's place (`events.yaml:120:5`), so every object's start is needed on
every run; reading a large file again with PyYAML's marks for that costs seconds. The objects of
a block sequence start at its `- ` lines of one indentation, which a regular expression finds in
milliseconds. The scan is trusted only where it agrees with the document: a top-level key found
once, and exactly as many `- ` lines as the list has items. Anything else (a list written in flow
style, a key spelt unusually) is simply left out, and its position is read with marks instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler.errors import Location

JsonPath = tuple[str | int, ...]

# A top-level key: at column 0, plain or quoted, followed by a colon and a space or the line's end.
_TOP_KEY = re.compile(
    r"""^(?:"(?P<double>[^"\\\n]*)"|'(?P<single>[^'\n]*)'|(?P<plain>[A-Za-z_][\w-]*))"""
    r"[ \t]*:(?=[ \t\r\n]|$)",
    re.MULTILINE,
)
# A block sequence entry: indentation, a dash, then a space or the line's end (and the spaces).
_DASH = re.compile(r"^( *)-(?=[ \t\r\n]|$)[ \t]*", re.MULTILINE)
# Lines that end a top-level list: any other line at column 0 (a key, a document marker).
_COLUMN_ZERO = re.compile(r"^(?:[^\s#-]|---|\.\.\.)", re.MULTILINE)


def object_starts(text: str, document: Mapping[str, Any], file: str) -> dict[JsonPath, Location]:
    """`(key,)` -> where a top-level key is; `(key, index)` -> where that list item starts."""
    lines = _LineNumbers(text)
    keys: dict[str, list[int]] = {}
    for match in _TOP_KEY.finditer(text):
        name = match.group("double") or match.group("single") or match.group("plain")
        keys.setdefault(name, []).append(match.start())
    found: dict[JsonPath, Location] = {}
    for name, offsets in keys.items():
        if name not in document or len(offsets) != 1:
            continue
        found[(name,)] = Location(file, lines.line(offsets[0]), 1)
        items = document[name]
        if isinstance(items, list) and items:
            starts = _item_starts(text, offsets[0], lines, file)
            if len(starts) == len(items):
                found.update(((name, index), where) for index, where in enumerate(starts))
    return found


def _item_starts(text: str, key_offset: int, lines: _LineNumbers, file: str) -> list[Location]:
    newline = text.find("\n", key_offset)
    body = len(text) if newline < 0 else newline + 1
    end_match = _COLUMN_ZERO.search(text, body)
    end = end_match.start() if end_match is not None else len(text)
    starts: list[Location] = []
    indent: int | None = None
    for match in _DASH.finditer(text, body, end):
        width = len(match.group(1))
        if indent is None:
            indent = width
        if width != indent:
            continue  # a nested list's entry
        after = match.end()
        if after < len(text) and text[after] not in "#\r\n":  # the node starts on the dash's line
            starts.append(Location(file, lines.line(after), after - match.start() + 1))
        else:
            starts.append(_node_start(text, after, lines, file))
    return starts


def _node_start(text: str, after_dash: int, lines: _LineNumbers, file: str) -> Location:
    """Where the node of a `- ` entry starts: after the dash, or on the next line with content."""
    position = after_dash
    while True:
        line_end = text.find("\n", position)
        line_end = len(text) if line_end < 0 else line_end
        segment = text[position:line_end]
        stripped = segment.lstrip(" \t")
        if stripped and not stripped.startswith("#") and stripped != "\r":
            start = position + len(segment) - len(stripped)
            return Location(file, lines.line(start), lines.column(start))
        if line_end >= len(text):
            start = after_dash
            return Location(file, lines.line(start), lines.column(start))
        position = line_end + 1


class _LineNumbers:
    """Offsets to 1-based lines and columns, counting newlines once as offsets increase."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._offset = 0
        self._line = 1

    def line(self, offset: int) -> int:
        if offset < self._offset:
            self._offset, self._line = 0, 1
        self._line += self._text.count("\n", self._offset, offset)
        self._offset = offset
        return self._line

    def column(self, offset: int) -> int:
        return offset - (self._text.rfind("\n", 0, offset) + 1) + 1
