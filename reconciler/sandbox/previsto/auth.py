"""The Previsto request boundary: who may call (API keys) and how often (the rate limit).

Every API request passes `PrevistoGate` before routing, in this order:
1. HTTP Basic with a known API key as the username and an empty password, else 401 with
   `WWW-Authenticate: Basic realm="Previsto"` (not counted against any key);
2. the key's sliding 60-second window: at most N accepted requests, else 429 without
   `Retry-After` (a refused request does not count);
3. a read-only key may only read: any other method is 403.
Anything a handler raises unexpectedly becomes Previsto's own 500 `api_error` body.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
from collections import deque
from collections.abc import Callable

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.sandbox.previsto.errors import PrevistoError

logger = logging.getLogger(__name__)

FULL_KEY = "sk_sandbox"
READ_ONLY_KEY = "sk_sandbox_readonly"
# The sandbox organisation's keys and whether each may write.
API_KEYS: dict[str, bool] = {FULL_KEY: True, READ_ONLY_KEY: False}
READ_METHODS = frozenset({"GET", "HEAD"})
WINDOW_SECONDS = 60.0
CHALLENGE = {"WWW-Authenticate": 'Basic realm="Previsto"'}


class RateLimiter:
    """Accepted requests per API key in a sliding window of 60 seconds."""

    def __init__(self, *, limit: Callable[[], int], clock: Callable[[], float]) -> None:
        self._limit = limit
        self._clock = clock
        self._accepted: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @property
    def limit(self) -> int:
        return self._limit()

    def admit(self, key: str) -> bool:
        """Count a request for `key` and say yes, or refuse it without counting it."""
        now = self._clock()
        with self._lock:
            accepted = self._accepted.setdefault(key, deque())
            while accepted and accepted[0] <= now - WINDOW_SECONDS:
                accepted.popleft()
            if len(accepted) >= self.limit:
                return False
            accepted.append(now)
            return True

    def reset(self) -> None:
        with self._lock:
            self._accepted.clear()


def authenticate(authorization: str | None) -> str:
    """The API key in an `Authorization: Basic` header, or a 401."""
    usage = "use HTTP Basic with your API key as the username and an empty password"
    if not authorization:
        raise PrevistoError(401, f"No API key provided: {usage}.", headers=CHALLENGE)
    scheme, _, credentials = authorization.partition(" ")
    try:
        if scheme.lower() != "basic":
            raise ValueError(scheme)
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (ValueError, binascii.Error):
        raise PrevistoError(
            401, f"Malformed Authorization header: {usage}.", headers=CHALLENGE
        ) from None
    key, colon, password = decoded.partition(":")
    if not colon or password:
        raise PrevistoError(401, f"Malformed credentials: {usage}.", headers=CHALLENGE)
    if key not in API_KEYS:
        raise PrevistoError(401, "Invalid API key provided.", headers=CHALLENGE)
    return key


class PrevistoGate:
    """ASGI middleware in front of the Previsto routes: auth, rate limit, rights, last resort."""

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            self.admit(Request(scope))
        except PrevistoError as refusal:
            await refusal.response()(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            if started:
                raise
            logger.exception("Previsto emulator failed on %s %s", scope["method"], scope["path"])
            failure = PrevistoError(500, "An unexpected error occurred on Previsto's side.")
            await failure.response()(scope, receive, send)

    def admit(self, request: Request) -> None:
        key = authenticate(request.headers.get("authorization"))
        if not self.limiter.admit(key):
            raise PrevistoError(
                429,
                f"Too many requests: the limit is {self.limiter.limit} requests per minute "
                f"per API key.",
            )
        if request.method not in READ_METHODS and not API_KEYS[key]:
            raise PrevistoError(
                403, f"This API key is read-only: it cannot make {request.method} requests."
            )
