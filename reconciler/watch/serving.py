"""Serving the receiver with uvicorn on a thread, while the loop runs on the main thread.

The main thread keeps the signals (SIGTERM, SIGINT): uvicorn is told not to install its own, and
is stopped when the loop has finished. Its access log stays off: a request line holds the
hook's token.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from reconciler.errors import ReconcilerError

# How long, in real seconds, the server may take to start or to finish its open requests.
START_WITHIN = 10.0
STOP_WITHIN = 10.0


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves the signals to the thread that owns them."""

    def install_signal_handlers(self) -> None:
        return None


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (0: any free port); a taken port is a clear error."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.create_server((host, port), family=family)
    except OSError as error:
        raise ReconcilerError(
            f"cannot listen on {host}:{port} ({error.strerror or error}): choose another "
            "--port or --host"
        ) from None
    return listener


@contextmanager
def serving(app: ASGIApp, listener: socket.socket) -> Iterator[str]:
    """Serve `app` on `listener` on a thread; yields the origin. On exit the server stops
    taking requests and finishes those under way."""
    host, port = listener.getsockname()[:2]
    config = uvicorn.Config(
        app,
        log_level="warning",
        # Its records go through the process' handlers (JSON with --log-format json).
        log_config=None,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=int(STOP_WITHIN),
    )
    server = _QuietServer(config)
    thread = threading.Thread(
        target=server.run,
        kwargs={"sockets": [listener]},
        name="reconciler-watch-receiver",
        daemon=True,
    )
    thread.start()

    def wait_started() -> bool:
        # Polled with the thread's own join, not a sleep: the product sleeps only on its clock.
        for _ in range(int(START_WITHIN * 100)):
            if server.started:
                return True
            if not thread.is_alive():
                return False
            thread.join(timeout=0.01)
        return server.started

    if not wait_started():
        raise ReconcilerError(f"the webhook receiver did not start on {host}:{port}")
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STOP_WITHIN)
