"""The Prospero emulator's HTTP surface: its routes and app, and how the emulator is assembled.

Routes for health, auth, events and the webhook registry (`outbox` and `webhooks` deliver).
Every answer that is not a success is Prospero's `{"status": <int>, "error": "<message>"}` with
the same HTTP status, even for unknown paths, wrong methods and bugs.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from reconciler.sandbox.context import Emulator, SandboxContext
from reconciler.sandbox.prospero.admin import admin_routes
from reconciler.sandbox.prospero.auth import Tokens, credentials, set_token_cookies
from reconciler.sandbox.prospero.errors import (
    ProsperoError,
    bad_request,
    error_body,
    error_response,
    guarded,
)
from reconciler.sandbox.prospero.outbox import WEBHOOKS, Outbox
from reconciler.sandbox.prospero.queries import (
    PAGING,
    parse_event_query,
    parse_paging,
    single_values,
)
from reconciler.sandbox.prospero.records import EventBook, new_id, public
from reconciler.sandbox.prospero.seed import seed_demo
from reconciler.sandbox.prospero.validation import (
    MERGE_PATCH,
    read_json,
    validate_event,
    webhook_types,
    webhook_url,
)
from reconciler.sandbox.prospero.webhooks import Deliverer

NAME = "prospero"
MAX_BULK = 100

logger = logging.getLogger(__name__)


def build(context: SandboxContext) -> Emulator:
    """Assemble the emulator; the account always exists, demo events only when seeding is on.
    A served sandbox runs the webhook deliverer in the background."""
    prospero = Prospero(context)
    prospero.tokens.ensure_fixed()
    if context.settings.seed:
        seed_demo(prospero.events)
    return Emulator(
        name=NAME,
        app=prospero.app(),
        error_body=error_body,
        churn=prospero.events.churn,
        admin_routes=admin_routes(prospero.events, prospero.tokens, prospero.deliverer),
        credentials=credentials(),
        background=(prospero.deliverer.run,),
    )


class Prospero:
    """Request handlers over one sandbox context."""

    def __init__(self, context: SandboxContext) -> None:
        self.context = context
        self.tokens = Tokens(context)
        self.outbox = Outbox(context)
        self.events = EventBook(context, outbox=self.outbox)
        self.deliverer = Deliverer(self.outbox, context)

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
        user, access = self.tokens.refresh(request)
        response = JSONResponse({"user": user})
        set_token_cookies(response, request, self.context, access=access)
        return response

    async def whoami(self, request: Request) -> Response:
        return JSONResponse({"user": self.tokens.authenticate(request)})

    # -- events -----------------------------------------------------------------------------

    async def list_events(self, request: Request) -> Response:
        # [doc] every unarchived event overlapping the window (all of them without one); [model]
        # filters, order, `limit`/`offset` and `total` on top, paging only when asked to.
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
        self.tokens.authorize(request, entity="events", needs="write")
        body = await read_json(request)
        # An optional `notification` asks Prospero to e-mail the participants [doc]: one beside
        # a single event, or a `notifications` array holding one (or null) per bulk event.
        shapes = ({"event"}, {"event", "notification"}, {"events"}, {"events", "notifications"})
        if not isinstance(body, dict) or set(body) not in shapes:
            raise bad_request('body must be {"event": {...}} or {"events": [...]}, each with '
                              'an optional "notification" ("notifications": one per event)')
        if "event" in body:
            notification = _notification(body.get("notification"), "notification")
            (event,) = self.events.create([validate_event(body["event"])], [notification])
            location = f"{request.scope.get('root_path', '')}/events/{event['id']}"
            return JSONResponse({"event": event}, status_code=201, headers={"Location": location})
        batch = body["events"]
        if not isinstance(batch, list) or not 1 <= len(batch) <= MAX_BULK:
            raise bad_request(f"events: must be an array of 1 to {MAX_BULK} events")
        asked = body.get("notifications", [None] * len(batch))
        if not isinstance(asked, list) or len(asked) != len(batch):
            raise bad_request("notifications: must be an array with one entry (or null) per event")
        valid = [validate_event(item, where=f"events[{i}].") for i, item in enumerate(batch)]
        notifications = [_notification(item, f"notifications[{i}]") for i, item in enumerate(asked)]
        return JSONResponse({"events": self.events.create(valid, notifications)}, status_code=201)

    async def patch_event(self, request: Request) -> Response:
        self.tokens.authorize(request, entity="events", needs="write")
        patch = await read_json(request, accept=MERGE_PATCH)
        return JSONResponse({"event": self.events.update(request.path_params["id"], patch)})

    async def delete_event(self, request: Request) -> Response:
        # [model] only: the documented removal is the bulk `DELETE /events` below.
        self.tokens.authorize(request, entity="events", needs="write")
        self.events.archive([request.path_params["id"]])
        return Response(status_code=204)

    async def delete_events(self, request: Request) -> Response:
        self.tokens.authorize(request, entity="events", needs="write")
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
        self.tokens.authorize(request, entity="webhooks", needs="write")
        body = await read_json(request)
        if not isinstance(body, dict):
            raise bad_request('body must be {"url": ..., "events": [...]}')
        for name in sorted(body):
            if name not in ("url", "events"):
                raise bad_request(f"{name}: unknown field")
        webhook_id = new_id()
        webhook = {
            "id": webhook_id,
            "url": webhook_url(body.get("url")),
            "events": webhook_types(body.get("events")),
            "createdAt": self.events.now(),
        }
        self.context.store.insert(WEBHOOKS, webhook_id, webhook)
        return JSONResponse({"webhook": webhook}, status_code=201)

    async def delete_webhook(self, request: Request) -> Response:
        self.tokens.authorize(request, entity="webhooks", needs="write")
        webhook_id = request.path_params["id"]
        if not self.context.store.delete(WEBHOOKS, webhook_id):
            raise ProsperoError(404, f"Webhook not found: {webhook_id}")
        return Response(status_code=204)


# -- helpers and routing-level errors ---------------------------------------------------------


def _paging_only(request: Request) -> tuple[int | None, int]:
    params = single_values(request.query_params.multi_items())
    for name in sorted(params):
        if name not in PAGING:
            raise bad_request(f"{name}: unknown query parameter")
    return parse_paging(params)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    headers = (exc.headers if isinstance(exc, HTTPException) else None) or {}
    message = {
        404: f"Not found: {request.url.path}",
        405: f"Method {request.method} not allowed on {request.url.path}",
    }.get(status, "Request failed")
    return error_response(ProsperoError(status, message, headers=headers))


async def _internal_error(request: Request, exc: Exception) -> Response:
    # Last resort (handlers are guarded): keep Prospero's shape even for a routing-level bug.
    logger.error("prospero emulator failed on %s %s: %r", request.method, request.url.path, exc)
    return error_response(ProsperoError(500, "Internal server error"))


def _notification(value: Any, where: str) -> dict[str, Any] | None:
    """An optional notification: an object (its content is Prospero's to read), or absent."""
    if value is None or isinstance(value, dict):
        return value
    raise bad_request(f"{where}: must be an object")
