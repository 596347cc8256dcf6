"""Did-you-mean hints for configuration issues, bounded per load.

difflib's close match costs a fraction of a millisecond per name (several for a time zone,
against some 600 names), and only the first issues of each file are listed. A hostile file with
40,000 unknown keys or zones would spend its time on hints nobody reads, so each load words at
most `HINTS_PER_LOAD` of them; later issues read the same without the hint.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

HINTS_PER_LOAD = 1_000

# None outside a `hint_budget` block: a caller that words one issue gets its hint.
_left: ContextVar[int | None] = ContextVar("hints_left", default=None)


@contextmanager
def hint_budget(count: int = HINTS_PER_LOAD) -> Iterator[None]:
    """Within the block, at most `count` hints are computed."""
    token = _left.set(count)
    try:
        yield
    finally:
        _left.reset(token)


def close_match(word: str, candidates: Sequence[str]) -> str | None:
    """The candidate closest to `word` (difflib's), while the budget lasts; else None."""
    left = _left.get()
    if left is not None:
        if left <= 0:
            return None
        _left.set(left - 1)
    found = difflib.get_close_matches(word, candidates, n=1)
    return found[0] if found else None
