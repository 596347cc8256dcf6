"""The Prospero emulator's admin routes, under `/_sandbox/prospero` for tests and benchmarks.

- `POST /seed` with `{"events": [...]}` bulk-inserts wire events (see `seed.seed_bulk`)
  → 201 `{"ids": [...]}`.
- `GET /notifications` → `{"notifications": [{"eventId", "notification"}, ...]}`: what creates
  asked Prospero to e-mail, in creation order.
- `POST /tokens/expire` with `{"token": "<access or refresh token>"}` makes that token expire now
  → 204 (404 when the token is unknown).

Changes made here stand for a colleague's edits in Prospero's web UI: they are not API requests
(not in the request log, no credentials), but they are announced to the registered webhooks as
any change is. `/seed` announces `event.created` for each event, and:
- `PATCH /events/{id}` with a merge patch → 200 `{"event": {...}}` (`event.updated` when
  something changed); `DELETE /events/{id}` → 204 (`event.deleted` with the last state).

Webhook deliveries (see `outbox` and `webhooks`):
- `POST /webhooks/deliver` sends every delivery due now on the sandbox clock → 200
  `{"attempts": [...]}`, the attempts it made in order (a test moves its clock, then pumps).
- `GET /webhooks/attempts` → `{"attempts": [...]}`: every attempt so far (`deliveryId`, `copy`,
  `attempt`, `webhookId`, `url`, `type`, `eventId`, `outcome` delivered | failed | dropped,
  `status`, `error`, `at`, `epoch`, `retryAt`).
- `GET /webhooks/deliveries` → `{"deliveries": [...]}`: every delivery copy and its `state`
  (pending, delivered, given-up, cancelled), its `attempts` and when it is next `dueAt`.
- `GET /webhooks/faults` → the delivery faults; `POST` with `{"drop", "duplicate", "reorder",
  "delay", "seed"}` (each optional) sets them all and restarts the seeded draws → 201;
  `DELETE` clears them → 204.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.sandbox.prospero.auth import Tokens
from reconciler.sandbox.prospero.errors import ProsperoError, bad_request, guarded
from reconciler.sandbox.prospero.outbox import DeliveryFaults
from reconciler.sandbox.prospero.records import EventBook
from reconciler.sandbox.prospero.seed import seed_bulk
from reconciler.sandbox.prospero.validation import MERGE_PATCH, read_json
from reconciler.sandbox.prospero.webhooks import Deliverer


def admin_routes(events: EventBook, tokens: Tokens, deliverer: Deliverer) -> list[Any]:
    """The routes; errors answer in Prospero's error shape, as on the public API."""
    outbox = deliverer.outbox

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

    async def edit_event(request: Request) -> Response:
        patch = await read_json(request, accept=MERGE_PATCH)
        return JSONResponse({"event": events.update(request.path_params["id"], patch)})

    async def delete_event(request: Request) -> Response:
        events.archive([request.path_params["id"]])
        return Response(status_code=204)

    async def deliver(request: Request) -> Response:
        return JSONResponse({"attempts": await deliverer.deliver_due()})

    async def attempts(request: Request) -> Response:
        return JSONResponse({"attempts": outbox.attempts()})

    async def deliveries(request: Request) -> Response:
        return JSONResponse({"deliveries": outbox.deliveries()})

    async def get_faults(request: Request) -> Response:
        return JSONResponse(outbox.faults.to_json())

    async def set_faults(request: Request) -> Response:
        try:
            faults = DeliveryFaults.from_json(await read_json(request))
        except (TypeError, ValueError) as error:
            raise bad_request(str(error)) from None
        outbox.set_faults(faults)
        return JSONResponse(faults.to_json(), status_code=201)

    async def clear_faults(request: Request) -> Response:
        outbox.set_faults(DeliveryFaults())
        return Response(status_code=204)

    return [
        Route("/seed", guarded(admin_seed), methods=["POST"]),
        Route("/notifications", guarded(admin_notifications), methods=["GET"]),
        Route("/tokens/expire", guarded(admin_expire_token), methods=["POST"]),
        Route("/events/{id}", guarded(edit_event), methods=["PATCH"]),
        Route("/events/{id}", guarded(delete_event), methods=["DELETE"]),
        Route("/webhooks/deliver", guarded(deliver), methods=["POST"]),
        Route("/webhooks/attempts", guarded(attempts), methods=["GET"]),
        Route("/webhooks/deliveries", guarded(deliveries), methods=["GET"]),
        Route("/webhooks/faults", guarded(get_faults), methods=["GET"]),
        Route("/webhooks/faults", guarded(set_faults), methods=["POST"]),
        Route("/webhooks/faults", guarded(clear_faults), methods=["DELETE"]),
    ]
