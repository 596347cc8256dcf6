"""The end-to-end fixtures (a YAML repository on the sandbox, the CLI) shared with tests/engine."""

from tests.engine.conftest import cli, examples_repo, repo

__all__ = ["cli", "examples_repo", "repo"]
