"""The Prevail emulator (placeholder until implemented)."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from reconciler.sandbox.context import Emulator, SandboxContext

NAME = "prevail"


def build(context: SandboxContext) -> Emulator:
    def error_body(status: int, message: str) -> dict[str, Any]:
        return {"error": message}

    return Emulator(
        name=NAME,
        app=Starlette(),
        error_body=error_body,
        churn=lambda: None,
        admin_routes=[],
        credentials={},
    )
