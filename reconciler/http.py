"""The one httpx client factory every provider uses: base URL checks, timeouts, retries, pacing.

Providers receive their `httpx.Client` from here and never build one themselves, so transport
policy lives in one place:

- **Retries** (tenacity): 429, 5xx and connection failures are retried with exponential backoff
  and full jitter, waiting at least what `Retry-After` asks. A request that may have reached the
  server (the response was lost: read timeout, connection dropped mid-response, or a 5xx) is
  retried only when its method is idempotent (GET, PUT, PATCH, DELETE); for a POST the transport
  raises `ResponseLost` instead, and apply looks the object up by its key (again once the server
  must have finished) before sending it again, so a lost response never makes a duplicate.
- **Pacing** (pyrate-limiter's GCRA, one even slot per request): a provider with a documented
  rate limit (Previsto: 120 requests/minute per key) is paced a little under it, so the limit is
  met without provoking a 429 and without waiting longer than it must.
- **Trust** (which CAs an https origin is verified against), first that applies:
  1. `SSL_CERT_FILE` / `SSL_CERT_DIR` when set: the user named the CA bundle explicitly (a
     corporate proxy that re-signs traffic), so only it is used;
  2. the system trust store, through `truststore` (the OS's verifier on macOS and Windows, the
     system CA files on Linux), where an administrator installs a corporate CA;
  3. certifi's bundle, where truststore cannot be used (not importable, or a Linux machine with
     no system CA files, such as a slim container).
  A certificate that fails verification is never retried: it will not become valid in a second.
"""

from __future__ import annotations

import email.utils
import functools
import ipaddress
import logging
import os
import ssl
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from reconciler import __version__
from reconciler.errors import ReconcilerError
from reconciler.redaction import USERINFO_REFUSED, has_userinfo

log = logging.getLogger(__name__)

USER_AGENT = f"reconciler/{__version__}"

# Connect fast, read patiently: list pages of 1,000 objects take a moment to render server-side.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Pace at this share of a documented limit: clocks and networks jitter, and a 429 costs more
# than the 2 % given up here.
PACING_SHARE = 0.98


class ResponseLost(httpx.TransportError):
    """A non-idempotent request may have been applied, but its response never arrived (the
    server may even be working on it still)."""


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How often and how patiently a request is tried: `attempts` in all, with exponential
    backoff (full jitter) from `initial_wait` up to `max_wait` seconds between them."""

    attempts: int = 5
    initial_wait: float = 0.5
    max_wait: float = 30.0


class _Retry(Exception):
    """Internal: one attempt failed in a way worth another try."""

    def __init__(self, reason: str, *, response: httpx.Response | None = None) -> None:
        super().__init__(reason)
        self.response = response


class Pacer:
    """Evenly spaced request slots at a share of a rate limit (thread-safe, blocking)."""

    def __init__(self, requests_per_minute: float) -> None:
        # Imported here: pyrate-limiter loads asyncio and multiprocessing, a sixth of start-up,
        # and only a provider with a documented limit is paced.
        from pyrate_limiter import GCRA, Duration, InMemoryStateStore, Limiter, Rate, StateBucket

        per_minute = max(1, int(requests_per_minute * PACING_SHARE))
        bucket = StateBucket(
            [Rate(per_minute, Duration.MINUTE, burst=1)], GCRA(), InMemoryStateStore()
        )
        # buffer_ms=0: wake exactly at the next slot; the default 50 ms would cost a third of
        # the throughput at 600 requests/minute.
        self._limiter = Limiter(bucket, buffer_ms=0)
        self.requests_per_minute = per_minute

    def wait_turn(self) -> None:
        self._limiter.try_acquire("requests")


class ResilientTransport(httpx.BaseTransport):
    """Wraps a transport with retries and pacing; the only place requests are re-sent."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        provider: str,
        policy: RetryPolicy,
        pacer: Pacer | None = None,
    ) -> None:
        self.inner = inner
        self.provider = provider
        self.policy = policy
        self.pacer = pacer
        self.retries = 0
        self.rate_limited = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        retrying = Retrying(
            stop=stop_after_attempt(self.policy.attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retry),
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._attempt(request, last=attempt.retry_state.attempt_number
                                         >= self.policy.attempts)
        except _Retry as final:
            if final.response is not None:
                return final.response
            raise httpx.ConnectError(str(final), request=request) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, request: httpx.Request, *, last: bool) -> httpx.Response:
        if self.pacer is not None:
            self.pacer.wait_turn()
        idempotent = request.method in IDEMPOTENT
        try:
            response = self.inner.handle_request(request)
            # Read the body here, inside the retry: a connection dropped mid-body is a lost
            # response like any other, not an error the caller meets later.
            response.read()
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            if certificate_failure(error) is not None:
                raise  # the caller names it; the certificate will be no better next time
            # Never reached the server: safe to send again whatever the method.
            raise _Retry(f"{type(error).__name__}") from None
        except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError,
                httpx.ReadError, httpx.WriteError) as error:
            if not idempotent:
                raise ResponseLost(
                    f"{request.method} {request.url.path}: the response was lost "
                    f"({type(error).__name__})",
                    request=request,
                ) from None
            raise _Retry(f"{type(error).__name__}") from None
        if response.status_code in RETRY_STATUSES:
            response.close()
            if response.status_code == 429:
                self.rate_limited += 1
            if not idempotent and response.status_code not in (429, 503):
                # A 5xx other than 503 may follow a commit: let apply look first.
                if last:
                    return response
                raise ResponseLost(
                    f"{request.method} {request.url.path}: answered {response.status_code}",
                    request=request,
                )
            if last:
                return response
            raise _Retry(f"status {response.status_code}", response=response)
        return response

    def _wait(self, state: RetryCallState) -> float:
        backoff = wait_random_exponential(
            multiplier=self.policy.initial_wait, max=self.policy.max_wait
        )(state)
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _Retry) and error.response is not None:
            asked = retry_after(error.response)
            if asked is not None:
                # The server said when; waiting less provokes another 429.
                return min(asked, self.policy.max_wait)
        return float(backoff)

    def _log_retry(self, state: RetryCallState) -> None:
        self.retries += 1
        error = state.outcome.exception() if state.outcome else None
        log.info("%s: retrying after %s (attempt %d)", self.provider, error,
                 state.attempt_number)

    def close(self) -> None:
        self.inner.close()


