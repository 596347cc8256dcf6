"""Previsto's error object and the exception that carries it out of a handler.

Every Previsto error is `{"type": "invalid_request_error" | "api_error", "message": "...",
"param": "..."}`, `param` present only when the error is about one parameter. Client mistakes
(4xx) are `invalid_request_error`; problems on Previsto's side (5xx) are `api_error`.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

INVALID_REQUEST = "invalid_request_error"
API_ERROR = "api_error"


class PrevistoError(Exception):
    """A request Previsto refuses: raised anywhere in a handler, rendered as the error object."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        return JSONResponse(
            error_body(self.status, self.message, param=self.param),
            status_code=self.status,
            headers=self.headers,
        )


def error_body(status: int, message: str, *, param: str | None = None) -> dict[str, Any]:
    """The error object for `status`; also what injected status faults answer with."""
    body: dict[str, Any] = {
        "type": API_ERROR if status >= 500 else INVALID_REQUEST,
        "message": message,
    }
    if param is not None:
        body["param"] = param
    return body


def bad_request(message: str, *, param: str | None = None) -> PrevistoError:
    return PrevistoError(400, message, param=param)
