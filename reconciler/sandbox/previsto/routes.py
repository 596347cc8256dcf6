"""The Previsto emulator's HTTP surface: its routes and app, and how the emulator is assembled.

Mounted at `/previsto`. For each resource: `GET /<resource>` (a bare JSON array, zero-based
pages of at most `previsto_max_page_size`, `X-Total-Count` and a `Link: <...>; rel="next"`
header), `GET /<resource>/{id}` and `PUT /<resource>/{id}` (partial update). Assignments can
also be created by hand (`POST /assignments`, 200 with the new assignment) and deleted
(`DELETE /assignments/{id}`, 200 with an empty body, as the docs say of every DELETE); contacts
and agreements are not created or deleted here. `GET /account` answers with the key's account.
Requests pass `PrevistoGate` (auth, rate limit, read-only keys) first; every error, even an
unknown path or a bug, answers with Previsto's error object.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.sandbox.context import Emulator, SandboxContext
from reconciler.sandbox.previsto.admin import admin_routes
from reconciler.sandbox.previsto.auth import FULL_KEY, READ_ONLY_KEY, PrevistoGate, RateLimiter
from reconciler.sandbox.previsto.errors import PrevistoError, bad_request, error_body
from reconciler.sandbox.previsto.queries import next_link, parse_list_query
from reconciler.sandbox.previsto.records import (
    ASSIGNMENTS,
    CONTACTS,
    RESOURCES,
    Document,
    Resource,
    churn,
    create_requested,
    name_contacts,
    update,
)
from reconciler.sandbox.previsto.seed import ACCOUNT, seed_demo
from reconciler.sandbox.previsto.validation import parse_json_body, stamp

NAME = "previsto"


def build(context: SandboxContext) -> Emulator:
    def limit() -> int:
        return context.settings.previsto_requests_per_minute

    # Read the clock through the context each time: tests replace `context.clock`.
    limiter = RateLimiter(limit=limit, clock=lambda: context.clock())
    if context.settings.seed:
        seed_demo(context.store, now=stamp(context.clock()))
    routes: list[Route] = [Route("/account", _account, methods=["GET"])]
    for resource in RESOURCES.values():
        routes.extend(_resource_routes(resource, context))
    app = Starlette(
        routes=routes,
        middleware=[Middleware(PrevistoGate, limiter=limiter)],
        exception_handlers={
            PrevistoError: _refusal,
            HTTPException: _http_exception,
            Exception: _unexpected,
        },
    )
    # Previsto has no trailing-slash redirects: `/assignments/` is an unknown path (404).
    app.router.redirect_slashes = False
    return Emulator(
        name=NAME,
        app=app,
        error_body=error_body,
        churn=lambda: churn(context),
        admin_routes=admin_routes(context, limiter),
        credentials={"api_key": FULL_KEY, "read_only_api_key": READ_ONLY_KEY},
    )


def _resource_routes(resource: Resource, context: SandboxContext) -> list[Route]:
    store = context.store
    # Only assignments are created and deleted through the API.
    by_hand = resource is ASSIGNMENTS

    async def list_objects(request: Request) -> Response:
        if request.method == "POST":
            return await create_object(request)
        items = request.query_params.multi_items()
        query = parse_list_query(
            resource, items, max_size=context.settings.previsto_max_page_size
        )
        page = store.query(
            resource.collection,
            where=query.where,
            order_by=query.order_by,
            limit=query.size,
            offset=query.offset,
        )
        headers = {"X-Total-Count": str(page.total)}
        if query.offset + query.size < page.total:
            url = str(request.url.replace(query=None))
            headers["Link"] = next_link(url, items, query)
        return JSONResponse(page.documents, headers=headers)

    async def create_object(request: Request) -> Response:
        _refuse_query(request)
        body = parse_json_body(await request.body())
        created = create_requested(resource, body, now=stamp(context.clock()))
        _resolve_contacts(context, created)
        store.insert(resource.collection, created["id"], created)
        return JSONResponse(created)

    async def one_object(request: Request) -> Response:
        _refuse_query(request)
        current = _stored(resource, context, request.path_params["id"])
        if request.method == "DELETE":
            _refuse_settled_deletion(current)
            store.delete(resource.collection, current["id"])
            return Response(status_code=200)
        if request.method != "PUT":
            return JSONResponse(current)
        body = parse_json_body(await request.body())
        replace_meta = context.settings.previsto_meta_updates == "replace"
        changed = update(resource, current, body, replace_meta=replace_meta)
        if changed is not current:
            store.replace(resource.collection, current["id"], changed)
        return JSONResponse(changed)

    writes = ["DELETE"] if by_hand else []
    return [
        Route(f"/{resource.name}", list_objects, methods=["GET", *(["POST"] if by_hand else [])]),
        # One route for every method, so a 405 lists every allowed method.
        Route(f"/{resource.name}/{{id}}", one_object, methods=["GET", "PUT", *writes]),
    ]


async def _account(request: Request) -> Response:
    _refuse_query(request)
    return JSONResponse(ACCOUNT)


def _resolve_contacts(context: SandboxContext, assignment: Document) -> None:
    """Refuse references to unknown contacts; fill `contactName` from the contact when absent,
    as the docs say Previsto does."""
    for name in ("contactId", "payingContactId"):
        ident = assignment.get(name)
        if ident is not None and context.store.get(CONTACTS.collection, ident) is None:
            raise bad_request(f"No such contact: '{ident}'.", param=name)
    name_contacts(context, [assignment])


def _refuse_settled_deletion(assignment: Document) -> None:
    # An invoiced or fulfilled visit is kept in accounting; the docs' 402 is "valid but failed".
    if assignment.get("status") in ("Invoiced", "Fulfilled"):
        raise PrevistoError(
            402,
            f"Assignment {assignment['id']} is {assignment['status']}: it can no longer be "
            f"deleted.",
            param="id",
        )


def _stored(resource: Resource, context: SandboxContext, id: str) -> dict[str, Any]:
    document = context.store.get(resource.collection, id)
    if document is None:
        raise PrevistoError(404, f"No such {resource.singular}: '{id}'.", param="id")
    return document


def _refuse_query(request: Request) -> None:
    for name in request.query_params:
        raise bad_request(f"Received unknown parameter: {name}", param=name)


async def _refusal(request: Request, error: Exception) -> Response:
    assert isinstance(error, PrevistoError)
    return error.response()


async def _http_exception(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if error.status_code == 405:
        message = f"Method {request.method} is not allowed on {request.url.path}."
    elif error.status_code == 404:
        message = f"Unrecognized request URL ({request.method}: {request.url.path})."
    else:
        message = str(error.detail)
    return PrevistoError(error.status_code, message, headers=dict(error.headers or {})).response()


async def _unexpected(request: Request, error: Exception) -> Response:
    return PrevistoError(500, "An unexpected error occurred on Previsto's side.").response()
