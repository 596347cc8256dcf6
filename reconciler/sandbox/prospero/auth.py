"""Prospero's cookie-based personal tokens: the sandbox account, login, refresh and token checks.

Tokens are random opaque strings; the store keeps only their SHA-256 (as a real service keeps
hashes), with kind and expiry, so a restart on the same `--db` file keeps every session. The
fixed sandbox tokens never expire. Expiry is judged with `context.clock()`.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox.context import SandboxContext
from reconciler.sandbox.prospero.errors import ProsperoError

TOKENS = "prospero.tokens"
ACCESS_COOKIE = "access_token"
REFRESH_COOKIE = "refresh_token"

ORG_ID = "5f0c8a2e-9b1d-11ef-8c3a-0242ac120002"
USER = {
    "id": "5f0c8d4e-9b1d-11ef-8c3a-0242ac120002",
    "email": "sandbox@prospero.test",
    "name": "Sandbox User",
    "orgId": ORG_ID,
}
PASSWORD = "sandbox-prospero-password"
FIXED_ACCESS_TOKEN = "sandbox-prospero-token"
FIXED_REFRESH_TOKEN = "sandbox-prospero-refresh"

TokenKind = Literal["access", "refresh"]
_REFRESH_FAILED = "Unable to verify refresh token"


def credentials() -> dict[str, str]:
    return {
        "email": str(USER["email"]),
        "password": PASSWORD,
        "access_token": FIXED_ACCESS_TOKEN,
        "refresh_token": FIXED_REFRESH_TOKEN,
    }


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", errors="surrogatepass")).hexdigest()


class Tokens:
    """Issues and checks the org's tokens; one instance per emulator."""

    def __init__(self, context: SandboxContext) -> None:
        self.context = context

    def ensure_fixed(self) -> None:
        """Store the documented never-expiring sandbox tokens (once per database)."""
        store = self.context.store
        for token, kind in ((FIXED_ACCESS_TOKEN, "access"), (FIXED_REFRESH_TOKEN, "refresh")):
            if store.get(TOKENS, _digest(token)) is None:
                store.insert(TOKENS, _digest(token), _token(kind, expires_at=None))

    def issue(self, kind: TokenKind) -> str:
        settings = self.context.settings
        ttl = (
            settings.prospero_access_token_ttl
            if kind == "access"
            else settings.prospero_refresh_token_ttl
        )
        token = secrets.token_urlsafe(32)
        expires_at = self.context.clock() + ttl
        self.context.store.insert(TOKENS, _digest(token), _token(kind, expires_at=expires_at))
        return token

    def expire(self, token: str) -> bool:
        """Make a token expire now (admin route for tests); False when it is unknown."""
        store = self.context.store
        stored = store.get(TOKENS, _digest(token))
        if stored is None:
            return False
        store.replace(TOKENS, _digest(token), {**stored, "expiresAt": self.context.clock() - 1})
        return True

    def _valid(self, token: str, kind: TokenKind) -> bool | None:
        """True if valid, False if expired, None if unknown (or of the other kind)."""
        stored = self.context.store.get(TOKENS, _digest(token))
        if stored is None or stored.get("kind") != kind:
            return None
        expires_at = stored.get("expiresAt")
        return expires_at is None or self.context.clock() < float(expires_at)

    # -- the three ways a request meets auth ------------------------------------------------

    def login(self, body: object) -> tuple[dict[str, Any], str, str]:
        """Check `{"email", "password"}`; return the user and a new access and refresh token."""
        if not isinstance(body, dict):
            raise ProsperoError(400, "body must be a JSON object with email and password")
        for name in sorted(body):
            if name not in ("email", "password"):
                raise ProsperoError(400, f"{name}: unknown field")
        for name in ("email", "password"):
            if not isinstance(body.get(name), str):
                raise ProsperoError(400, f"{name}: is required and must be a string")
        email_ok = body["email"].strip().casefold() == str(USER["email"]).casefold()
        password_ok = hmac.compare_digest(
            body["password"].encode("utf-8", errors="surrogatepass"), PASSWORD.encode()
        )
        if not (email_ok and password_ok):
            raise ProsperoError(401, "Invalid email or password")
        return dict(USER), self.issue("access"), self.issue("refresh")

    def refresh(self, request: Request) -> str:
        """A new access token for a valid `refresh_token` cookie; 400 otherwise, as documented."""
        token = request.cookies.get(REFRESH_COOKIE)
        if not token or not self._valid(token, "refresh"):
            raise ProsperoError(400, _REFRESH_FAILED)
        return self.issue("access")

    def authenticate(self, request: Request) -> dict[str, Any]:
        """The user behind the access token (Bearer header first, then the cookie); else 401."""
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise _unauthorized("Authorization must be 'Bearer <access token>'", token=True)
            token = token.strip()
        else:
            token = request.cookies.get(ACCESS_COOKIE, "")
        if not token:
            raise _unauthorized("Missing access token", token=False)
        valid = self._valid(token, "access")
        if valid is None:
            raise _unauthorized("Invalid access token", token=True)
        if not valid:
            raise _unauthorized("Access token expired", token=True)
        return dict(USER)


def set_token_cookies(
    response: Response,
    request: Request,
    context: SandboxContext,
    *,
    access: str,
    refresh: str | None = None,
) -> None:
    """HttpOnly cookies scoped to the API's base path, living as long as the tokens do."""
    path = request.scope.get("root_path") or "/"
    settings = context.settings
    cookies = [(ACCESS_COOKIE, access, settings.prospero_access_token_ttl)]
    if refresh is not None:
        cookies.append((REFRESH_COOKIE, refresh, settings.prospero_refresh_token_ttl))
    for name, value, ttl in cookies:
        response.set_cookie(
            name, value, max_age=max(1, math.ceil(ttl)), path=path, httponly=True, samesite="lax"
        )


def _token(kind: str, *, expires_at: float | None) -> dict[str, Any]:
    return {"kind": kind, "userId": USER["id"], "expiresAt": expires_at}


def _unauthorized(message: str, *, token: bool) -> ProsperoError:
    # RFC 6750: say which scheme is expected, and flag a token that was sent but refused.
    challenge = 'Bearer realm="prospero"' + (', error="invalid_token"' if token else "")
    return ProsperoError(401, message, headers={"WWW-Authenticate": challenge})
