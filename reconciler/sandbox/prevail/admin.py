"""The Prevail emulator's admin routes, mounted under `/_sandbox/prevail` for tests and benchmarks.

- `POST /seed` with `{"sessions": [...], "session_requests": [...]}` bulk-inserts objects
  (see `seed.seed_bulk`) → 201 `{"sessions": [ids], "session_requests": [ids]}`.
- `POST /members` with `{"emails": [...]}` registers accounts in the organisation (only a
  registered account can be a host) → 200 `{"members": [every member's email, sorted]}`.
- `POST /session_requests/{request_id}/promote` does what Prevail staff do: the pending request
  becomes a `scheduled` session; when the request has a `postback_url`, the session is POSTed
  there as `{"jwt_payload": <HS256 JWT of {"session", "exp", "slug"}>}` (best effort, 5 s)
  → 200 `{"session": {...}, "postback": null | {"url", "delivered", "status", "error"}}`.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Final

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.sandbox.prevail.auth import Organisation, sign
from reconciler.sandbox.prevail.errors import PrevailError, guarded
from reconciler.sandbox.prevail.records import SessionBook
from reconciler.sandbox.prevail.seed import seed_bulk
from reconciler.sandbox.store import Document

logger = logging.getLogger(__name__)

POSTBACK_TIMEOUT: Final = 5.0
# A postback token is short-lived, as the tokens clients mint are.
POSTBACK_TOKEN_TTL: Final = 300


def admin_routes(book: SessionBook, organisation: Organisation) -> list[Route]:
    """The routes; errors answer in Prevail's error shape, as on the public API."""

    async def seed(request: Request) -> Response:
        body = await _json(request)
        return JSONResponse(seed_bulk(book, body), status_code=201)

    async def members(request: Request) -> Response:
        body = await _json(request)
        emails = body.get("emails") if isinstance(body, dict) else None
        if not isinstance(emails, list) or not all(isinstance(e, str) and e for e in emails):
            note = "must be an array of email strings"
            raise PrevailError(400, f"Bad request: emails {note}", {"emails": [note]})
        return JSONResponse({"members": book.register(emails)})

    async def promote(request: Request) -> Response:
        session = book.promote(request.path_params["request_id"])
        postback = None
        if session.get("postback_url"):
            postback = await deliver_postback(
                session, organisation, now=book.clock(), url=session["postback_url"]
            )
        return JSONResponse({"session": session, "postback": postback})

    return [
        Route("/seed", guarded(seed), methods=["POST"]),
        Route("/members", guarded(members), methods=["POST"]),
        Route("/session_requests/{request_id}/promote", guarded(promote), methods=["POST"]),
    ]


async def deliver_postback(
    session: Document, organisation: Organisation, *, now: float, url: str
) -> dict[str, Any]:
    """POST the scheduled session to the request's postback_url; failures are only logged."""
    token = sign(
        {"session": session, "exp": int(now) + POSTBACK_TOKEN_TTL, "slug": organisation.company_id},
        organisation,
    )
    outcome: dict[str, Any] = {"url": url, "delivered": False, "status": None, "error": None}
    try:
        async with httpx.AsyncClient(timeout=POSTBACK_TIMEOUT) as client:
            response = await client.post(url, json={"jwt_payload": token})
        outcome.update(status=response.status_code, delivered=response.is_success)
    except (httpx.HTTPError, OSError) as error:
        logger.warning("prevail postback to %s failed: %s", url, error)
        outcome["error"] = str(error) or type(error).__name__
    return outcome


async def _json(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise PrevailError(400, "Bad request: the body is not valid JSON", {}) from None
