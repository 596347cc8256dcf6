"""The container image definition and the Kubernetes example, as shipped: hadolint and the
Kubernetes API schemas pass them, the image runs as a user of its own without the sandbox, and
an installation without the sandbox says so when asked for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.fixtures.repo import Repo, Run

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
MANIFEST = ROOT / "deploy" / "kubernetes" / "watch.yaml"
BIN = Path(sys.executable).parent


def final_stage() -> list[str]:
    """The Dockerfile's last stage, one instruction per entry (continuation lines joined)."""
    joined = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    instructions = [line.strip() for line in joined.splitlines()
                    if line.strip() and not line.lstrip().startswith("#")]
    last_from = max(i for i, line in enumerate(instructions) if line.startswith("FROM "))
    return instructions[last_from:]


def test_hadolint_passes_the_image_definition() -> None:
    done = subprocess.run([str(BIN / "hadolint"), str(DOCKERFILE)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_runs_as_a_user_of_its_own_without_the_sandbox() -> None:
    stage = final_stage()
    users = [line.split()[1] for line in stage if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    installs = [line for line in stage if line.startswith("RUN ") and "pip install" in line]
    assert installs and "'sandbox'" in installs[0] and "rmtree" in installs[0]
    assert any(line.startswith('ENTRYPOINT ["reconciler"]') for line in stage)


def manifests() -> list[dict[str, Any]]:
    with MANIFEST.open(encoding="utf-8") as stream:
        return [document for document in yaml.safe_load_all(stream) if document]


def test_the_kubernetes_example_matches_the_api_schemas() -> None:
    documents = manifests()
    assert [d["kind"] for d in documents] == ["Deployment", "Service"]
    for document in documents:
        kubernetes_validate.validate(document, kubernetes_validate.latest_version(), strict=True)


def test_the_kubernetes_example_takes_the_webhook_token_from_a_secret() -> None:
    deployment = manifests()[0]
    spec = deployment["spec"]["template"]["spec"]
    watch = next(c for c in spec["containers"] if c["name"] == "watch")
    token = next(e for e in watch["env"] if e["name"] == "RECONCILER_WEBHOOK_TOKEN")
    assert "secretKeyRef" in token["valueFrom"]
    assert "value" not in token
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert deployment["spec"]["replicas"] == 1


def test_an_installation_without_the_sandbox_says_so(
    repo: Repo, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `--sandbox` says in the container image, whose emulators are left out."""
    repo.write("events/e.yaml", "version: 1\nevents: []\n")
    # The image's installation: the package is there, its sandbox is not.
    monkeypatch.setitem(sys.modules, "reconciler.sandbox", None)
    monkeypatch.delitem(sys.modules, "reconciler.cli.embedded", raising=False)
    result = cli("plan", "--sandbox", repo.root, expect=1)
    assert "this installation has no sandbox" in result.output


def test_the_commands_the_image_and_the_manifest_run_are_ones_watch_accepts() -> None:
    """The image's CMD and the Deployment's args parse as `reconciler watch` options."""
    import json

    from reconciler.cli import main

    command = next(line for line in final_stage() if line.startswith("CMD "))
    deployment = manifests()[0]
    watch = next(c for c in deployment["spec"]["template"]["spec"]["containers"]
                 if c["name"] == "watch")
    for args in (json.loads(command[len("CMD "):]), watch["args"]):
        assert args[0] == "watch"
        context = main.make_context("reconciler", list(args))
        name, sub, rest = main.resolve_command(context, list(args))
        assert name == "watch" and sub is not None
        parsed = sub.make_context("watch", rest, parent=context)
        assert parsed.params["host"] == "0.0.0.0"
        assert parsed.params["port"] == 8080
        assert [str(path) for path in parsed.params["paths"]] == [args[-1]]
