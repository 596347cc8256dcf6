"""The one httpx client factory every provider uses: base URL checks, timeouts and a User-Agent.

Providers receive their `httpx.Client` from here and never build one themselves, so transport
policy (timeouts, retries, pacing, redaction) lives in one place.
"""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

import httpx

from reconciler import __version__
from reconciler.errors import ReconcilerError

log = logging.getLogger(__name__)

USER_AGENT = f"reconciler/{__version__} (+https://github.com/reconciler/reconciler)"

# Connect fast, read patiently: list pages of 1,000 objects take a moment to render server-side.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(provider: str, base_url: str) -> str:
    """Refuse anything but https, except plain http to loopback (the sandbox)."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ReconcilerError(f"{provider}: base_url {base_url!r} is not an http(s) URL")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ReconcilerError(
            f"{provider}: base_url {base_url!r} uses plain http; credentials travel only over "
            "https (plain http is allowed to loopback only)"
        )
    return base_url.rstrip("/") + "/"


def build_client(
    provider: str,
    base_url: str,
    *,
    auth: httpx.Auth | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    max_connections: int = 16,
) -> httpx.Client:
    """A client bound to one provider's base URL."""
    return httpx.Client(
        base_url=check_base_url(provider, base_url),
        auth=auth,
        transport=transport,
        timeout=timeout,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=16),
        follow_redirects=False,
    )
