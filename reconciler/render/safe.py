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


# -- Markdown --------------------------------------------------------------------------------------


def markdown_text(text: str) -> str:
    """Plain text for a Markdown line or table cell: HTML is shown, not rendered, and a `|`
    stays inside its cell. A key or title holding `</details>` cannot close a folded section.
    Only `&` and `<` need escaping for that (a lone `>` starts no tag)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|")


def markdown_code(text: str) -> str:
    """`text` as an inline code span that survives a table cell (GFM reads `\\|` there as `|`).

    The fence is one backtick longer than the longest run inside, as CommonMark allows."""
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if longest else text
    return fence + padded.replace("|", "\\|") + fence
