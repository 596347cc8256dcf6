"""The end-to-end fixtures (a YAML repository against the served sandbox, and the CLI)."""

from __future__ import annotations

from tests.engine.conftest import cli, repo  # noqa: F401  (fixtures shared with tests/engine)
