"""Prevail's postbacks as `watch` receives them: the JWT read and verified with a scope's key.

Prevail POSTs `{"jwt_payload": <JWT>}` to a session request's `postback_url` when its staff
schedule the request, signed (HS256) with the organisation's API key. A postback that verifies
with a watched scope's key says only that something of that organisation was scheduled: a hint
to read the scope's sessions again, never the truth (the session it carries is not read). One
that verifies with no key, or whose `exp` has passed, asks for nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jwt
from jwt.algorithms import HMACAlgorithm

from reconciler import clock

ALGORITHM = "HS256"
# A token whose `exp` passed this many seconds ago still counts: the sender's clock may be
# ahead of ours (the client allows as much for the tokens it mints).
CLOCK_TOLERANCE = 60.0


class _IssuedKeyHS256(HMACAlgorithm):
    """HS256 without PyJWT's warning about keys under 32 bytes: Prevail issues the key, its
    length is not ours to choose (and a warning filter is process-wide, not thread-safe)."""

    def __init__(self) -> None:
        super().__init__(HMACAlgorithm.SHA256)

    def check_key_length(self, key: bytes) -> str | None:
        return None


def _verifier() -> jwt.PyJWS:
    verifier = jwt.PyJWS(algorithms=[])
    verifier.register_algorithm(ALGORITHM, _IssuedKeyHS256())
    return verifier


_VERIFIER = _verifier()


def read_postback(body: bytes) -> str | None:
    """The JWT a postback's body carries (None: not the shape Prevail sends)."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    token = document.get("jwt_payload") if isinstance(document, Mapping) else None
    return token if isinstance(token, str) and token else None


def verified(token: str, api_key: str) -> bool:
    """Whether `token` is signed with `api_key` (HS256 only) and has not expired on the
    injected clock."""
    try:
        decoded = _VERIFIER.decode_complete(token, api_key, algorithms=[ALGORITHM])
        claims: Any = json.loads(decoded["payload"])
    except (jwt.InvalidTokenError, ValueError, TypeError):
        return False
    if not isinstance(claims, Mapping):
        return False
    expires = claims.get("exp")
    if expires is None:
        return True  # Prevail's docs show no claims of their own for postbacks
    if isinstance(expires, bool) or not isinstance(expires, int | float):
        return False
    return clock.current().time() <= expires + CLOCK_TOLERANCE
