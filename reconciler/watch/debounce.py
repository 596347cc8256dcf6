"""Coalescing re-reads: deliveries for one scope within the quiet time become one read.

Prospero sends one delivery per change, and a colleague dragging an event about sends several
in a few seconds. Each scope keeps the union of the windows its deliveries asked for; the read
is made once no delivery for it has come for `quiet` seconds (on the injected clock), or once
the first has waited `longest`, so that a steady stream cannot put it off for ever.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

# Seconds without a delivery for a scope before it is read again, and the longest a delivery
# waits however many follow it.
QUIET = 5.0
LONGEST = 30.0

# The epoch seconds a re-read covers; None: the scope's whole window.
Span = tuple[float, float]


@dataclass(kw_only=True)
class Pending:
    """What one scope's coming re-read covers, and since when it is asked for."""

    first_at: float
    last_at: float
    span: Span | None
    whole: bool = False
    deliveries: int = 1

    def widen(self, span: Span | None, at: float) -> None:
        self.last_at = at
        self.deliveries += 1
        if span is None:
            self.whole = True
        elif self.span is None:
            self.span = span
        else:
            self.span = (min(self.span[0], span[0]), max(self.span[1], span[1]))


@dataclass(frozen=True, kw_only=True)
class ReRead:
    """A re-read that is due: the scope, the window (None: the whole one), how many
    deliveries it answers."""

    scope: str
    span: Span | None
    deliveries: int


class Debouncer:
    """The scopes waiting for a re-read; `ask` from any thread, `due` from the loop."""

    def __init__(self, *, quiet: float = QUIET, longest: float = LONGEST) -> None:
        self.quiet = quiet
        self.longest = max(longest, quiet)
        self._pending: dict[str, Pending] = {}
        self._lock = threading.Lock()

    def ask(self, scope: str, span: Span | None, *, at: float) -> None:
        """A delivery at `at` (monotonic seconds) asks to read `span` of `scope` again (None:
        its whole window)."""
        with self._lock:
            pending = self._pending.get(scope)
            if pending is None:
                self._pending[scope] = Pending(
                    first_at=at, last_at=at, span=span, whole=span is None
                )
            else:
                pending.widen(span, at)

    def due(self, now: float) -> list[ReRead]:
        """The re-reads whose quiet time (or longest wait) has passed by `now`, taken off."""
        with self._lock:
            ready = [
                scope
                for scope, pending in self._pending.items()
                if now - pending.last_at >= self.quiet or now - pending.first_at >= self.longest
            ]
            taken = [(scope, self._pending.pop(scope)) for scope in ready]
        return [
            ReRead(
                scope=scope,
                span=None if pending.whole else pending.span,
                deliveries=pending.deliveries,
            )
            for scope, pending in taken
        ]

    def next_due(self) -> float | None:
        """The monotonic moment the next re-read is due (None: none is waiting)."""
        with self._lock:
            moments = [
                min(pending.last_at + self.quiet, pending.first_at + self.longest)
                for pending in self._pending.values()
            ]
        return min(moments) if moments else None
