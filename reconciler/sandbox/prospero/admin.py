"""The Prospero emulator's admin routes, under `/_sandbox/prospero` for tests and benchmarks.

- `POST /seed` with `{"events": [...]}` bulk-inserts wire events (see `seed.seed_bulk`)
  → 201 `{"ids": [...]}`.
- `GET /notifications` → `{"notifications": [{"eventId", "notification"}, ...]}`: what creates
  asked Prospero to e-mail, in creation order.
- `POST /tokens/expire` with `{"token": "<access or refresh token>"}` makes that token expire now
  → 204 (404 when the token is unknown).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.sandbox.prospero.auth import Tokens
from reconciler.sandbox.prospero.errors import ProsperoError, bad_request, guarded
from reconciler.sandbox.prospero.records import EventBook
from reconciler.sandbox.prospero.seed import seed_bulk
from reconciler.sandbox.prospero.validation import read_json


def admin_routes(events: EventBook, tokens: Tokens) -> list[Any]:
    """The routes; errors answer in Prospero's error shape, as on the public API."""

    async def admin_seed(request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict) or set(body) != {"events"}:
            raise bad_request('body must be {"events": [...]}')
        return JSONResponse({"ids": seed_bulk(events, body["events"])}, status_code=201)

    async def admin_expire_token(request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict) or set(body) != {"token"} or not isinstance(
            body["token"], str
        ):
            raise bad_request('body must be {"token": "<access or refresh token>"}')
        if not tokens.expire(body["token"]):
            raise ProsperoError(404, "Token not found")
        return Response(status_code=204)

    async def admin_notifications(request: Request) -> Response:
        return JSONResponse({"notifications": events.notifications()})

    return [
        Route("/seed", guarded(admin_seed), methods=["POST"]),
        Route("/notifications", guarded(admin_notifications), methods=["GET"]),
        Route("/tokens/expire", guarded(admin_expire_token), methods=["POST"]),
    ]
