"""Control characters shown as visible escapes, so one value always prints as one line.

User-controlled text (keys, titles, field names, file names in error lines) reaches the
terminal, the Action's job log and the PR comment. A raw newline there would let a value start
a line of its own, which the GitHub runner reads as a workflow command when it starts with
`::`; an escape sequence would let it repaint the terminal. So every control character (C0,
DEL, C1) and the Unicode line and paragraph separators are printed as `\\n`, `\\x1b`, `\\u2028`.
"""

from __future__ import annotations

import re

# Cc (C0, DEL, C1) plus U+2028/U+2029, which some viewers break lines on.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")

NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match[0]
    if char in NAMED:
        return NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with each control character replaced by a visible escape (`\\n`, `\\x1b`)."""
    return CONTROL.sub(_escape, text)


def visible_lines(lines: list[str]) -> str:
    """Lines joined with newlines, each first made single-line by `visible`."""
    return "\n".join(visible(line) for line in lines)
