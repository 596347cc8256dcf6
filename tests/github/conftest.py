"""Fixtures for the Action's tests: a fake GitHub API, a simulated runner, a schedule repo."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.conftest import providers_yaml as engine_providers
from tests.github.fake_github import FakeGitHub, serving
from tests.github.runner import BIN, Runner

HERE = Path(__file__).resolve().parent
PULL_REQUEST_EVENT = HERE / "pull_request.json"
REPOSITORY = "acme-legal/schedule"
PR_NUMBER = 7

SANDBOX_ENV = {
    "PREVAIL_COMPANY_ID": "sandbox-co",
    "PREVAIL_API_KEY": "sandbox-prevail-key",
    "PROSPERO_EMAIL": "sandbox@prospero.test",
    "PROSPERO_PASSWORD": "sandbox-prospero-password",
    "PREVISTO_API_KEY": "sk_sandbox",
}


def providers_yaml(origin: str) -> str:
    return "# Where the schedule lives; secrets come from the environment.\n" + engine_providers(
        origin
    )


def event_yaml(*, capacity: int = 12, title: str = "Board dinner") -> str:
    return f"""version: 1
events:
  - key: board-dinner
    title: {title}
    start: 2027-05-04T19:00:00+01:00
    end: 2027-05-04T21:00:00Z
    location: {{name: Harbour Club, address: 2 Quay St}}
    status: confirmed
    capacity: {capacity}
"""


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    with serving(FakeGitHub(token=Runner.token)) as fake:
        yield fake


@pytest.fixture
def workspace(tmp_path: Path, sandbox_url: str) -> Path:
    """A checked-out schedule repository whose providers point at the test's sandbox."""
    root = tmp_path / "workspace"
    root.mkdir()
    (root / "providers.yaml").write_text(providers_yaml(sandbox_url), encoding="utf-8")
    (root / "events.yaml").write_text(event_yaml(), encoding="utf-8")
    return root


def runner_env(*, temp: Path, fake: FakeGitHub, event_name: str, event_path: Path,
               run_id: str = "9100000001") -> dict[str, str]:
    return {
        "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(temp),
        "LANG": "C.UTF-8",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": fake.origin,
        "GITHUB_RUN_ID": run_id,
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_SHA": "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",
        "GITHUB_REF": f"refs/pull/{PR_NUMBER}/merge",
        **SANDBOX_ENV,
    }


@pytest.fixture
def runner(tmp_path: Path, workspace: Path, fake_github: FakeGitHub) -> Runner:
    """A simulated runner on a `pull_request` event of PR #7."""
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    event = temp / "event.json"
    shutil.copy(PULL_REQUEST_EVENT, event)
    env = runner_env(temp=temp, fake=fake_github, event_name="pull_request", event_path=event)
    return Runner(workspace=workspace, temp=temp, env=env)


@pytest.fixture
def push_runner(runner: Runner) -> Runner:
    """The same job as a push to main (no pull request)."""
    event = runner.temp / "push.json"
    event.write_text(json.dumps({"ref": "refs/heads/main", "after": "c0ffee00" * 5}),
                     encoding="utf-8")
    env = dict(runner.env, GITHUB_EVENT_NAME="push", GITHUB_EVENT_PATH=str(event),
               GITHUB_REF="refs/heads/main")
    return Runner(workspace=runner.workspace, temp=runner.temp, env=env)
