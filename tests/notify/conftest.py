"""A notification endpoint on loopback that keeps every payload Apprise sends it, and a
configuration whose `notifications:` point there (a `json://` URL, read from the environment)."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fixtures.loopback import LoopbackServers
from tests.fixtures.repo import Repo

# The webhook's token, as a chat service puts it in the URL's path: a secret of the run.
TOKEN = "T0KEN-b7c1e0f4a9d2"
VARIABLE = "TEAM_WEBHOOK_URL"


@dataclass
class Inbox:
    """What the endpoint received: one JSON payload per message, and the paths they came to."""

    url: str
    payloads: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    status: int = 200

    @property
    def bodies(self) -> list[str]:
        return [payload["message"] for payload in self.payloads]

    @property
    def first_lines(self) -> list[str]:
        return [body.splitlines()[0] for body in self.bodies]


@pytest.fixture
def inbox(loopback: LoopbackServers, monkeypatch: pytest.MonkeyPatch) -> Inbox:
    received = Inbox(url="")

    async def hook(request: Request) -> Response:
        received.paths.append(request.url.path)
        received.payloads.append(await request.json())
        return JSONResponse({}, status_code=received.status)

    app = Starlette(routes=[Route("/hooks/{token}", hook, methods=["POST"])])
    origin = loopback.serve("notifications", app)
    received.url = f"{origin.replace('http://', 'json://')}/hooks/{TOKEN}"
    monkeypatch.setenv(VARIABLE, received.url)
    return received


def closed_port_url() -> str:
    """A `json://` URL on a loopback port nothing listens on: every send is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"json://127.0.0.1:{port}/hooks/{TOKEN}"


def notify_to(repo: Repo, triggers: list[str] | None = None, name: str = "team") -> None:
    """Add a `notifications:` block (to the inbox's variable) to the repository's providers.yaml."""
    path = repo.root / "providers.yaml"
    listed = f"\n    triggers: [{', '.join(triggers)}]" if triggers else ""
    path.write_text(
        path.read_text(encoding="utf-8")
        + f"notifications:\n  {name}:\n    url: ${{{VARIABLE}}}{listed}\n",
        encoding="utf-8",
    )
