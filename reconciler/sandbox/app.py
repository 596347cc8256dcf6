"""One ASGI app mounting the three emulators under /prevail, /prospero and /previsto.

A thin ASGI middleware in front of them records every request (the request log that tests and
benchmarks count) and fires the injectable faults of `faults.py`. With `admin=True` the app also
serves `/_sandbox/...`: the request log, the faults, and each emulator's seeding helpers. The
app's lifespan runs the emulators' background tasks (Prospero's webhook deliveries) when the
server asks for it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.sandbox import faults
from reconciler.sandbox.context import (
    Emulator,
    RequestLog,
    RequestRecord,
    SandboxContext,
    SandboxSettings,
)
from reconciler.sandbox.prevail import routes as prevail
from reconciler.sandbox.previsto import routes as previsto
from reconciler.sandbox.prospero import routes as prospero
from reconciler.sandbox.store import Store

__all__ = ["Sandbox", "SandboxSettings", "create_app"]


class Sandbox:
    """The assembled sandbox: its ASGI app plus the handles tests use to observe and steer it."""

    def __init__(self, settings: SandboxSettings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store or Store(settings.db_path)
        self.context = SandboxContext(settings=settings, store=self.store)
        self.faults = faults.FaultInjector()
        self.requests = RequestLog()
        self.emulators: dict[str, Emulator] = {
            module.NAME: module.build(self.context) for module in (prevail, prospero, previsto)
        }
        routes: list[Any] = [Mount(f"/{name}", app=em.app) for name, em in self.emulators.items()]
        if settings.admin:
            routes.insert(0, Mount("/_sandbox", routes=self._admin_routes()))
        self.app: ASGIApp = _Recorder(
            Starlette(
                routes=routes,
                exception_handlers={404: self._not_found, 405: self._not_found},
                lifespan=self._lifespan,
            ),
            sandbox=self,
        )

    @asynccontextmanager
    async def _lifespan(self, app: object) -> AsyncIterator[None]:
        """Run every emulator's background tasks while the app is served."""
        tasks = [
            asyncio.create_task(task(), name=f"sandbox-{name}")
            for name, emulator in self.emulators.items()
            for task in emulator.background
        ]
        try:
            yield
        finally:
            for running_task in tasks:
                running_task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _not_found(self, request: Request, error: Exception) -> Response:
        """Paths no mount matches still answer in the provider's own error shape."""
        status = getattr(error, "status_code", 404)
        emulator = self.emulators.get(request.url.path.strip("/").split("/", 1)[0])
        if emulator is None:
            return JSONResponse({"error": "Not Found"}, status_code=status)
        return JSONResponse(emulator.error_body(status, "Not Found"), status_code=status)

    def base_urls(self, origin: str) -> dict[str, str]:
        return {name: f"{origin}/{name}" for name in self.emulators}

    def _admin_routes(self) -> list[Any]:
        async def list_requests(request: Request) -> Response:
            return JSONResponse([record.to_json() for record in self.requests.snapshot()])

        async def clear_requests(request: Request) -> Response:
            self.requests.clear()
            return Response(status_code=204)

        async def list_faults(request: Request) -> Response:
            return JSONResponse([fault.to_json() for fault in self.faults.armed()])

        async def add_fault(request: Request) -> Response:
            try:
                fault = faults.Fault.from_json(await request.json())
            except (ValueError, TypeError) as error:
                return JSONResponse({"error": str(error)}, status_code=400)
            self.faults.add(fault)
            return JSONResponse(fault.to_json(), status_code=201)

        async def clear_faults(request: Request) -> Response:
            self.faults.clear()
            return Response(status_code=204)

        routes: list[Any] = [
            Route("/requests", list_requests, methods=["GET"]),
            Route("/requests", clear_requests, methods=["DELETE"]),
            Route("/faults", list_faults, methods=["GET"]),
            Route("/faults", add_fault, methods=["POST"]),
            Route("/faults", clear_faults, methods=["DELETE"]),
        ]
        routes.extend(
            Mount(f"/{name}", routes=em.admin_routes) for name, em in self.emulators.items()
        )
        return routes


