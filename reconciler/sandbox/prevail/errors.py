"""Prevail's error body, the one exception the emulator raises to answer with it, and the guard.

Every non-2xx answer of the Prevail emulator, from a bad token to an injected fault, has the same
shape: `{"error": "<one line>", "details": {"<field path>": ["<message>", ...]}}` (`details` is
`{}` when no single field is at fault), so a client parses one error shape. `guarded` wraps each
endpoint (the API's and the admin routes') so that a `PrevailError`, or any bug, answers so.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

logger = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]

# Prevail's own reference gives 500 as transient: "wait a few moments and retry the request".
SERVER_ERROR_MESSAGE = (
    "Internal server error: wait a few moments and retry the request; if the issue persists, "
    "contact Prevail Support"
)


def error_body(
    status: int, message: str, details: Mapping[str, Sequence[str]] | None = None
) -> dict[str, Any]:
    """The wire body of an error; `status` is accepted to match the sandbox's fault hook."""
    return {
        "error": message,
        "details": {field: list(notes) for field, notes in (details or {}).items()},
    }


class PrevailError(Exception):
    """An answer in Prevail's error shape: status, one-line message, per-field details."""

    def __init__(
        self,
        status: int,
        message: str,
        details: Mapping[str, Sequence[str]] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details: dict[str, list[str]] = {k: list(v) for k, v in (details or {}).items()}
        self.headers: dict[str, str] = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.message, self.details)


def guarded(endpoint: Endpoint) -> Endpoint:
    """Answer PrevailError in Prevail's shape, and any bug as Prevail's (transient) 500."""

    async def answer(request: Request) -> Response:
        try:
            return await endpoint(request)
        except PrevailError as error:
            return _error_response(error)
        except Exception:
            logger.exception("prevail emulator failed on %s %s", request.method, request.url.path)
            return JSONResponse(error_body(500, SERVER_ERROR_MESSAGE), status_code=500)

    return answer


def _error_response(error: PrevailError) -> Response:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers or None)


def summarise(prefix: str, details: Mapping[str, Sequence[str]], *, limit: int = 3) -> str:
    """`Validation failed: title can't be blank; time_zone is not a known time zone`."""
    notes = [f"{field} {note}" for field, field_notes in details.items() for note in field_notes]
    if not notes:
        return prefix
    shown = "; ".join(notes[:limit])
    more = f" (and {len(notes) - limit} more)" if len(notes) > limit else ""
    return f"{prefix}: {shown}{more}"


class Findings:
    """Problems found in one input, split into shape (400) and value (422) problems."""

    def __init__(self) -> None:
        self.shape: dict[str, list[str]] = {}
        self.value: dict[str, list[str]] = {}

    def bad_shape(self, path: str, note: str) -> None:
        self.shape.setdefault(path, []).append(note)

    def bad_value(self, path: str, note: str) -> None:
        self.value.setdefault(path, []).append(note)

    def unknown_fields(
        self, source: Mapping[str, Any], allowed: tuple[str, ...], prefix: str, *, hint: str = ""
    ) -> None:
        for name in source:
            if name not in allowed:
                self.bad_shape(f"{prefix}{name}", f"is not a permitted field{hint}")

    def raise_if_any(self) -> None:
        if self.shape:
            raise PrevailError(400, summarise("Bad request", self.shape), self.shape)
        if self.value:
            raise PrevailError(422, summarise("Validation failed", self.value), self.value)
