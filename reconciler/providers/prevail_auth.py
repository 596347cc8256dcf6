"""Prevail's authentication, as its docs show it: an HS256 JWT over `{exp, slug: company_id}`,
signed with the API key and sent as `Authorization: Bearer`. Each minted token is registered for
redaction before it is sent, like the key it was signed with.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Generator

import httpx
import jwt

from reconciler import clock
from reconciler.errors import AuthenticationError
from reconciler.redaction import register_secrets

TOKEN_LIFETIME = 300  # seconds; the contract caps a minted token's life at five minutes


class PrevailAuth(httpx.Auth):
    """Signs each request with a short-lived HS256 JWT, re-minted well before it expires."""

    def __init__(self, company_id: str, api_key: str) -> None:
        self._company_id = company_id
        self._api_key = api_key
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def token(self) -> str:
        if not self._api_key or not self._company_id:
            raise AuthenticationError("prevail", "company_id and api_key must both be set")
        with self._lock:
            now = clock.current().time()
            if self._token is None or self._expires - now < 60:
                self._expires = int(now) + TOKEN_LIFETIME
                with warnings.catch_warnings():
                    # Prevail issues the key; its length is not ours to choose or to warn about.
                    warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
                    self._token = jwt.encode(
                        {"exp": int(self._expires), "slug": self._company_id},
                        self._api_key,
                        algorithm="HS256",
                    )
                # Minted here, so no configuration names it: before it is sent, so that an
                # error body repeating it is redacted like the key it was signed with.
                register_secrets([self._token], issued=True)
            return self._token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        yield request
