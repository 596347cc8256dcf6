"""Prospero's cookie-based personal tokens: the sandbox account, login, refresh and token checks,
and what each user may do.

Two users [model]: the sandbox user, who may write, and a read-only one. Prospero's docs limit
access by the user's scopes (`entities.<type>.default`, then `entities.default`, then `default`)
and deny an operation above the user's permission level: the emulator answers it 403. Each
user's scopes and levels are [model], shown in the user `login` and `whoami` answer.

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
READ_ONLY_USER = {
    "id": "5f0c8f6a-9b1d-11ef-8c3a-0242ac120002",
    "email": "readonly@prospero.test",
    "name": "Read-only User",
    "orgId": ORG_ID,
}
READ_ONLY_PASSWORD = "sandbox-prospero-readonly-password"
# Permission levels, lowest first, and each user's scopes [model].
LEVELS = ("none", "read", "write", "admin")
SCOPES: dict[str, dict[str, str]] = {
    str(USER["id"]): {"default": "write"},
    str(READ_ONLY_USER["id"]): {"default": "read"},
}
USERS = {str(user["id"]): user for user in (USER, READ_ONLY_USER)}
PASSWORDS = {str(USER["id"]): PASSWORD, str(READ_ONLY_USER["id"]): READ_ONLY_PASSWORD}
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
        "read_only_email": str(READ_ONLY_USER["email"]),
        "read_only_password": READ_ONLY_PASSWORD,
    }


def user_view(user_id: str) -> dict[str, Any]:
    """The user as login and whoami answer it: the documented fields and [model] `scopes`."""
    return {**USERS[user_id], "scopes": dict(SCOPES[user_id])}


def level_for(user_id: str, entity: str) -> str:
    """The user's permission level for an entity type, by the documented scope fallback."""
    scopes = SCOPES[user_id]
    for scope in (f"entities.{entity}.default", "entities.default", "default"):
        if scope in scopes:
            return scopes[scope]
    return "none"


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

    def issue(self, kind: TokenKind, user_id: str = str(USER["id"])) -> str:
        settings = self.context.settings
        ttl = (
            settings.prospero_access_token_ttl
            if kind == "access"
            else settings.prospero_refresh_token_ttl
        )
        token = secrets.token_urlsafe(32)
        expires_at = self.context.clock() + ttl
        self.context.store.insert(
            TOKENS, _digest(token), _token(kind, expires_at=expires_at, user_id=user_id)
        )
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
        email = body["email"].strip().casefold()
        found = [key for key, user in USERS.items() if str(user["email"]).casefold() == email]
        user_id = found[0] if found else str(USER["id"])
        password_ok = hmac.compare_digest(
            body["password"].encode("utf-8", errors="surrogatepass"), PASSWORDS[user_id].encode()
        )
        if not (found and password_ok):
            raise ProsperoError(401, "Invalid email or password")
        return user_view(user_id), self.issue("access", user_id), self.issue("refresh", user_id)

    def refresh(self, request: Request) -> tuple[dict[str, Any], str]:
        """The user and a new access token for a valid `refresh_token` cookie; 400 otherwise,
        as documented."""
        token = request.cookies.get(REFRESH_COOKIE)
        if not token or not self._valid(token, "refresh"):
            raise ProsperoError(400, _REFRESH_FAILED)
        user_id = self._user_id(token)
        return user_view(user_id), self.issue("access", user_id)

    def authorize(self, request: Request, *, entity: str, needs: str) -> dict[str, Any]:
        """The user behind the access token, if their level for `entity` reaches `needs`; a
        user below it is denied (403): a permission refusal, not bad credentials."""
        user = self.authenticate(request)
        level = level_for(str(user["id"]), entity)
        if LEVELS.index(level) < LEVELS.index(needs):
            raise ProsperoError(
                403,
                f"Insufficient permissions: your level for entities.{entity} is {level}, this "
                f"operation needs {needs}",
            )
        return user

    def _user_id(self, token: str) -> str:
        """Whose token it is (the fixed sandbox tokens, and tokens stored before there were
        two users, are the sandbox user's)."""
        stored = self.context.store.get(TOKENS, _digest(token)) or {}
        user_id = str(stored.get("userId") or USER["id"])
        return user_id if user_id in USERS else str(USER["id"])

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
        return user_view(self._user_id(token))


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


def _token(
    kind: str, *, expires_at: float | None, user_id: str = str(USER["id"])
) -> dict[str, Any]:
    return {"kind": kind, "userId": user_id, "expiresAt": expires_at}


def _unauthorized(message: str, *, token: bool) -> ProsperoError:
    # RFC 6750: say which scheme is expected, and flag a token that was sent but refused.
    challenge = 'Bearer realm="prospero"' + (', error="invalid_token"' if token else "")
    return ProsperoError(401, message, headers={"WWW-Authenticate": challenge})
