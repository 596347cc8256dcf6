"""End-to-end fixtures: a repository of YAML pointing at the served sandbox, and the CLI."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import main
from reconciler.sandbox.app import Sandbox
from reconciler.sandbox.context import RequestRecord

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

SANDBOX_ENV = {
    "PREVAIL_COMPANY_ID": "sandbox-co",
    "PREVAIL_API_KEY": "sandbox-prevail-key",
    "PROSPERO_EMAIL": "sandbox@prospero.test",
    "PROSPERO_PASSWORD": "sandbox-prospero-password",
    "PREVISTO_API_KEY": "sk_sandbox",
}

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


def providers_yaml(origin: str, *, previsto_rate: int | None = None) -> str:
    rate = f"\n    requests_per_minute: {previsto_rate}" if previsto_rate else ""
    return f"""version: 1
providers:
  prevail:
    base_url: {origin}/prevail
    company_id: ${{PREVAIL_COMPANY_ID}}
    api_key: ${{PREVAIL_API_KEY}}
  prospero:
    base_url: {origin}/prospero
    email: ${{PROSPERO_EMAIL}}
    password: ${{PROSPERO_PASSWORD}}
  previsto:
    base_url: {origin}/previsto
    api_key: ${{PREVISTO_API_KEY}}{rate}
"""


@dataclass
class Repo:
    """A config repository on disk whose providers point at the test's sandbox."""

    root: Path
    sandbox: Sandbox

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def requests(self) -> list[RequestRecord]:
        return self.sandbox.requests.snapshot()

    def writes(self) -> list[RequestRecord]:
        return [r for r in self.requests() if r.method in WRITE_METHODS and
                not r.path.endswith("/auth/login")]

    def lists(self, path_suffix: str) -> list[RequestRecord]:
        return [r for r in self.requests() if r.method == "GET" and r.path.endswith(path_suffix)]

    def forget_requests(self) -> None:
        self.sandbox.requests.clear()


@pytest.fixture
def repo(tmp_path: Path, sandbox: Sandbox, sandbox_url: str,
         monkeypatch: pytest.MonkeyPatch) -> Repo:
    for name, value in SANDBOX_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "schedule"
    root.mkdir()
    (root / "providers.yaml").write_text(providers_yaml(sandbox_url), encoding="utf-8")
    return Repo(root=root, sandbox=sandbox)


@pytest.fixture
def examples_repo(repo: Repo) -> Repo:
    for source in EXAMPLES.rglob("*.yaml"):
        relative = source.relative_to(EXAMPLES)
        if relative.parts[0].startswith(".") or relative.name == "providers.yaml":
            continue
        target = repo.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    return repo


Run = Callable[..., Result]


@pytest.fixture
def cli() -> Run:
    def run(*args: str | Path, expect: int | None = 0, input: str | None = None) -> Result:
        result = CliRunner().invoke(main, [str(arg) for arg in args], input=input)
        if expect is not None:
            assert result.exit_code == expect, (
                f"exit {result.exit_code} != {expect}\nstdout:\n{result.stdout}\n"
                f"stderr:\n{result.stderr}\n{result.exception!r}"
            )
        assert "Traceback" not in result.output
        return result

    return run


def bodies(records: Sequence[RequestRecord]) -> list[object]:
    return [record.body for record in records]
