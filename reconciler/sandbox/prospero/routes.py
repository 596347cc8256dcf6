"""The Prospero emulator (events): its HTTP surface, mounted by the sandbox at `/prospero`.

This module owns routing, request decoding and error rendering, plus the small webhook
registry and the admin routes; events live in `records`, tokens in `auth`, the wire rules in
`validation` and list queries in `queries`. Every answer that is not a success is Prospero's
`{"status": <int>, "error": "<message>"}` with the same HTTP status, even for unknown paths,
wrong methods and bugs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NoReturn
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from reconciler.sandbox.context import Emulator, SandboxContext
from reconciler.sandbox.prospero.auth import USER, Tokens, credentials, set_token_cookies
from reconciler.sandbox.prospero.queries import (
    PAGING,
    parse_event_query,
    parse_paging,
    single_values,
)
from reconciler.sandbox.prospero.records import EventBook, new_id, public
from reconciler.sandbox.prospero.validation import (
    ProsperoError,
    bad_request,
    error_body,
    validate_event,
)

NAME = "prospero"
WEBHOOKS = "prospero.webhooks"
MAX_BULK = 100
MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_URL = 2_048
WEBHOOK_EVENT_TYPES = ("event.created", "event.updated", "event.deleted")
JSON = ("application/json",)
MERGE_PATCH = ("application/merge-patch+json", "application/json")

logger = logging.getLogger(__name__)
Endpoint = Callable[[Request], Awaitable[Response]]


def build(context: SandboxContext) -> Emulator:
    """Assemble the emulator; the account always exists, demo events only when seeding is on."""
    prospero = Prospero(context)
    prospero.tokens.ensure_fixed()
    if context.settings.seed:
        prospero.events.seed_demo()
    return Emulator(
        name=NAME,
        app=prospero.app(),
        error_body=error_body,
        churn=prospero.events.churn,
        admin_routes=prospero.admin_routes(),
        credentials=credentials(),
    )


class Prospero:
    """Request handlers over one sandbox context."""

    def __init__(self, context: SandboxContext) -> None:
        self.context = context
        self.tokens = Tokens(context)
        self.events = EventBook(context)

    def app(self) -> Starlette:
        routes = [
            Route("/", guarded(self.health), methods=["GET"]),
            Route("/auth/login", guarded(self.login), methods=["POST"]),
            Route("/auth/refresh", guarded(self.refresh), methods=["GET"]),
            Route("/auth/whoami", guarded(self.whoami), methods=["GET"]),
            Route("/events", guarded(self.list_events), methods=["GET"]),
            Route("/events", guarded(self.create_events), methods=["POST"]),
            Route("/events", guarded(self.delete_events), methods=["DELETE"]),
            Route("/events/archive", guarded(self.list_archive), methods=["GET"]),
            Route("/events/{id}", guarded(self.get_event), methods=["GET"]),
            Route("/events/{id}", guarded(self.patch_event), methods=["PATCH"]),
            Route("/events/{id}", guarded(self.delete_event), methods=["DELETE"]),
            Route("/webhooks", guarded(self.list_webhooks), methods=["GET"]),
            Route("/webhooks", guarded(self.create_webhook), methods=["POST"]),
            Route("/webhooks/{id}", guarded(self.delete_webhook), methods=["DELETE"]),
        ]
        app = Starlette(
            routes=routes,
            exception_handlers={HTTPException: _http_error, Exception: _internal_error},
        )
        # `/events/` is not `/events`: answer 404 in Prospero's shape rather than redirect.
        app.router.redirect_slashes = False
        return app

    # -- health and auth --------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return PlainTextResponse("Hello, Prospero!")

    async def login(self, request: Request) -> Response:
        user, access, refresh = self.tokens.login(await read_json(request))
        response = JSONResponse({"user": user})
        set_token_cookies(response, request, self.context, access=access, refresh=refresh)
        return response

    async def refresh(self, request: Request) -> Response:
        access = self.tokens.refresh(request)
        response = JSONResponse({"user": dict(USER)})
        set_token_cookies(response, request, self.context, access=access)
        return response

    async def whoami(self, request: Request) -> Response:
        return JSONResponse({"user": self.tokens.authenticate(request)})

    # -- events -----------------------------------------------------------------------------

    async def list_events(self, request: Request) -> Response:
        self.tokens.authenticate(request)
        query = parse_event_query(single_values(request.query_params.multi_items()))
        total, events = self.events.find(query)
        return JSONResponse({"events": events, "total": total})

    async def list_archive(self, request: Request) -> Response:
        self.tokens.authenticate(request)
        limit, offset = _paging_only(request)
        total, events = self.events.find_archived(limit=limit, offset=offset)
        return JSONResponse({"events": events, "total": total})

    async def get_event(self, request: Request) -> Response:
        self.tokens.authenticate(request)
        return JSONResponse({"event": public(self.events.get(request.path_params["id"]))})

    async def create_events(self, request: Request) -> Response:
        self.tokens.authenticate(request)
        body = await read_json(request)
        if not isinstance(body, dict) or set(body) not in ({"event"}, {"events"}):
            raise bad_request('body must be {"event": {...}} or {"events": [...]}')
        if "event" in body:
            (event,) = self.events.create([validate_event(body["event"])])
            location = f"{request.scope.get('root_path', '')}/events/{event['id']}"
            return JSONResponse({"event": event}, status_code=201, headers={"Location": location})
        batch = body["events"]
        if not isinstance(batch, list) or not 1 <= len(batch) <= MAX_BULK:
            raise bad_request(f"events: must be an array of 1 to {MAX_BULK} events")
        valid = [validate_event(item, where=f"events[{i}].") for i, item in enumerate(batch)]
        return JSONResponse({"events": self.events.create(valid)}, status_code=201)

    async def patch_event(self, request: Request) -> Response:
        self.tokens.authenticate(request)
        patch = await read_json(request, accept=MERGE_PATCH)
        return JSONResponse({"event": self.events.update(request.path_params["id"], patch)})

    async def delete_event(self, request: Request) -> Response:
        self.tokens.authenticate(request)
        self.events.archive([request.path_params["id"]])
        return Response(status_code=204)

    async def delete_events(self, request: Request) -> Response:
        self.tokens.authenticate(request)
        body = await read_json(request)
        if not isinstance(body, dict) or set(body) != {"ids"}:
            raise bad_request('body must be {"ids": [...]}')
        ids = body["ids"]
        if (
            not isinstance(ids, list)
            or not 1 <= len(ids) <= MAX_BULK
            or not all(isinstance(event_id, str) for event_id in ids)
        ):
            raise bad_request(f"ids: must be an array of 1 to {MAX_BULK} event ids")
        self.events.archive(ids)
        return Response(status_code=204)

    # -- webhooks ---------------------------------------------------------------------------

    async def list_webhooks(self, request: Request) -> Response:
        self.tokens.authenticate(request)
        limit, offset = _paging_only(request)
        page = self.context.store.query(WEBHOOKS, limit=limit, offset=offset)
        return JSONResponse({"webhooks": page.documents, "total": page.total})

    async def create_webhook(self, request: Request) -> Response:
        self.tokens.authenticate(request)
        body = await read_json(request)
        if not isinstance(body, dict):
            raise bad_request('body must be {"url": ..., "events": [...]}')
        for name in sorted(body):
            if name not in ("url", "events"):
                raise bad_request(f"{name}: unknown field")
        webhook_id = new_id()
        webhook = {
            "id": webhook_id,
            "url": _webhook_url(body.get("url")),
            "events": _webhook_types(body.get("events")),
            "createdAt": self.events.now(),
        }
        self.context.store.insert(WEBHOOKS, webhook_id, webhook)
        return JSONResponse({"webhook": webhook}, status_code=201)

    async def delete_webhook(self, request: Request) -> Response:
        self.tokens.authenticate(request)
        webhook_id = request.path_params["id"]
        if not self.context.store.delete(WEBHOOKS, webhook_id):
            raise ProsperoError(404, f"Webhook not found: {webhook_id}")
        return Response(status_code=204)

    # -- admin (mounted under /_sandbox/prospero) -------------------------------------------

    def admin_routes(self) -> list[Any]:
        return [
            Route("/seed", guarded(self.admin_seed), methods=["POST"]),
            Route("/tokens/expire", guarded(self.admin_expire_token), methods=["POST"]),
        ]

    async def admin_seed(self, request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict) or set(body) != {"events"}:
            raise bad_request('body must be {"events": [...]}')
        return JSONResponse({"ids": self.events.seed_bulk(body["events"])}, status_code=201)

    async def admin_expire_token(self, request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict) or set(body) != {"token"} or not isinstance(
            body["token"], str
        ):
            raise bad_request('body must be {"token": "<access or refresh token>"}')
        if not self.tokens.expire(body["token"]):
            raise ProsperoError(404, "Token not found")
        return Response(status_code=204)


# -- request decoding and error rendering -----------------------------------------------------


async def read_json(request: Request, *, accept: Sequence[str] = JSON) -> Any:
    """The decoded JSON body; 413 too large, 400 empty or malformed, 415 wrong media type."""
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise ProsperoError(413, f"request body exceeds {MAX_BODY_BYTES} bytes")
    if not body.strip():
        raise bad_request("request body is required")
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type not in accept:
        raise ProsperoError(415, f"Content-Type must be {' or '.join(accept)}")
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise bad_request("request body is not valid JSON") from None


def _refuse_constant(name: str) -> NoReturn:
    # Python's json accepts NaN and Infinity; JSON does not.
    raise ValueError(f"{name} is not JSON")


def _paging_only(request: Request) -> tuple[int, int]:
    params = single_values(request.query_params.multi_items())
    for name in sorted(params):
        if name not in PAGING:
            raise bad_request(f"{name}: unknown query parameter")
    return parse_paging(params)


def _webhook_url(value: object) -> str:
    if not isinstance(value, str) or len(value) > MAX_URL:
        raise bad_request(f"url: is required, a string of at most {MAX_URL} characters")
    try:
        parts = urlsplit(value)
        secure = parts.scheme == "https" and bool(parts.hostname)
    except ValueError:
        secure = False
    # Prospero delivers only to public HTTPS endpoints.
    if not secure:
        raise bad_request("url: must be an absolute https:// URL")
    return value


def _webhook_types(value: object) -> list[str]:
    if not isinstance(value, list) or not value:
        raise bad_request(f"events: must be a non-empty array of {', '.join(WEBHOOK_EVENT_TYPES)}")
    for item in value:
        if item not in WEBHOOK_EVENT_TYPES:
            raise bad_request(f"events: unknown event type; use {', '.join(WEBHOOK_EVENT_TYPES)}")
    return list(dict.fromkeys(value))


def _error_response(error: ProsperoError) -> JSONResponse:
    return JSONResponse(
        error_body(error.status, error.message), status_code=error.status, headers=error.headers
    )


def guarded(endpoint: Endpoint) -> Endpoint:
    """Render Prospero errors, and turn any bug into Prospero's 500 instead of a traceback."""

    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except ProsperoError as error:
            return _error_response(error)
        except Exception:
            logger.exception("prospero emulator failed on %s %s", request.method, request.url.path)
            return _error_response(ProsperoError(500, "Internal server error"))

    return guarded


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    headers = (exc.headers if isinstance(exc, HTTPException) else None) or {}
    message = {
        404: f"Not found: {request.url.path}",
        405: f"Method {request.method} not allowed on {request.url.path}",
    }.get(status, "Request failed")
    return _error_response(ProsperoError(status, message, headers=headers))


async def _internal_error(request: Request, exc: Exception) -> Response:
    # Last resort (handlers are guarded): keep Prospero's shape even for a routing-level bug.
    logger.error("prospero emulator failed on %s %s: %r", request.method, request.url.path, exc)
    return _error_response(ProsperoError(500, "Internal server error"))