def certificate_failure(error: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification error behind a transport error (None: it is not one).

    httpx wraps httpcore's error, which wraps the ssl module's; walk the whole chain.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


NOT_A_URL = "must be an http:// or https:// URL with a host"


def base_url_problem(base_url: str) -> str | None:
    """Why a base URL may not carry credentials (None: it may): user-info, or anything but https
    except plain http to loopback (the sandbox). The message never echoes the URL: a value in
    the providers block may have come from a secret.

    The configuration's checks and `check_base_url` both word their refusals with it.
    """
    if has_userinfo(base_url):
        return USERINFO_REFUSED
    try:
        parts = urlsplit(base_url)
        host, _ = parts.hostname, parts.port
        httpx.URL(base_url)
    except (ValueError, httpx.InvalidURL):  # "[::1", a port past 65535, a control character
        return NOT_A_URL
    if parts.scheme not in ("http", "https") or not host:
        return NOT_A_URL
    if parts.scheme == "http" and not is_loopback(host):
        return (
            "uses plain http; credentials travel only over https (plain http is allowed to "
            "loopback only)"
        )
    return None


def check_base_url(provider: str, base_url: str) -> str:
    """The origin for a base URL, refused as `base_url_problem` says.

    The configuration refuses such URLs already; this guards every other way a URL arrives.
    """
    problem = base_url_problem(base_url)
    if problem is not None:
        raise ReconcilerError(f"{provider}: base_url {problem}")
    return base_url.rstrip("/") + "/"


def _tls_context(*, https: bool) -> ssl.SSLContext:
    """The verifying TLS context for an origin, by the precedence in the module docstring.

    A plain-http (loopback) origin never makes a TLS connection, so its context loads no CAs at
    all; were it ever used, it would verify against nothing and refuse, never accept blindly.
    """
    if not https:
        return _no_trust_context()
    # The environment is part of the key: a test (or a long-lived caller) that changes it gets
    # the context it names, not the first one built.
    return _verifying_context(
        os.environ.get("SSL_CERT_FILE") or None, os.environ.get("SSL_CERT_DIR") or None
    )


@functools.cache
def _no_trust_context() -> ssl.SSLContext:
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


@functools.cache  # loading a CA bundle costs about 25 ms: once per run, not once per client
def _verifying_context(cafile: str | None, capath: str | None) -> ssl.SSLContext:
    if cafile or capath:
        try:
            return ssl.create_default_context(cafile=cafile, capath=capath)
        except (OSError, ssl.SSLError) as error:
            raise ReconcilerError(
                f"cannot load the CA bundle named by SSL_CERT_FILE/SSL_CERT_DIR ({error}); "
                "point them at a readable PEM file or directory, or unset them"
            ) from None
    if _system_store_usable():
        import truststore  # here: only an https origin needs it

        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return ssl.create_default_context(cafile=certifi.where())


def _system_store_usable() -> bool:
    """Whether truststore can verify against a system store with CAs in it."""
    try:
        import truststore  # noqa: F401  # Python 3.10+ on a platform it supports
    except ImportError:
        return False
    if sys.platform in ("darwin", "win32"):
        return True  # the OS verifier, which always has its store
    # Elsewhere truststore reads OpenSSL's default CA file or directory: a machine without them
    # (a slim container with no ca-certificates) would verify against nothing.
    defaults = ssl.get_default_verify_paths()
    if defaults.cafile:
        return True
    return bool(defaults.capath) and any(
        entry.is_file() for entry in os.scandir(defaults.capath)
    )


def build_client(
    provider: str,
    base_url: str,
    *,
    auth: httpx.Auth | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    policy: RetryPolicy | None = None,
    requests_per_minute: float | None = None,
    max_connections: int = 16,
    headers: dict[str, str] | None = None,
) -> httpx.Client:
    """A client bound to one API's base URL, with retries and (when given) pacing.

    `provider` names the API in messages and logs (a provider, or `github` for the Action's
    REST calls); `headers` are sent with every request, after the defaults.
    """
    origin = check_base_url(provider, base_url)
    inner = transport or httpx.HTTPTransport(
        verify=_tls_context(https=origin.startswith("https:")),
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=16),
    )
    resilient = ResilientTransport(
        inner,
        provider=provider,
        policy=policy or RetryPolicy(),
        pacer=Pacer(requests_per_minute) if requests_per_minute else None,
    )
    return httpx.Client(
        base_url=origin,
        auth=auth,
        transport=resilient,
        timeout=timeout,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
        follow_redirects=False,
    )
