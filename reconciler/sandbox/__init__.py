"""The sandbox: emulators of the Prevail, Prospero and Previsto APIs in one ASGI app.

The sandbox is a product part: `reconciler sandbox` serves it and `--sandbox` embeds it. It never
imports client code, and only the CLI (and tests) import it.

Each emulator is a sub-package (`prevail`, `prospero`, `previsto`) whose modules have the same
names for the same roles: `routes` (the API and the emulator's assembly), `auth`, `errors`,
`validation` (what a body may hold), `queries` (lists), `records` (stored objects and their
writes), `seed` and `admin` (the `/_sandbox/<name>` routes). Shared by all three: `app` (one ASGI
app), `server`, `store`, `context` and `faults`.
"""

from __future__ import annotations

from reconciler.sandbox.app import SandboxSettings, create_app

__all__ = ["SandboxSettings", "create_app"]
