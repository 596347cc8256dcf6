"""Counting what reaches the network: every attempt a client's transport sends, and its status.

`meter` slips a counting layer under a client's retries (`ResilientTransport`), so a request
retried after a 429 counts twice, as the API counted it. `watch` feeds its `/metrics` with it.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from reconciler.transport.retrying import ResilientTransport

# Told of each attempt: its HTTP status, or 0 when no answer came (a reset, a timeout).
OnAnswer = Callable[[int], None]


class MeteringTransport(httpx.BaseTransport):
    """Passes each request to `inner` and tells `on_answer` how it was answered."""

    def __init__(self, inner: httpx.BaseTransport, *, on_answer: OnAnswer) -> None:
        self.inner = inner
        self.on_answer = on_answer

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = self.inner.handle_request(request)
        except httpx.TransportError:
            self.on_answer(0)
            raise
        self.on_answer(response.status_code)
        return response

    def close(self) -> None:
        self.inner.close()


def meter(client: httpx.Client, on_answer: OnAnswer) -> bool:
    """Count every attempt `client` sends; False when its transport is not the resilient one
    `http.build_client` makes (then nothing is counted)."""
    # httpx keeps the transport a client was given without a public accessor.
    transport = client._transport
    if not isinstance(transport, ResilientTransport):
        return False
    transport.inner = MeteringTransport(transport.inner, on_answer=on_answer)
    return True
