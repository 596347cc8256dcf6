"""Coalescing re-reads: deliveries for one scope (and kind) within the quiet time become one read.

Prospero sends one delivery per change, and a colleague dragging an event about sends several
in a few seconds. Each scope keeps the union of the windows its deliveries asked for; the read
is made once no delivery for it has come for `quiet` seconds (on the injected clock), or once
the first has waited `longest`, so that a steady stream cannot put it off for ever. Each kind
of a scope waits apart: Prospero's deliveries ask for events, Prevail's postbacks for sessions.
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
# What Prospero's deliveries ask to read again.
EVENTS = "events"


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
    deliveries it answers, and the kind it reads."""

    scope: str
    span: Span | None
    deliveries: int
    kind: str = EVENTS


class Debouncer:
    """The scopes waiting for a re-read; `ask` from any thread, `due` from the loop."""

    def __init__(self, *, quiet: float = QUIET, longest: float = LONGEST) -> None:
        self.quiet = quiet
        self.longest = max(longest, quiet)
        self._pending: dict[tuple[str, str], Pending] = {}
        self._lock = threading.Lock()

    def ask(self, scope: str, span: Span | None, *, at: float, kind: str = EVENTS) -> None:
        """A delivery at `at` (monotonic seconds) asks to read `span` of `scope`'s `kind`
        again (None: its whole window)."""
        with self._lock:
            pending = self._pending.get((scope, kind))
            if pending is None:
                self._pending[(scope, kind)] = Pending(
                    first_at=at, last_at=at, span=span, whole=span is None
                )
            else:
                pending.widen(span, at)

    def due(self, now: float) -> list[ReRead]:
        """The re-reads whose quiet time (or longest wait) has passed by `now`, taken off."""
        with self._lock:
            ready = [
                asked
                for asked, pending in self._pending.items()
                if now - pending.last_at >= self.quiet or now - pending.first_at >= self.longest
            ]
            taken = [(asked, self._pending.pop(asked)) for asked in ready]
        return [
            ReRead(
                scope=scope,
                span=None if pending.whole else pending.span,
                deliveries=pending.deliveries,
                kind=kind,
            )
            for (scope, kind), pending in taken
        ]

    def next_due(self) -> float | None:
        """The monotonic moment the next re-read is due (None: none is waiting)."""
        with self._lock:
            moments = [
                min(pending.last_at + self.quiet, pending.first_at + self.longest)
                for pending in self._pending.values()
            ]
        return min(moments) if moments else None
