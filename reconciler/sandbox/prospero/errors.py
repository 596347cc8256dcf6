"""Prospero's error body, the exception that carries it out of a handler, and the guard.

Every answer that is not a success is Prospero's `{"status": <int>, "error": "<message>"}` with
the same HTTP status. `guarded` wraps each endpoint (the API's and the admin routes') so that a
`ProsperoError`, or any bug, answers so.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

logger = logging.getLogger(__name__)
Endpoint = Callable[[Request], Awaitable[Response]]


class ProsperoError(Exception):
    """A failure answered with Prospero's error body and the same HTTP status."""

    def __init__(self, status: int, message: str, *, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def error_body(status: int, message: str) -> dict[str, Any]:
    """Prospero's `APIError` shape; the HTTP status is repeated in the body."""
    return {"status": status, "error": message}


def bad_request(message: str) -> ProsperoError:
    return ProsperoError(400, message)


def error_response(error: ProsperoError) -> JSONResponse:
    return JSONResponse(
        error_body(error.status, error.message), status_code=error.status, headers=error.headers
    )


def guarded(endpoint: Endpoint) -> Endpoint:
    """Render Prospero errors, and turn any bug into Prospero's 500 instead of a traceback."""

    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except ProsperoError as error:
            return error_response(error)
        except Exception:
            logger.exception("prospero emulator failed on %s %s", request.method, request.url.path)
            return error_response(ProsperoError(500, "Internal server error"))

    return guarded
