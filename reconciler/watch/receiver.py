"""The HTTP side of `watch`: Prospero's deliveries, Prevail's postbacks, health, readiness and
metrics.

    POST /hooks/prospero/<token>   a delivery: 200 at once, the work queued (wrong token: 404)
    POST /hooks/prevail/<token>    a postback: 200 at once, verified, the sessions re-read
    GET  /healthz                  the process answers
    GET  /readyz                   configurations loaded, first sweep done, credentials valid
    GET  /metrics                  Prometheus' text format

The token in the path is the receiver's secret (as Flux's receivers derive their path from
one): compared in constant time, and a wrong one is answered as any unknown path is, so the
endpoint cannot be probed. Nothing here logs a request line, which would show the token. A
postback's answer is the same whether its JWT verified or not: the sender learns nothing.
"""

from __future__ import annotations

import hmac

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from reconciler.watch.deliveries import read_delivery
from reconciler.watch.loop import Watcher
from reconciler.watch.metrics import CONTENT_TYPE_LATEST
from reconciler.watch.postbacks import read_postback

HOOK_PATH = "/hooks/prospero/"
POSTBACK_PATH = "/hooks/prevail/"
# A delivery carries one event; anything far larger is not one (and is not read into memory).
LARGEST_DELIVERY = 1024 * 1024


def receiver_app(watcher: Watcher, *, token: str) -> Starlette:
    """The ASGI app that feeds `watcher`; `token` is the secret the hook's path must carry."""
    expected = token.encode()

    async def body_of(request: Request, provider: str) -> bytes | Response:
        """The request's body, or the answer to give instead (a wrong token, too large)."""
        given = request.path_params["token"].encode()
        if not hmac.compare_digest(given, expected):
            watcher.metrics.webhooks_rejected.labels(provider=provider).inc()
            return PlainTextResponse("Not Found", status_code=404)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > LARGEST_DELIVERY:
                return JSONResponse({"error": "delivery too large"}, status_code=413)
        return bytes(body)

    async def hook(request: Request) -> Response:
        body = await body_of(request, "prospero")
        if isinstance(body, Response):
            return body
        outcome = watcher.receive(read_delivery(body))
        return JSONResponse({"status": outcome})

    async def postback(request: Request) -> Response:
        body = await body_of(request, "prevail")
        if isinstance(body, Response):
            return body
        watcher.receive_postback(read_postback(body))
        return JSONResponse({"status": "accepted"})

    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> Response:
        waiting = [
            name
            for name, scope in watcher.scopes.items()
            if scope.baseline is None or scope.credentials_refused
        ]
        if waiting:
            return JSONResponse({"ready": False, "waiting_for": waiting}, status_code=503)
        return JSONResponse({"ready": True})

    async def metrics(_: Request) -> Response:
        return Response(watcher.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route(HOOK_PATH + "{token}", hook, methods=["POST"]),
            Route(POSTBACK_PATH + "{token}", postback, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ]
    )


def hook_url(public_url: str, token: str) -> str:
    """The URL Prospero delivers to."""
    return public_url.rstrip("/") + HOOK_PATH + token


def masked_hook_url(public_url: str) -> str:
    """The hook's URL as it may be printed: the token left out."""
    return public_url.rstrip("/") + HOOK_PATH + "<token>"
