"""The sandbox: emulators of the Prevail, Prospero and Previsto APIs in one ASGI app.

The sandbox is a product part: `reconciler sandbox` serves it and `--sandbox` embeds it. It never
imports client code, and only the CLI (and tests) import it.
"""

from __future__ import annotations

from reconciler.sandbox.app import SandboxSettings, create_app

__all__ = ["SandboxSettings", "create_app"]
