"""The Prevail emulator's HTTP surface: its routes and app, and how the emulator is assembled.

Routes, relative to the `/prevail` mount:

    GET   /sessions                      list: ?page ?per_page ?state ?start_time ?end_time
    POST  /sessions                      self-service create → 201 {"session"} (state ready)
    GET   /sessions/{id}                 → {"session"}
    PATCH /sessions/{id}                 edit → {"sessions": [session]}
    PATCH /sessions/{id}/cancel          → {"messages": "Session successfully canceled."}
    GET   /session_requests              list: ?page ?per_page ?state ?start_time ?end_time
    POST  /session_requests              request → 201 {"session"} (state initial)

Prevail supports GET, POST and PATCH only: DELETE on any path answers 405.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.sandbox.context import Emulator, SandboxContext
from reconciler.sandbox.prevail.admin import admin_routes
from reconciler.sandbox.prevail.auth import (
    SANDBOX_ORGANISATION,
    Authenticator,
    Organisation,
    request_token,
)
from reconciler.sandbox.prevail.errors import (
    SERVER_ERROR_MESSAGE,
    PrevailError,
    error_body,
    guarded,
)
from reconciler.sandbox.prevail.queries import parse_cancel_flag, parse_listing
from reconciler.sandbox.prevail.records import (
    CANCELED_MESSAGE,
    SESSION_REQUESTS,
    SESSIONS,
    SessionBook,
)
from reconciler.sandbox.prevail.seed import seed_demo
from reconciler.sandbox.prevail.validation import json_body, parse_create, parse_edit

__all__ = ["NAME", "build"]

NAME = "prevail"
ALLOWED_METHODS: Final = "GET, POST, PATCH"


def build(context: SandboxContext) -> Emulator:
    # Read the clock through the context on every call: tests may replace `context.clock`.
    book = SessionBook(context.store, lambda: context.clock())
    if context.settings.seed:
        seed_demo(book)
    api = _Api(
        book=book,
        authenticator=Authenticator({SANDBOX_ORGANISATION.company_id: SANDBOX_ORGANISATION}),
    )
    app = Starlette(
        routes=api.routes(),
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    # Prevail answers `/sessions/` with 404, not with a redirect to `/sessions`.
    app.router.redirect_slashes = False

    def churn() -> None:
        book.churn()

    return Emulator(
        name=NAME,
        app=app,
        error_body=error_body,
        churn=churn,
        admin_routes=admin_routes(book, SANDBOX_ORGANISATION),
        credentials={
            "company_id": SANDBOX_ORGANISATION.company_id,
            "api_key": SANDBOX_ORGANISATION.api_key,
        },
    )


@dataclass(frozen=True, kw_only=True)
class _Call:
    """An authenticated request: who is calling, and its JSON body without `jwt_payload`."""

    organisation: Organisation
    body: Any


@dataclass(frozen=True, kw_only=True)
class _Api:
    book: SessionBook
    authenticator: Authenticator

    def routes(self) -> list[Route]:
        # One Route per path, dispatching on the method, so that a 405's Allow lists them all.
        return [
            Route("/sessions", guarded(self.sessions), methods=["GET", "POST"]),
            Route("/sessions/{remote_session_id}", guarded(self.session), methods=["GET", "PATCH"]),
            Route("/sessions/{remote_session_id}/cancel", guarded(self.cancel), methods=["PATCH"]),
            Route("/session_requests", guarded(self.session_requests), methods=["GET", "POST"]),
        ]

    async def sessions(self, request: Request) -> Response:
        if request.method == "POST":
            call = await self._receive(request)
            session = self.book.create(parse_create(call.body), self_service=True)
            return JSONResponse({"session": session}, status_code=201)
        await self._receive(request)
        pagy, sessions = self.book.list_page(SESSIONS, parse_listing(request.query_params))
        return JSONResponse({"pagy": pagy.to_json(), "sessions": sessions})

    async def session_requests(self, request: Request) -> Response:
        if request.method == "POST":
            call = await self._receive(request)
            session = self.book.create(parse_create(call.body), self_service=False)
            return JSONResponse({"session": session}, status_code=201)
        await self._receive(request)
        listing = parse_listing(request.query_params)
        pagy, requests = self.book.list_page(SESSION_REQUESTS, listing)
        return JSONResponse({"pagy": pagy.to_json(), "session_requests": requests})

    async def session(self, request: Request) -> Response:
        session_id = request.path_params["remote_session_id"]
        if request.method == "PATCH":
            call = await self._receive(request)
            edit = parse_edit(call.body)
            return JSONResponse({"sessions": [self.book.edit(session_id, edit)]})
        await self._receive(request)
        return JSONResponse({"session": self.book.get(session_id)})

    async def cancel(self, request: Request) -> Response:
        call = await self._receive(request)
        parse_cancel_flag(request.query_params)
        if call.body is not None:
            # The body may carry only the token (already removed); anything else is unknown.
            if not isinstance(call.body, dict):
                raise PrevailError(
                    400,
                    "Bad request: the body must be a JSON object",
                    {"body": ["must be a JSON object"]},
                )
            if call.body:
                details = {name: ["is not a permitted field"] for name in call.body}
                raise PrevailError(400, "Bad request: cancel takes no body fields", details)
        # Cancel emails are not emulated: cancel_without_email is validated, then has no effect.
        self.book.cancel(request.path_params["remote_session_id"])
        return JSONResponse({"messages": CANCELED_MESSAGE})

    async def _receive(self, request: Request) -> _Call:
        """Authenticate first (a token may sit in the body), then report a bad body."""
        with_body = request.method in ("POST", "PATCH")
        body, problem = json_body(request, await request.body()) if with_body else (None, None)
        token = request_token(request, body)
        organisation = self.authenticator.verify(token, now=self.book.clock())
        if problem is not None:
            raise problem
        if isinstance(body, dict) and "jwt_payload" in body:
            if not isinstance(body["jwt_payload"], str):
                note = "must be a string (the JWT)"
                raise PrevailError(400, f"Bad request: jwt_payload {note}", {"jwt_payload": [note]})
            body = {name: value for name, value in body.items() if name != "jwt_payload"}
        return _Call(organisation=organisation, body=body)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    if status == 404 and request.method == "DELETE":
        # Prevail has no DELETE at all: say so on every path, not only on known ones.
        status, headers = 405, {"Allow": ALLOWED_METHODS}
    if status == 405:
        message = f"Method not allowed: {request.method} {request.url.path}"
        return JSONResponse(error_body(405, message), status_code=405, headers=headers)
    if status == 404:
        message = f"Not found: no route for {request.method} {request.url.path}"
        return JSONResponse(error_body(404, message), status_code=404, headers=headers)
    detail = exc.detail if isinstance(exc, HTTPException) else "Bad request"
    return JSONResponse(error_body(status, str(detail)), status_code=status, headers=headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    return JSONResponse(error_body(500, SERVER_ERROR_MESSAGE), status_code=500)
