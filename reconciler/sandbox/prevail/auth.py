"""Prevail's authentication: finding a request's HS256 JWT and verifying it with the org's API key.

A token's payload carries `exp` (epoch seconds) and `slug` (the company_id). It may arrive as
`Authorization: Bearer <jwt>`, as `?jwt_payload=<jwt>` or as a top-level `jwt_payload` in a JSON
body, looked for in that order. Anything wrong with it (missing, malformed, bad signature, any
`alg` but HS256, expired, unknown slug) is a 401. The same key signs the postback payloads.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

import jwt
from jwt.algorithms import HMACAlgorithm
from starlette.requests import Request

from reconciler.sandbox.prevail.errors import PrevailError

ALGORITHM = "HS256"


@dataclass(frozen=True, kw_only=True)
class Organisation:
    """One Prevail organisation as the API sees it: its company_id (the JWT slug) and key."""

    company_id: str
    api_key: str


SANDBOX_ORGANISATION = Organisation(company_id="sandbox-co", api_key="sandbox-prevail-key")


class _DocumentedKeyHS256(HMACAlgorithm):
    """HS256 without PyJWT's short-key warning.

    The sandbox key documented in the README is 19 bytes; PyJWT warns about HMAC keys under 32
    bytes on every call, which would turn each request into a warning (an error under pytest).
    """

    def __init__(self) -> None:
        super().__init__(HMACAlgorithm.SHA256)

    def check_key_length(self, key: bytes) -> str | None:
        return None


def _signer() -> jwt.PyJWS:
    signer = jwt.PyJWS(algorithms=[])
    signer.register_algorithm(ALGORITHM, _DocumentedKeyHS256())
    return signer


_SIGNER = _signer()


def sign(claims: Mapping[str, Any], organisation: Organisation) -> str:
    """An HS256 JWT of `claims`, signed with the organisation's key (the postback payload)."""
    payload = json.dumps(dict(claims), separators=(",", ":")).encode()
    return _SIGNER.encode(payload, organisation.api_key, algorithm=ALGORITHM)


def request_token(request: Request, body: Any) -> object:
    """The token a request carries: Bearer header, else `?jwt_payload=`, else the body's."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, credentials = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            reason = "the Authorization header must be 'Bearer <jwt>'"
            raise PrevailError(401, f"Unauthorized: {reason}", {"jwt_payload": [reason]})
        return credentials.strip()
    if "jwt_payload" in request.query_params:
        return request.query_params["jwt_payload"]
    if isinstance(body, dict):
        return body.get("jwt_payload")
    return None


class Authenticator:
    """Verifies tokens against the known organisations, at the sandbox clock's `now`."""

    def __init__(self, organisations: Mapping[str, Organisation]) -> None:
        self._organisations = dict(organisations)

    def verify(self, token: object, *, now: float) -> Organisation:
        if not isinstance(token, str) or not token:
            raise _unauthorized("the JWT is missing or empty")
        try:
            header = jwt.get_unverified_header(token)
            unverified = json.loads(
                _SIGNER.decode_complete(token, options={"verify_signature": False})["payload"]
            )
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise _unauthorized(f"the JWT is malformed ({error})") from None
        if header.get("alg") != ALGORITHM:
            raise _unauthorized(
                f"the JWT must be signed with {ALGORITHM}, not {header.get('alg')!r}"
            )
        if not isinstance(unverified, dict):
            raise _unauthorized("the JWT payload must be a JSON object")
        slug = unverified.get("slug")
        if not isinstance(slug, str):
            raise _unauthorized("the JWT payload needs a string `slug` (your company_id)")
        organisation = self._organisations.get(slug)
        if organisation is None:
            raise _unauthorized(f"unknown company_id {slug!r} in the JWT slug")
        try:
            _SIGNER.decode_complete(token, organisation.api_key, algorithms=[ALGORITHM])
        except jwt.InvalidSignatureError:
            raise _unauthorized(
                "the JWT signature does not match the organisation's API key"
            ) from None
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise _unauthorized(f"the JWT cannot be verified ({error})") from None
        _check_times(unverified, now=now)
        return organisation


def _check_times(claims: Mapping[str, Any], *, now: float) -> None:
    expiry = claims.get("exp")
    if not _is_epoch(expiry):
        raise _unauthorized("the JWT payload needs a numeric `exp` (epoch seconds)")
    if expiry <= now:
        raise _unauthorized("the JWT has expired; mint a new one")
    not_before = claims.get("nbf")
    if not_before is not None and (not _is_epoch(not_before) or not_before > now):
        raise _unauthorized("the JWT is not valid yet (`nbf`)")


def _is_epoch(value: object) -> TypeGuard[int | float]:
    # Huge integers compare exactly with the float clock; only floats can be NaN or infinite.
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def _unauthorized(reason: str) -> PrevailError:
    return PrevailError(401, f"Unauthorized: {reason}", {"jwt_payload": [reason]})
