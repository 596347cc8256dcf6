"""Progress on stderr for long list walks and applies.

On a terminal, one status line rewritten in place. Anywhere else (a CI log, a file, a pipe), where
a rewritten line is noise, a line of its own at most every `INTERVAL` seconds, as Terraform's
"Still creating... [10s elapsed]": `Still applying: 120 of 1,000 changes done [10s elapsed]`.
Those lines are written from the callbacks a run already makes (each page read, each outcome) when
the interval has passed on the injected clock, rather than by a thread of their own: a test's
clock drives them, and a run that is waiting on a single slow request says nothing until it ends.
Hand-written: neither click nor rich prints periodic lines for a log (rich's live display is for
terminals, and is silent elsewhere).
"""

from __future__ import annotations

import sys
import threading

import click

from reconciler.clock import current
from reconciler.providers.base import Provider
from reconciler.reports import Outcome

# The longest a log goes without a progress line while pages or outcomes keep coming (seconds).
INTERVAL = 10.0


class Progress:
    """Progress of the current phase (refreshing, then applying) on stderr."""

    def __init__(self) -> None:
        self.enabled = False  # the in-place line, on a terminal
        self._fetched: dict[str, int] = {}
        self._lock = threading.Lock()
        self._shown = False
        self._phase_started = 0.0
        self._last_line = 0.0

    def watch(self, providers: dict[str, Provider]) -> None:
        self.enabled = sys.stderr.isatty()
        self._fetched.clear()
        self._begin_phase()
        for provider in providers.values():
            provider.on_page = self.page

    def page(self, provider: Provider, fetched: int) -> None:
        with self._lock:
            self._fetched[provider.name] = fetched
            parts = ", ".join(f"{name} {count:,}" for name, count in sorted(self._fetched.items()))
            if self.enabled:
                self._write(f"Refreshing: {parts} objects read")
            else:
                self._periodic(f"Still refreshing: {parts} objects read")

    def applying(self) -> None:
        """The apply's first request is about to go: its elapsed time counts from here."""
        with self._lock:
            self._begin_phase()

    def applied(self, done: int, total: int, outcome: Outcome) -> None:
        with self._lock:
            if self.enabled:
                self._write(f"Applying: {done}/{total} changes ({outcome.change.address})")
            elif done < total:  # the last one is followed by the summary at once
                self._periodic(f"Still applying: {done:,} of {total:,} changes done")

    def _begin_phase(self) -> None:
        self._phase_started = self._last_line = current().monotonic()

    def _periodic(self, text: str) -> None:
        now = current().monotonic()
        if now - self._last_line >= INTERVAL:
            self._last_line = now
            click.echo(f"{text} [{elapsed(now - self._phase_started)} elapsed]", err=True)

    def _write(self, text: str) -> None:
        click.echo("\r\033[K" + text, err=True, nl=False)
        self._shown = True

    def finish(self) -> None:
        if self.enabled and self._shown:
            click.echo("\r\033[K", err=True, nl=False)
            self._shown = False


def elapsed(seconds: float) -> str:
    """`10s`, `2m5s`, `1h0m12s`: Terraform's way, whole seconds."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"
