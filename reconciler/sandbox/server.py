"""Serving the sandbox with uvicorn: in the foreground (`reconciler sandbox`) or on a thread.

In the foreground the app's lifespan runs its background tasks (webhook deliveries); on a
thread (tests, `--sandbox` runs) only when asked, since tests deliver by the admin API's pump.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from reconciler.sandbox.app import Sandbox


def _config(
    sandbox: Sandbox | ASGIApp, host: str, port: int, *, quiet: bool, background: bool
) -> uvicorn.Config:
    return uvicorn.Config(
        sandbox.app if isinstance(sandbox, Sandbox) else sandbox,
        host=host,
        port=port,
        log_level="warning" if quiet else "info",
        access_log=not quiet,
        lifespan="on" if background else "off",
        # Keep-alive long enough that a client reuses its connections across a whole run.
        timeout_keep_alive=30,
    )


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to host:port (port 0: any free one), before anything is announced: a port
    that is taken fails here (OSError), not after the banner."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    listener = socket.socket(family, kind, proto)
    try:
        # As uvicorn does: a restart may rebind while old connections linger in TIME_WAIT (a
        # port that something listens on is still refused).
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
    except OSError:
        listener.close()
        raise
    return listener


def serve(sandbox: Sandbox, listener: socket.socket) -> None:
    """Serve on a bound socket until Ctrl-C (uvicorn handles SIGINT/SIGTERM and shuts down
    cleanly)."""
    host, port = listener.getsockname()[:2]
    config = _config(sandbox, host, port, quiet=False, background=True)
    uvicorn.Server(config).run(sockets=[listener])


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@contextmanager
def running(
    sandbox: Sandbox | ASGIApp,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    background: bool = False,
) -> Iterator[str]:
    """Serve on a background thread on loopback; yields the origin (`http://127.0.0.1:PORT`).
    `background`: also run the app's background tasks (its lifespan)."""
    port = port or free_port(host)
    server = uvicorn.Server(_config(sandbox, host, port, quiet=True, background=background))
    thread = threading.Thread(target=server.run, name="reconciler-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"sandbox did not start on {host}:{port}")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
