"""Injectable faults, switched on per route by tests and benchmarks.

A fault matches requests by method and a regular expression over the path (the full path, with
the provider prefix, e.g. `^/prospero/events$`) and fires for the next `times` matching requests
(`None`: every one). Kinds:

- `status`: answer with `status` (429, 5xx, ...) and the provider's own error body, optionally
  with `Retry-After: retry_after`; the request never reaches the emulator.
- `answer`: answer with `status` and `body` as given (JSON; no body at all when `body` is None),
  with `Location: /moved` for a 3xx: what a proxy, a redirecting front end or a buggy server
  says; the request never reaches the emulator, so nothing is stored.
- `echo`: answer with `status` and the provider's own error body, whose message repeats the
  request's `Authorization` and `Cookie` headers and its body, as some APIs and proxies do
  (`echo_message`); the request never reaches the emulator. What it repeated is kept in
  `echoed` (never served by the admin API), so a test can look for those values elsewhere.
- `latency`: wait `seconds` before handling the request (it is then handled normally).
- `hold`: like `latency`, but the `seconds` pass on the sandbox's own clock (`context.clock`, which
  a test drives): a server that commits exactly when the test's time says so.
- `reset`: drop the connection before the emulator sees the request.
- `drop`: commit-then-drop: the emulator handles the request (the write is stored), then the
  connection is dropped before the response is sent.
- `malformed`: the emulator handles the request, then the body sent is cut-off JSON.
- `churn`: after the response is sent, the emulator adds one unmanaged object at the head of the
  list order, so that the next page read sees a shifted list.

Over a real socket (uvicorn) a dropped connection reaches the client as a protocol error
(`httpx.RemoteProtocolError`); in-process (`httpx.ASGITransport`) as `ConnectionDropped`.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

FaultKind = Literal[
    "status", "answer", "echo", "latency", "hold", "reset", "drop", "malformed", "churn"
]
FAULT_KINDS: tuple[str, ...] = (
    "status", "answer", "echo", "latency", "hold", "reset", "drop", "malformed", "churn"
)


class ConnectionDropped(ConnectionResetError):
    """Raised inside the app to abandon a response: the peer sees a dropped connection."""


@dataclass(frozen=True, kw_only=True)
class Echoed:
    """What an `echo` fault repeated of one request."""

    authorization: str
    cookie: str
    body: str


def echo_message(status: int, echoed: Echoed) -> str:
    """An error message that repeats the request's credentials and body, in the `name=value`
    form of a proxy's or framework's request dump rather than as header lines."""
    return (
        f"{reason(status)}: refused the request authorization={echoed.authorization} "
        f"cookie={echoed.cookie} body={echoed.body}"
    )


@dataclass(kw_only=True)
class Fault:
    kind: FaultKind
    path: str
    method: str | None = None
    times: int | None = 1
    status: int = 503
    retry_after: float | None = None
    seconds: float = 0.0
    body: Any = None
    fired: int = 0
    # An `echo` fault's record of what it repeated: the request's credentials, so kept out of
    # `to_json` and `repr`.
    echoed: list[Echoed] = field(default_factory=list, repr=False)
    _pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        self._pattern = re.compile(self.path)
        if self.method is not None:
            self.method = self.method.upper()

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        if self.method is not None and self.method != method:
            return False
        return self._pattern.search(path) is not None

    @classmethod
    def from_json(cls, spec: dict[str, Any]) -> Fault:
        allowed = {"kind", "path", "method", "times", "status", "retry_after", "seconds", "body"}
        unknown = set(spec) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        return cls(**spec)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "method": self.method,
            "times": self.times,
            "status": self.status,
            "retry_after": self.retry_after,
            "seconds": self.seconds,
            "body": self.body,
            "fired": self.fired,
        }


class FaultInjector:
    """The set of armed faults; thread-safe because tests arm faults from their own thread."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def armed(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, method: str, path: str) -> list[Fault]:
        """The faults that fire for this request; each one's count is used up here."""
        with self._lock:
            firing = [fault for fault in self._faults if fault.matches(method, path)]
            for fault in firing:
                fault.fired += 1
        return firing


ErrorBody = Callable[[int, str], dict[str, Any]]
Churn = Callable[[], None]

_REASONS = {
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


def reason(status: int) -> str:
    return _REASONS.get(status, "Injected fault")


async def sleep(seconds: float) -> None:
    if seconds > 0:
        await asyncio.sleep(seconds)


# How often a held request looks at the sandbox's clock (real seconds).
HOLD_POLL = 0.005


async def hold(seconds: float, clock: Callable[[], float]) -> None:
    """Until `seconds` have passed on `clock`, however fast or slow it runs."""
    until = clock() + seconds
    while clock() < until:
        await asyncio.sleep(HOLD_POLL)
