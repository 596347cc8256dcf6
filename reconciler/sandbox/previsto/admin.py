"""The Previsto admin API under `/_sandbox/previsto` (tests and benchmarks; not rate limited).

- `POST /assignments` `{"assignments": [<partial assignment>, ...]}` → 201
  `{"assignments": [<created>, ...]}`: how tests create assignments in bulk and as Previsto
  itself would (any property, the id, stamps and financial status included), which the API's
  own `POST /assignments` does not allow.
- `POST /seed` `{"assignments": [...], "contacts": [...], "agreements": [...]}` (each list
  optional) → 201 with the three lists created.
- `DELETE /rate-limit` → 204: forget every key's request window.

Both POSTs write through `seed.seed_bulk`: all or nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.sandbox.context import SandboxContext
from reconciler.sandbox.previsto.auth import RateLimiter
from reconciler.sandbox.previsto.errors import PrevistoError, bad_request
from reconciler.sandbox.previsto.records import RESOURCES
from reconciler.sandbox.previsto.seed import seed_bulk
from reconciler.sandbox.previsto.validation import parse_json_body

logger = logging.getLogger(__name__)

Handler = Callable[[Request], Awaitable[Response]]


def admin_routes(context: SandboxContext, limiter: RateLimiter) -> list[Route]:
    async def create_assignments(request: Request) -> Response:
        created = seed_bulk(context, _body(await request.body(), allowed=("assignments",)))
        return JSONResponse({"assignments": created["assignments"]}, status_code=201)

    async def seed(request: Request) -> Response:
        body = _body(await request.body(), allowed=tuple(RESOURCES))
        return JSONResponse(seed_bulk(context, body), status_code=201)

    async def reset_rate_limit(request: Request) -> Response:
        limiter.reset()
        return Response(status_code=204)

    return [
        Route("/assignments", _answering(create_assignments), methods=["POST"]),
        Route("/seed", _answering(seed), methods=["POST"]),
        Route("/rate-limit", _answering(reset_rate_limit), methods=["DELETE"]),
    ]


def _answering(handler: Handler) -> Handler:
    # Admin routes are mounted outside the Previsto app, so they render their own errors.
    async def answer(request: Request) -> Response:
        try:
            return await handler(request)
        except PrevistoError as refusal:
            return refusal.response()
        except Exception:
            logger.exception("Previsto admin route failed: %s", request.url.path)
            return PrevistoError(500, "An unexpected error occurred on Previsto's side.").response()

    return answer


def _body(raw: bytes, *, allowed: tuple[str, ...]) -> dict[str, Any]:
    body = parse_json_body(raw, limit=None)
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    for name, value in body.items():
        if name not in allowed:
            raise bad_request(f"Received unknown parameter: {name}", param=name)
        if not isinstance(value, list):
            raise bad_request(f"'{name}' must be an array of objects.", param=name)
    if not body:
        raise bad_request(f"Send at least one of: {', '.join(allowed)}.")
    return body
