"""Module boundaries that design.md relies on, checked from the import graph."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "reconciler"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, `TYPE_CHECKING` and function-level imports included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parent = package[: len(package) - node.level + 1]
                base = ".".join([*parent, node.module] if node.module else parent)
            else:
                base = node.module or ""
            submodules = {f"{base}.{alias.name}" for alias in node.names} & MODULES.keys()
            found.update(submodules)
            # `from reconciler.sandbox import faults` imports a module, not the package's names
            if len(submodules) < len(node.names):
                found.add(base)
    return found


def internal_imports(path: Path) -> set[str]:
    return {name for name in imports_of(path) if name in MODULES} - {module_name(path)}


def test_the_walk_finds_every_sub_package():
    folders = {path.parent.relative_to(PACKAGE).as_posix() for path in MODULES.values()}
    assert {"config", "config/yaml", "engine", "providers", "render", "github", "cli",
            "sandbox"} <= folders
    assert len(MODULES) > 60


def test_no_import_cycle_among_the_modules():
    graph = {name: internal_imports(path) for name, path in MODULES.items()}
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            cycle = [*trail[trail.index(name):], name]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        for imported in sorted(graph[name]):
            visit(imported, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


def test_the_ground_floor_stays_small():
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(top) <= 13, top


# Not client code: where the published schemas are, which the emulators read too.
SHARED_WITH_THE_SANDBOX = {"reconciler.published"}


def test_the_sandbox_never_imports_client_code():
    checked = 0
    for path in (PACKAGE / "sandbox").rglob("*.py"):
        client = {
            name for name in internal_imports(path) if not name.startswith("reconciler.sandbox")
        } - SHARED_WITH_THE_SANDBOX
        assert client == set(), f"{path.name} imports {client}"
        checked += 1
    assert checked > 10


def test_only_the_cli_imports_the_sandbox():
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in ("sandbox", "cli"):
            continue
        assert not any(name.startswith("reconciler.sandbox") for name in imports_of(path)), path


def test_only_providers_and_the_transport_know_http():
    allowed = {"providers", "http.py", "transport", "cli", "sandbox"}
    # The Action's REST calls: the one GitHub client, built by http.py.
    allowed_files = {"github/rest.py"}
    checked = 0
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        checked += 1
        if relative.parts[0] in allowed or relative.as_posix() in allowed_files:
            continue
        assert "httpx" not in imports_of(path), path
    assert checked > 60


def test_no_stage_imports_the_plan_pipeline_for_a_type():
    # The passes the pipeline runs must not import it back (types live in model or refresh).
    pipeline = "reconciler.engine.plan"
    for name, path in MODULES.items():
        if name.startswith("reconciler.engine.") and name != pipeline:
            assert pipeline not in internal_imports(path), name
