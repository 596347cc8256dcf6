"""Malformed or unexpected API responses end in one clear error naming provider and endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.cli import main
from reconciler.sandbox.server import running

# A list without a (usable) `pagy` block is read page by page instead (the contract's tolerant
# reader): tests/providers/test_prevail.py covers it.
BODIES: dict[str, object] = {
    "sessions-not-list": {"pagy": {"page": 1, "items": 1000, "count": 0, "pages": 0},
                          "sessions": {}},
    "array-not-object": [],
}


@pytest.fixture
def broken_prevail(request: pytest.FixtureRequest) -> Iterator[str]:
    body = BODIES[request.param]

    async def sessions(_: Request) -> Response:
        return JSONResponse(body)

    app = Starlette(routes=[Route("/prevail/sessions", sessions)])
    with running(app) as origin:
        yield origin


@pytest.mark.parametrize("broken_prevail", sorted(BODIES), indirect=True)
def test_unexpected_list_body(broken_prevail: str, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KEY", "k" * 32)
    config = tmp_path / "c.yaml"
    config.write_text(
        "version: 1\nproviders:\n  prevail:\n"
        f"    base_url: {broken_prevail}/prevail\n    company_id: co\n    api_key: ${{KEY}}\n"
    )
    result = CliRunner().invoke(main, ["plan", str(config)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: prevail GET /sessions: unexpected response"), (
        result.stderr
    )
    assert "Traceback" not in result.output
