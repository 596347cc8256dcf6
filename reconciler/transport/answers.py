"""What a refused or failed exchange says: the server's `Retry-After`, and a certificate
failure behind a transport error."""

from __future__ import annotations

import email.utils
import math
import ssl

import httpx

from reconciler.clock import current as current_clock


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
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date); None when absent or
    unreadable (a non-finite number is unreadable: it cannot be waited for)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - current_clock().time())
