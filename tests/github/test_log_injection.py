"""Text from the pull request's YAML must never become a workflow command in the log.

The Action's own scripts run on the simulated runner; `processed` reads the job log as the
runner does and lists the workflow commands it would act on.
"""

from __future__ import annotations

import re

from reconciler.github.runner import workflow_command
from tests.fixtures.action import mask_lines
from tests.fixtures.action_runner import ActionResult, Runner
from tests.fixtures.fake_github import FakeGitHub

PAYLOADS = ("\n::warning file=x::forged", "\n::add-mask::x", "\n::stop-commands::t")
TOKEN = re.compile(r"[0-9a-f]{32}")
# The runner splits its output on CR and LF only.
LINES = re.compile(r"\r\n|\r|\n")


def shown(text: str) -> str:
    """A newline as the tool shows it: a visible backslash-n."""
    return text.replace("\n", "\\n")


def processed(log: str) -> list[str]:
    """The lines the runner would treat as workflow commands: `::` after leading blanks, or the
    legacy `##[` anywhere in a line (counted conservatively), except between
    `::stop-commands::TOKEN` and `::TOKEN::`."""
    commands: list[str] = []
    stopped: str | None = None
    for line in LINES.split(log):
        text = line.strip()
        if stopped is not None:
            if text == f"::{stopped}::":
                commands.append(text)
                stopped = None
            continue
        if text.startswith("::") or "##[" in text:
            commands.append(text)
            if text.startswith("::stop-commands::"):
                stopped = text[len("::stop-commands::") :]
    return commands


def job_log(result: ActionResult) -> str:
    return "".join(step.stdout + step.stderr for step in result.steps)


def unexpected(result: ActionResult, annotations: set[str]) -> list[str]:
    """Commands the Action did not mean to emit. Meant: each fence (a fresh 32-hex token opened
    and closed), the masks of the providers' secrets, and the given annotations (built by
    `workflow_command`)."""
    masks = mask_lines()
    left: list[str] = []
    commands = processed(job_log(result))
    index = 0
    while index < len(commands):
        line = commands[index]
        opened = re.fullmatch(r"::stop-commands::(.+)", line)
        if opened and TOKEN.fullmatch(opened[1]) and commands[index + 1 : index + 2] == [
            f"::{opened[1]}::"
        ]:
            index += 2
            continue
        if line not in masks | annotations:
            left.append(line)
        index += 1
    return left


def test_unknown_keys_in_a_config_error_cannot_forge_commands(
    runner: Runner, fake_github: FakeGitHub
):
    # Keys must match the schema's pattern, but an unknown key is named in the error message.
    unknown = "".join(f'    "k{shown(payload)}": 1\n' for payload in PAYLOADS)  # YAML escapes
    (runner.workspace / "events.yaml").write_text(
        "version: 1\nevents:\n  - key: gala\n    title: Gala\n"
        "    start: 2027-05-04T19:00:00Z\n    end: 2027-05-04T21:00:00Z\n" + unknown,
        encoding="utf-8",
    )
    result = runner.run({"command": "plan", "path": ".", "comment": "false"})
    assert not result.ok
    assert result.outputs["exitcode"] == "1"
    messages = [
        f'events[0]["k{payload}"]: unknown field "k{payload}"' for payload in PAYLOADS
    ]
    annotations = {
        workflow_command("error", shown(message), file="events.yaml", line=7 + n,
                         col=5, title="reconciler plan")
        for n, message in enumerate(messages)
    } | {workflow_command("error", "the configuration has 3 problems", title="reconciler plan")}
    assert unexpected(result, annotations) == []
    assert set(result.commands("error")) == annotations
    log = job_log(result)
    for payload in PAYLOADS:  # still shown, as one visible line
        assert f'unknown field "k{shown(payload)}"' in log


def test_a_title_in_the_plan_is_fenced_in_the_log(runner: Runner, fake_github: FakeGitHub):
    # A title is free text: JSON-escaped in the report, and shown only inside the fence.
    title = shown("".join(PAYLOADS)) + " ##[add-mask]x"  # YAML double-quoted escapes
    events = runner.workspace / "events.yaml"
    events.write_text(events.read_text(encoding="utf-8").replace(
        "title: Board dinner", f'title: "{title}"'), encoding="utf-8")
    result = runner.run({"command": "plan", "path": ".", "comment": "true"})
    assert result.ok, result.stderr
    assert result.outputs["exitcode"] == "2"
    assert unexpected(result, set()) == []
    run = result.step("run").stdout.splitlines()
    assert run[0].startswith("::stop-commands::") and run[-1] == f"::{run[0][17:]}::"
    assert '##[add-mask]x"' in result.step("run").stdout
