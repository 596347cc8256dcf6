"""The one httpx client factory every provider uses: base URL checks, timeouts, trust.

Providers receive their `httpx.Client` from here and never build one themselves, so transport
policy lives in one place; how a request is retried and paced is `transport`'s, whose
`ResilientTransport` wraps every client made here.

- **Confinement**: every request a client sends must stay under its base URL (same scheme,
  host and port, and a path below the base path); anything else is refused before it leaves,
  so no request path, however it was made, can carry a provider's credentials elsewhere.
- **Trust** (which CAs an https origin is verified against), first that applies:
  1. `SSL_CERT_FILE` / `SSL_CERT_DIR` when set: the user named the CA bundle explicitly (a
     corporate proxy that re-signs traffic), so only it is used;
  2. the system trust store, through `truststore` (the OS's verifier on macOS and Windows, the
     system CA files on Linux), where an administrator installs a corporate CA;
  3. certifi's bundle, where truststore cannot be used (not importable, or a Linux machine with
     no system CA files, such as a slim container).
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import ssl
import sys
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

import certifi
import httpx

from reconciler import __version__
from reconciler.clock import Deadline
from reconciler.errors import ReconcilerError
from reconciler.redaction import USERINFO_REFUSED, has_userinfo
from reconciler.transport import (
    DeadlineExceeded,
    Pacer,
    ResilientTransport,
    ResponseLimits,
    ResponseLost,
    ResponseTooLarge,
    RetryAfterExceeded,
    RetryPolicy,
    TransferTooSlow,
    budget_for,
    certificate_failure,
    pacer_for,
    pacing_store,
)

# What callers import from here: the client factory and the transport's names they meet.
__all__ = [
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "DeadlineExceeded",
    "ResponseLimits",
    "ResponseLost",
    "ResponseTooLarge",
    "RetryAfterExceeded",
    "RetryPolicy",
    "TransferTooSlow",
    "build_client",
    "certificate_failure",
    "check_base_url",
    "is_loopback",
]


USER_AGENT = f"reconciler/{__version__}"

# Connect fast, read patiently: list pages of 1,000 objects take a moment to render server-side.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


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


class OutsideBaseURL(ReconcilerError):
    """A request would leave its client's base URL (refused before it is sent)."""


# A request path is a relative reference below the base URL: no scheme, no authority, no dot
# segment (literal or percent-encoded), no backslash (some servers read it as a slash), no
# control character, no query or fragment (a plan carries its query separately).
_DOT_SEGMENT = re.compile(r"(^|/)\.\.?(/|$)")


def path_outside_base(base_url: str, path: str) -> str | None:
    """Why the request path `path` would leave `base_url` (None: it stays below it).

    Checks the path as written (a plan's `path`) and then the URL a client bound to `base_url`
    would build from it, so a later change in how URLs are joined cannot open a way out.
    """
    if any(ord(char) < 0x20 or char == "\x7f" for char in path):
        return "it holds a control character"
    if "\\" in path:
        return "it holds a backslash"
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or path.startswith("//") or "://" in path:
        return "it is an absolute URL, not a path below base_url"
    if parts.query or parts.fragment or "?" in path or "#" in path:
        return "it holds a query or fragment"
    if _DOT_SEGMENT.search(unquote(unquote(parts.path))):
        return "it holds a '.' or '..' segment"
    origin = base_url.rstrip("/") + "/"
    # As the client joins them: the base's path, then the request path without its slash.
    return url_outside_base(httpx.URL(origin), httpx.URL(origin + path.lstrip("/")))


def url_outside_base(base: httpx.URL, url: httpx.URL) -> str | None:
    """Why `url` is not below `base` (None: it is): another scheme, host, port or path."""
    if (url.scheme, url.host, url.port) != (base.scheme, base.host, base.port):
        return f"it goes to {url.scheme}://{url.host}{f':{url.port}' if url.port else ''}"
    prefix = base.path if base.path.endswith("/") else base.path + "/"
    if not (url.path + "/").startswith(prefix) or _DOT_SEGMENT.search(unquote(url.path)):
        return "its path leaves the base path"
    return None


def _confine(base: httpx.URL, provider: str) -> Callable[[httpx.Request], None]:
    """A request hook that refuses any request outside `base` (the last line of defence)."""

    def check(request: httpx.Request) -> None:
        reason = url_outside_base(base, request.url)
        if reason is not None:
            raise OutsideBaseURL(
                f"{provider}: refused to send {request.method} {request.url.path}: {reason} "
                "(outside its base_url)"
            )

    return check


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


def _pacer(requests_per_minute: float | None, credential: str | None) -> Pacer | None:
    if not requests_per_minute:
        return None
    if credential is None:
        return Pacer(requests_per_minute)
    return pacer_for(credential, requests_per_minute, store=pacing_store())


def build_client(
    provider: str,
    base_url: str,
    *,
    auth: httpx.Auth | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    policy: RetryPolicy | None = None,
    requests_per_minute: float | None = None,
    rate_window: float | None = None,
    max_connections: int = 16,
    headers: dict[str, str] | None = None,
    limits: ResponseLimits | None = None,
    deadline: Deadline | None = None,
    credential: str | None = None,
) -> httpx.Client:
    """A client bound to one API's base URL, with retries and (when given) pacing.

    `provider` names the API in messages and logs (a provider, or `github` for the Action's
    REST calls); `rate_window` is the window (seconds) of the API's documented rate limit, if it
    has one, which a 429 without `Retry-After` is waited out for; `headers` are sent with every
    request, after the defaults; `limits` bound each answer (default `ResponseLimits()`), and
    nothing is sent or read past `deadline` (None: no deadline). `credential` (a digest of the
    credential, never the secret) makes the pacing the credential's: shared by every client of
    it, in this process and, through the pacing store, in others on the machine.
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
        pacer=_pacer(requests_per_minute, credential),
        rate_window=rate_window,
        limits=limits,
        deadline=deadline,
        budget=budget_for(credential),
    )
    return httpx.Client(
        base_url=origin,
        auth=auth,
        transport=resilient,
        timeout=timeout,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
        follow_redirects=False,
        event_hooks={"request": [_confine(httpx.URL(origin), provider)]},
    )
