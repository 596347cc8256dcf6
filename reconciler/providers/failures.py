"""How a failed exchange reads as a typed error: what the transport raised, or the status an
API answered, turned into the one-line `ProviderError` a user reads.

The provider's HTTP choke point (`Provider.request`) asks `transport_failure` and
`status_failure`, the list walks ask `expect` of each answer's shape, and `failed` makes a
failed change's outcome of the error; the messages never hold a URL's path or query (a token
could travel there), only the provider, the endpoint and the host.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from reconciler.errors import (
    AuthenticationError,
    PermissionDeniedError,
    ProviderError,
    ResponseError,
    ResponseLostError,
    UnreachableError,
)
from reconciler.http import (
    DeadlineExceeded,
    ResponseLost,
    ResponseTooLarge,
    RetryAfterExceeded,
    TransferTooSlow,
    certificate_failure,
)
from reconciler.model import Change
from reconciler.reports import Outcome


def failed(change: Change, error: ProviderError) -> Outcome:
    """The outcome of a change whose request failed with `error` (`denied`: for want of
    permission, which the provider's other writes would meet too)."""
    return Outcome(change=change, ok=False, message=str(error),
                   denied=isinstance(error, PermissionDeniedError))


def expect(condition: bool, provider: str, endpoint: str, what: str) -> None:
    """Refuse a response of an unexpected shape with a message naming the endpoint."""
    if not condition:
        raise ResponseError(provider, endpoint, f"unexpected response: {what}")


def transport_failure(
    provider: str, endpoint: str, base_url: httpx.URL, error: httpx.TransportError
) -> ProviderError:
    """The error a request that got no usable answer raised, as the user reads it."""
    if isinstance(error, ResponseLost):
        return ResponseLostError(provider, f"{provider} {error}")
    if isinstance(error, RetryAfterExceeded):
        return ResponseError(provider, endpoint, str(error), status=error.status)
    if isinstance(error, DeadlineExceeded | ResponseTooLarge):
        return ResponseError(provider, endpoint, str(error))
    if isinstance(error, TransferTooSlow):
        return UnreachableError(provider, f"{provider} {endpoint}: timed out: {error}")
    if isinstance(error, httpx.TimeoutException):
        return UnreachableError(
            provider, f"{provider} {endpoint}: timed out ({type(error).__name__})"
        )
    failure = certificate_failure(error)
    if failure is not None:
        # Only the host and OpenSSL's reason: the URL's path or query could carry a key.
        reason = failure.verify_message or failure.reason or "verification failed"
        return UnreachableError(
            provider,
            f"{provider}: TLS certificate verification failed for {base_url.host} ({reason}); "
            "if a corporate proxy re-signs traffic, point SSL_CERT_FILE at its CA bundle",
        )
    return UnreachableError(
        provider,
        f"{provider} is unreachable at {base_url} ({type(error).__name__}); check base_url and "
        "the network",
    )


def status_failure(
    provider: str,
    endpoint: str,
    response: httpx.Response,
    message: Callable[[httpx.Response], str],
) -> ProviderError | None:
    """The error an answer's status means (None for a success); `message` reads the API's own
    words from an error body."""
    status = response.status_code
    if 300 <= status < 400:
        # Redirects are never followed (a credential must not travel to another origin), so
        # a write answered by one did not happen here.
        return ResponseError(
            provider,
            endpoint,
            f"{status}: a redirect, which the client does not follow (nothing was read or "
            "changed); check base_url",
            status=status,
        )
    if status == 401:
        return AuthenticationError(provider, f"{endpoint} answered {status}")
    if status == 403:
        # The credentials were read, and the operation refused: permission, not credentials.
        return PermissionDeniedError(provider, f"{endpoint} answered 403 {message(response)}")
    if status >= 400:
        return ResponseError(provider, endpoint, f"{status} {message(response)}", status=status)
    return None
