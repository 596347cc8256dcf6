"""Run `action.yml`'s own `run:` scripts as the GitHub runner would, on this machine.

Each `run:` step is executed with `bash --noprofile --norc -eo pipefail FILE` (the runner's
`shell: bash`), with the env the step declares after `${{ }}` in it is evaluated from `inputs`,
`steps.<id>.outputs` and `github`, a fresh `GITHUB_OUTPUT` file per step, and one job summary
file. `uses:` steps (actions/setup-python) are skipped: the venv's Python is first on PATH.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
BIN = Path(sys.executable).parent
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def load_action() -> dict[str, Any]:
    action: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return action


def read_output_file(path: Path) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT file: `name=value` lines and `name<<DELIM` ... `DELIM` blocks."""
    outputs: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value: list[str] = []
            while lines[index] != delimiter:
                value.append(lines[index])
                index += 1
            index += 1
            outputs[name] = "\n".join(value)
        elif "=" in line:
            name, value_text = line.split("=", 1)
            outputs[name] = value_text
    return outputs


@dataclass
class StepResult:
    name: str
    step_id: str | None
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]


@dataclass
class ActionResult:
    steps: list[StepResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""

    @property
    def ok(self) -> bool:
        return all(step.returncode == 0 for step in self.steps)

    @property
    def stdout(self) -> str:
        return "".join(step.stdout for step in self.steps)

    @property
    def stderr(self) -> str:
        return "".join(step.stderr for step in self.steps)

    def step(self, step_id: str) -> StepResult:
        return next(step for step in self.steps if step.step_id == step_id)

    def commands(self, name: str) -> list[str]:
        """The workflow commands `::name ...::message` the steps printed."""
        return [line for line in self.stdout.splitlines() if line.startswith(f"::{name}")]


@dataclass
class Runner:
    """One simulated job: its workspace, temp dir, event and the environment every step gets."""

    workspace: Path
    temp: Path
    env: dict[str, str]
    token: str = "ghs_test_token_0123456789"

    def run(self, inputs: dict[str, str], *, step_env: dict[str, str] | None = None
            ) -> ActionResult:
        """Run the action once with these inputs (defaults from action.yml fill the rest)."""
        action = load_action()
        github = {"token": self.token, "action_path": str(ROOT),
                  "workspace": str(self.workspace)}
        values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
        values.update(inputs)
        resolved_inputs = {
            name: self._evaluate(value, inputs={}, steps={}, github=github)
            for name, value in values.items()
        }
        result = ActionResult()
        steps_outputs: dict[str, dict[str, str]] = {}
        summary = self.temp / f"summary-{len(list(self.temp.glob('summary-*')))}.md"
        summary.touch()
        for number, step in enumerate(action["runs"]["steps"]):
            name = step.get("name", f"step {number}")
            if "uses" in step:
                result.skipped.append(step["uses"])
                continue
            assert "if" not in step, "the harness does not evaluate step conditions"
            assert step.get("shell") == "bash", f"{name}: composite run steps need shell: bash"
            assert "${{" not in step["run"], f"{name}: no ${{{{ }}}} in run: (use env:)"
            output = self.temp / f"output-{number}-{len(result.steps)}"
            output.write_text("", encoding="utf-8")
            env = dict(self.env)
            env.update(step_env or {})
            env.update({
                "GITHUB_OUTPUT": str(output),
                "GITHUB_STEP_SUMMARY": str(summary),
                "GITHUB_ACTION_PATH": str(ROOT),
                "RUNNER_TEMP": str(self.temp),
                "GITHUB_WORKSPACE": str(self.workspace),
            })
            for key, value in (step.get("env") or {}).items():
                env[key] = self._evaluate(str(value), inputs=resolved_inputs,
                                          steps=steps_outputs, github=github)
            script = self.temp / f"step-{number}.sh"
            script.write_text(step["run"], encoding="utf-8")
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=self.workspace, env=env, capture_output=True, text=True, timeout=300,
            )
            outputs = read_output_file(output)
            result.steps.append(StepResult(name, step.get("id"), done.returncode, done.stdout,
                                           done.stderr, outputs))
            if step.get("id"):
                steps_outputs[step["id"]] = outputs
            if done.returncode != 0:
                break  # later steps are skipped, as on the runner
        result.outputs = {
            name: self._evaluate(str(spec["value"]), inputs=resolved_inputs,
                                 steps=steps_outputs, github=github)
            for name, spec in action.get("outputs", {}).items()
        }
        result.summary = summary.read_text(encoding="utf-8")
        return result

    @staticmethod
    def _evaluate(text: str, *, inputs: dict[str, str], steps: dict[str, dict[str, str]],
                  github: dict[str, str]) -> str:
        def value(match: re.Match[str]) -> str:
            expression = match[1]
            parts = expression.split(".")
            if parts[0] == "inputs" and len(parts) == 2:
                return inputs.get(parts[1], "")
            if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
                return steps.get(parts[1], {}).get(parts[3], "")
            if parts[0] == "github" and len(parts) == 2:
                return github[parts[1]]
            raise AssertionError(f"the harness cannot evaluate ${{{{ {expression} }}}}")

        return EXPRESSION.sub(value, text)
