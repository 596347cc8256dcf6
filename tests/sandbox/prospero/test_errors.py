"""The guard every Prospero endpoint wears, on its own: a bug still answers in Prospero's shape."""

from __future__ import annotations

import asyncio
import json

import pytest
from starlette.requests import Request
from starlette.responses import Response

from reconciler.sandbox.prospero.errors import guarded


def test_a_bug_in_a_handler_still_answers_in_prospero_shape(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """api-contract.md, Prospero — errors {status, error}: 400, 401, 403, 404, 409, 422, 429,
    500."""
    async def broken(request: Request) -> Response:
        raise RuntimeError("a bug")

    scope = {"type": "http", "method": "GET", "path": "/broken", "headers": [],
             "query_string": b""}
    async def call() -> Response:
        return await guarded(broken)(Request(scope))

    response = asyncio.run(call())
    assert response.status_code == 500
    assert json.loads(bytes(response.body)) == {"status": 500, "error": "Internal server error"}
    assert "prospero emulator failed on GET /broken" in caplog.text
