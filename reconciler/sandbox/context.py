"""What every emulator is built from: settings, the shared store, the clock and the request log."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.sandbox.store import Store


@dataclass(frozen=True, kw_only=True)
class SandboxSettings:
    """How a sandbox behaves; the defaults are the providers' documented ones."""

    db_path: str = ":memory:"
    # Previsto's documented limit is 120 requests per minute per API key; tests and benchmarks
    # lower or raise it to keep runs short.
    previsto_requests_per_minute: int = 120
    # The largest Previsto page (`size`): 100 as its API reference says; its newer developer
    # pages say 1000, which a test or benchmark can choose.
    previsto_max_page_size: int = 100
    prospero_access_token_ttl: float = 3600.0
    prospero_refresh_token_ttl: float = 7 * 86400.0
    # The /_sandbox admin API (faults, request log, seeding helpers) is for tests and benchmarks.
    admin: bool = False
    seed: bool = True
    # Previsto's docs never say whether a `meta` passed to an update merges into the stored
    # metadata or replaces it: the emulator merges ("merge"), or replaces ("replace"), storing
    # the passed object without its null and "" values.
    previsto_meta_updates: Literal["merge", "replace"] = "merge"


@dataclass(kw_only=True)
class RequestRecord:
    """One request the sandbox saw, as tests and benchmarks count them."""

    method: str
    path: str
    query: str
    body: Any
    status: int = 0
    content_type: str = ""
    # When the request arrived (wall clock, seconds): lets benchmarks measure pacing.
    received_at: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        return {
            "received_at": self.received_at,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "body": self.body,
            "status": self.status,
            "content_type": self.content_type,
        }


@dataclass(kw_only=True)
class RequestLog:
    records: list[RequestRecord] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self.records.append(record)

    def snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return list(self.records)

    def clear(self) -> None:
        with self._lock:
            self.records.clear()


@dataclass(kw_only=True)
class SandboxContext:
    settings: SandboxSettings
    store: Store
    clock: Callable[[], float] = time.time


@dataclass(frozen=True, kw_only=True)
class Emulator:
    """One provider's emulator as the app mounts it.

    `error_body(status, message)` renders the provider's own error body (used for injected
    faults); `churn()` adds one unmanaged object at the head of its main list (the `churn`
    fault); `admin_routes` are mounted under `/_sandbox/<name>` when the admin API is on;
    `credentials` are printed by `reconciler sandbox` at start-up; `background` are the tasks a
    served app runs for as long as it lives (webhook deliveries), started by its lifespan.
    """

    name: str
    app: Any
    error_body: Callable[[int, str], dict[str, Any]]
    churn: Callable[[], None]
    admin_routes: list[Any]
    credentials: dict[str, str]
    background: tuple[Callable[[], Coroutine[Any, Any, None]], ...] = ()
