"""Module boundaries that design.md relies on, checked from the import graph."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "reconciler"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


# Not client code: where the published schemas are, which the emulators read too.
SHARED_WITH_THE_SANDBOX = {"reconciler.published"}


def test_the_sandbox_never_imports_client_code():
    for path in (PACKAGE / "sandbox").rglob("*.py"):
        client = {
            name for name in imports_of(path)
            if name.startswith("reconciler") and not name.startswith("reconciler.sandbox")
        } - SHARED_WITH_THE_SANDBOX
        assert client == set(), f"{path.relative_to(PACKAGE)} imports {client}"


def test_only_the_cli_imports_the_sandbox():
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in ("sandbox", "cli"):
            continue
        assert not any(name.startswith("reconciler.sandbox") for name in imports_of(path)), path


def test_only_providers_and_the_transport_know_http():
    allowed = {"providers", "http.py", "github_api.py", "cli"}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in allowed or relative.parts[0] == "sandbox":
            continue
        assert "httpx" not in imports_of(path), path