def create_app(settings: SandboxSettings | None = None) -> Sandbox:
    """Build a sandbox; serve `create_app(...).app` with uvicorn or `httpx.ASGITransport`."""
    return Sandbox(settings or SandboxSettings())


class _Recorder:
    """Records each API request and fires the faults armed for it."""

    def __init__(self, app: ASGIApp, *, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        replay = _replay(body)
        method, path = scope["method"], scope["path"]
        record = RequestRecord(
            method=method,
            path=path,
            query=scope.get("query_string", b"").decode("latin-1"),
            body=_decode(body),
            content_type=_header(scope, b"content-type"),
        )
        self.sandbox.requests.append(record)
        emulator = self.sandbox.emulators.get(path.strip("/").split("/", 1)[0])
        firing = self.sandbox.faults.take(method, path)
        kinds = {fault.kind: fault for fault in firing}

        if "latency" in kinds:
            await faults.sleep(kinds["latency"].seconds)
        if "hold" in kinds:
            await faults.hold(kinds["hold"].seconds, self.sandbox.context.clock)
        if "reset" in kinds:
            record.status = -1
            await _drop(send)
            return
        if "answer" in kinds:
            fault = kinds["answer"]
            record.status = fault.status
            await _answer(fault)(scope, replay, send)
            return
        if "echo" in kinds and emulator is not None:
            fault = kinds["echo"]
            record.status = fault.status
            await _echo_fault(fault, emulator, scope, body)(scope, replay, send)
            return
        if "status" in kinds and emulator is not None:
            fault = kinds["status"]
            record.status = fault.status
            await _status_fault(fault, emulator)(scope, replay, send)
            return

        captured: list[Message] = []
        deferred = "drop" in kinds or "malformed" in kinds

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = int(message["status"])
            if deferred:
                captured.append(message)
            else:
                await send(message)

        await self.app(scope, replay, capture)

        if "drop" in kinds:
            record.status = -1
            await _drop(send)
            return
        if "malformed" in kinds:
            await _send_malformed(captured, send)
            return
        if "churn" in kinds and emulator is not None:
            emulator.churn()


def _status_fault(fault: faults.Fault, emulator: Emulator) -> Response:
    """The emulator's own error body for a status fault, with Retry-After when the fault sets it."""
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = _seconds(fault.retry_after)
    return JSONResponse(
        emulator.error_body(fault.status, faults.reason(fault.status)),
        status_code=fault.status,
        headers=headers,
    )


def _echo_fault(fault: faults.Fault, emulator: Emulator, scope: Scope, body: bytes) -> Response:
    """The emulator's own error body, its message repeating the request's credentials."""
    echoed = faults.Echoed(
        authorization=_header(scope, b"authorization"),
        cookie=_header(scope, b"cookie"),
        body=body.decode("utf-8", errors="replace"),
    )
    fault.echoed.append(echoed)
    return JSONResponse(
        emulator.error_body(fault.status, faults.echo_message(fault.status, echoed)),
        status_code=fault.status,
    )


def _answer(fault: faults.Fault) -> Response:
    """The status and body an `answer` fault sets, as they are (a redirect says where to)."""
    headers = {"Location": "/moved"} if 300 <= fault.status < 400 else {}
    if fault.body is None:
        return Response(status_code=fault.status, headers=headers)
    return JSONResponse(fault.body, status_code=fault.status, headers=headers)


async def _send_malformed(captured: list[Message], send: Send) -> None:
    """The captured response's status and headers with a body cut off mid-JSON."""
    start = next(m for m in captured if m["type"] == "http.response.start")
    broken = b'{"malformed": [1, 2, '
    raw_headers = [
        (name, value) for name, value in start.get("headers", [])
        if name.lower() != b"content-length"
    ]
    raw_headers.append((b"content-length", str(len(broken)).encode()))
    await send({"type": "http.response.start", "status": start["status"], "headers": raw_headers})
    await send({"type": "http.response.body", "body": broken})


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _drop(send: Send) -> None:
    # Start a response that promises a body, then abandon it: uvicorn closes the socket and the
    # client sees the connection end mid-response, as after a reset.
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", b"64")]})
    raise faults.ConnectionDropped("sandbox fault: connection dropped")


def _decode(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return body.decode("utf-8", errors="replace")


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
