"""Progress on stderr for long list walks and applies: shown on a terminal, silent otherwise."""

from __future__ import annotations

import sys
import threading

import click

from reconciler.providers.base import Provider
from reconciler.reports import Outcome


class Progress:
    """One status line on stderr, rewritten in place (only when stderr is a terminal)."""

    def __init__(self) -> None:
        self.enabled = False
        self._fetched: dict[str, int] = {}
        self._lock = threading.Lock()
        self._shown = False

    def watch(self, providers: dict[str, Provider]) -> None:
        self.enabled = sys.stderr.isatty()
        self._fetched.clear()
        if self.enabled:
            for provider in providers.values():
                provider.on_page = self.page

    def page(self, provider: Provider, fetched: int) -> None:
        with self._lock:
            self._fetched[provider.name] = fetched
            parts = ", ".join(f"{name} {count:,}" for name, count in sorted(self._fetched.items()))
            self._write(f"Refreshing: {parts} objects read")

    def applied(self, done: int, total: int, outcome: Outcome) -> None:
        with self._lock:
            self._write(f"Applying: {done}/{total} changes ({outcome.change.address})")

    def _write(self, text: str) -> None:
        if self.enabled:
            click.echo("\r\033[K" + text, err=True, nl=False)
            self._shown = True

    def finish(self) -> None:
        if self.enabled and self._shown:
            click.echo("\r\033[K", err=True, nl=False)
            self._shown = False
