"""Prospero's cookie-based personal tokens, as its public reference documents them.

`POST /auth/login` sets the access token (one hour) and the refresh token (seven days) as
cookies; every request sends the access token in `Cookie`; `GET /auth/refresh` with the refresh
token gives a new access token. Tokens issued during a run are registered for redaction, like
the configured secrets.

A token this process obtained is renewed a few minutes before its documented hour is up (on the
injected clock), so a long-running `watch` does not meet a 401 and send its request twice every
hour; a 401 is still answered by one renewal and one retry, for a server whose tokens end sooner.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Mapping

import httpx

from reconciler import clock
from reconciler.errors import AuthenticationError
from reconciler.redaction import register_secrets

# [doc] an access token lasts one hour; it is renewed this long before that.
ACCESS_TOKEN_LIFE = 3600.0
RENEW_AHEAD = 300.0


class ProsperoAuth(httpx.Auth):
    """Logs in once per run (or starts from a refresh token) and refreshes once on a 401.

    Shared by every thread of an apply: when the hour-long access token expires under eight
    requests in flight, one of them refreshes it and the others take the new one, rather than
    each asking for its own.
    """

    requires_response_body = True

    def __init__(self, settings: Mapping[str, str]) -> None:
        self.email = settings.get("email")
        self.password = settings.get("password")
        self.refresh_token = settings.get("refresh_token")
        self.access_token: str | None = settings.get("access_token")
        self.base = settings.get("base_url", "").rstrip("/")
        self._obtaining = threading.Lock()
        # When this process obtained the access token (the clock's monotonic()); None for one
        # given in the settings, whose age is unknown.
        self.obtained_at: float | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.access_token
        if token is None or self._ageing():
            token = yield from self._token_replacing(token)
        request.headers["Cookie"] = f"access_token={token}"
        response = yield request
        if response.status_code == 401 and (self.refresh_token or self.password):
            token = yield from self._token_replacing(token)
            request.headers["Cookie"] = f"access_token={token}"
            yield request

    def _ageing(self) -> bool:
        """The token this process obtained is near the end of its documented hour."""
        if self.obtained_at is None or not (self.refresh_token or self.password):
            return False
        age = clock.current().monotonic() - self.obtained_at
        return age >= ACCESS_TOKEN_LIFE - RENEW_AHEAD

    def _token_replacing(
        self, stale: str | None
    ) -> Generator[httpx.Request, httpx.Response, str | None]:
        """A token newer than `stale`: one another thread just obtained, or a new one from here.

        The lock is held across the auth request (this thread sends it and resumes here), so
        threads that met the same expired token wait for one refresh instead of making their own.
        """
        with self._obtaining:
            if self.access_token is not None and self.access_token != stale:
                return self.access_token
            self.access_token = None
            yield from self._obtain()
            return self.access_token

    def _obtain(self) -> Generator[httpx.Request, httpx.Response, None]:
        base = self.base
        if self.refresh_token:
            response = yield httpx.Request(
                "GET",
                base + "/auth/refresh",
                headers={"Cookie": f"refresh_token={self.refresh_token}"},
            )
            if response.status_code == 200 and response.cookies.get("access_token"):
                self.access_token = response.cookies["access_token"]
                self.obtained_at = clock.current().monotonic()
                register_secrets([self.access_token], issued=True)
                return
            if not self.password:
                raise AuthenticationError("prospero", "the refresh token was not accepted")
        if self.email and self.password:
            response = yield httpx.Request(
                "POST", base + "/auth/login", json={"email": self.email, "password": self.password}
            )
            token = response.cookies.get("access_token")
            if response.status_code != 200 or not token:
                raise AuthenticationError(
                    "prospero", f"POST /auth/login answered {response.status_code}"
                )
            self.access_token = token
            self.obtained_at = clock.current().monotonic()
            self.refresh_token = response.cookies.get("refresh_token") or self.refresh_token
            # Issued now, so no configuration names them: redacted like the configured secrets
            # (the hour-long access token among the latest issued, the refresh token for good).
            register_secrets([token], issued=True)
            register_secrets([self.refresh_token or ""])
            return
        raise AuthenticationError("prospero", "no email/password or refresh token configured")
