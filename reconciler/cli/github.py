"""`reconciler github ...`: the GitHub Action's steps (hidden; `action.yml` runs them).

    reconciler github args --command apply [--for plan] -- "$INPUT_ARGS"
    reconciler github mask PATH
    reconciler github reviewed-plan --artifact NAME --path PATH
    reconciler github echo FILE...
    reconciler github publish --command plan --exitcode N --plan-file F --markdown M ...
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import click

from reconciler.cli.common import handle_errors
from reconciler.config import secret_variables
from reconciler.github.comments import config_label
from reconciler.github.publish import publish, run_url
from reconciler.github.report import COMMANDS, ReviewedPlan, read_report
from reconciler.github.rest import DEFAULT_API_URL, GitHubApiError, api_client
from reconciler.github.reviewed import Reviewed, ReviewedApi, look_up
from reconciler.github.runner import (
    fenced,
    mask_commands,
    secret_values,
    short_secrets,
    workflow_command,
    write_outputs,
)
from reconciler.redaction import MIN_SECRET_LENGTH
from reconciler.reports import counted

# Options the Action sets itself; a second value in `args` would silently win over them.
RESERVED = frozenset(
    {"--format", "-o", "--out", "--calendar", "--detailed-exitcode", "--journal", "-h", "--help"}
)


@click.group(hidden=True)
def github() -> None:
    """Steps of the GitHub Action (job summary, PR comment, outputs, annotations)."""


def _command(name: str) -> click.Command:
    context = click.get_current_context().find_root()
    assert isinstance(context.command, click.Group)
    command = context.command.get_command(context, name)
    assert command is not None, name
    return command


def _option(command: click.Command, name: str) -> click.Option | None:
    for param in command.params:
        if isinstance(param, click.Option) and name in (*param.opts, *param.secondary_opts):
            return param
    return None


def split_args(text: str, *, command: click.Command, only_for: click.Command | None) -> list[str]:
    """The `args` input split as a shell would (no expansion), each option checked against
    `command`; with `only_for`, only the options that command takes too (and their values)."""
    try:
        tokens = shlex.split(text)
    except ValueError as error:
        raise click.ClickException(f"args: cannot split {text!r}: {error}") from None
    kept: list[str] = []
    position = 0
    while position < len(tokens):
        token = tokens[position]
        position += 1
        if not token.startswith("-") or token == "--":
            raise click.ClickException(
                f"args: unexpected {token!r}: only options go in `args` (the schedule's path "
                "goes in the `path` input)"
            )
        name, has_value, _ = token.partition("=")
        option = _option(command, name)
        if option is None:
            raise click.ClickException(f"args: {name} is not an option of `{command.name}`")
        if name in RESERVED:
            raise click.ClickException(f"args: {name} is set by the action; leave it out")
        group = [token]
        if not (option.is_flag or option.count or has_value):
            if position >= len(tokens):
                raise click.ClickException(f"args: {name} needs a value")
            group.append(tokens[position])
            position += 1
        if only_for is None or _option(only_for, name) is not None:
            kept.extend(group)
    return kept


@github.command("args")
@click.option("--command", "command_name", type=click.Choice(COMMANDS), required=True)
@click.option(
    "--for",
    "stage",
    type=click.Choice(COMMANDS),
    help="Keep only the options this command takes too (the plan made before an apply).",
)
@click.argument("text", default="")
def args(command_name: str, stage: str | None, text: str) -> None:
    """Split and check the Action's `args` input; print the words NUL-terminated."""
    words = split_args(
        text, command=_command(command_name), only_for=_command(stage) if stage else None
    )
    click.echo("".join(word + "\0" for word in words), nl=False)


@github.command()
@click.argument("path", type=click.Path(path_type=Path))
def mask(path: Path) -> None:
    """Mask, in the job log, the secret values the providers block reads from the environment."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        click.echo("Not running on GitHub Actions: nothing to mask.", err=True)
        return
    names = secret_variables(path)  # read once: the configuration may be large
    values = secret_values(names, os.environ)
    for line in mask_commands(values):
        click.echo(line)
    short = short_secrets(names, os.environ)
    for name in short:
        click.echo(workflow_command(
            "warning", f"{name} is shorter than {MIN_SECRET_LENGTH} characters: it is not masked "
            "in the log (masking it would hide every occurrence of those characters); use a real "
            "secret", title="reconciler secrets"))
    masked = sum(1 for value in values if len(value) >= MIN_SECRET_LENGTH)
    click.echo(f"Masked {counted(masked, 'secret values')} named in the providers block.")


@github.command("reviewed-plan")
@click.option("--artifact", required=True, help="The name the plan job uploaded its plan as.")
@click.option("--path", "config_path", default=".", help="The configuration (for messages).")
@handle_errors
def reviewed_plan(artifact: str, config_path: str) -> None:
    """Find the pull request that merged this commit and the plan artifact reviewed on it; write
    `pull`, `head-sha`, `run-id` (empty: none found) and `refusal` (why nothing may be applied)
    as step outputs."""
    environ = os.environ
    repository, sha = environ.get("GITHUB_REPOSITORY", ""), environ.get("GITHUB_SHA", "")
    label = config_label(config_path, workspace=environ.get("GITHUB_WORKSPACE"))
    if not repository or not sha:
        found = Reviewed(refusal="GITHUB_REPOSITORY and GITHUB_SHA are not set: the reviewed "
                         "plan is looked for only in a workflow run; nothing was applied")
    else:
        try:
            with api_client(token=environ.get("GITHUB_TOKEN", ""),
                            api_url=environ.get("GITHUB_API_URL") or DEFAULT_API_URL) as client:
                found = look_up(ReviewedApi(client=client), repository=repository, sha=sha,
                                artifact=artifact, path=label)
        except GitHubApiError as error:
            hint = {401: " (check the github-token input)",
                    403: " (give the job `permissions: actions: read`)",
                    404: " (give the job `permissions: actions: read`)"}.get(error.status or 0, "")
            found = Reviewed(refusal=f"could not look for the reviewed plan: {error}{hint}; "
                             "nothing was applied")
    outputs = {
        "pull": str(found.pull.number) if found.pull else "",
        "head-sha": (found.pull.head_sha or "") if found.pull else "",
        "run-id": str(found.artifact.run_id) if found.artifact else "",
        "refusal": found.refusal or "",
    }
    if environ.get("GITHUB_OUTPUT"):
        write_outputs(Path(environ["GITHUB_OUTPUT"]), outputs)
    if found.artifact and found.pull:
        click.echo(f"The plan reviewed on #{found.pull.number}: artifact {artifact} of run "
                   f"{found.artifact.run_id} (commit {found.artifact.head_sha[:7]}).")
    elif found.refusal is None:
        click.echo(workflow_command(
            "notice", f"no pull request merged {sha[:7]}: {label} is planned afresh and applied",
            title="reconciler apply"))


@github.command("echo")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
def echo(files: tuple[Path, ...]) -> None:
    """Print the files (the tool's output) to the job log with workflow commands turned off;
    missing and empty files print nothing."""
    text = ""
    for file in files:
        try:
            text += file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if text and not text.endswith("\n"):
            text += "\n"
    if text:
        for line in fenced(text):
            click.echo(line)


@github.command("publish")
@click.option("--command", "command_name", type=click.Choice(COMMANDS), required=True)
@click.option("--exitcode", type=int, required=True, help="The exit code of the command.")
@click.option("--plan-file", type=click.Path(dir_okay=False, path_type=Path),
              help="The JSON document it saved with -o (plan or drift report).")
@click.option("--markdown", type=click.Path(dir_okay=False, path_type=Path),
              help="Its --format markdown output.")
@click.option("--apply-log", type=click.Path(dir_okay=False, path_type=Path),
              help="The output of `reconciler apply` (apply only).")
@click.option("--journal", type=click.Path(dir_okay=False, path_type=Path),
              help="The journal `reconciler apply` kept (apply only): one result per change.")
@click.option("--merged-pull", default="", help="apply: the pull request to post the result on "
              "(empty: the one that merged the commit, looked up).")
@click.option("--reviewed-run", default="", help="apply: the run whose reviewed plan was applied.")
@click.option("--reviewed-head", default="", help="apply: the commit that plan was made for.")
@click.option("--stderr", "stderr_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Its standard error (configuration errors become annotations).")
@click.option("--path", "config_path", type=click.Path(path_type=Path),
              help="The configuration: named in the comment, its secret values kept out of it.")
@click.option("--comment", type=click.BOOL, default=False, show_default=True,
              help="Keep one comment with the report on the pull request.")
@click.option("--fail-on-changes", type=click.BOOL, default=False, show_default=True,
              help="Fail the step when plan or drift finds changes.")
@handle_errors
def publish_command(
    command_name: str,
    exitcode: int,
    plan_file: Path | None,
    markdown: Path | None,
    apply_log: Path | None,
    journal: Path | None,
    merged_pull: str,
    reviewed_run: str,
    reviewed_head: str,
    stderr_file: Path | None,
    config_path: Path | None,
    comment: bool,
    fail_on_changes: bool,
) -> None:
    """Write the step outputs, the job summary, the annotations and the PR comment."""
    pull = _number(merged_pull, "--merged-pull")
    reviewed = None
    if reviewed_run and pull is not None:
        run = {**os.environ, "GITHUB_RUN_ID": reviewed_run}
        reviewed = ReviewedPlan(pull=pull, run_url=run_url(run), head_sha=reviewed_head or None)
    report = read_report(
        command=command_name,
        exitcode=exitcode,
        plan_file=plan_file,
        markdown=markdown,
        apply_log=apply_log,
        journal=journal,
        stderr=stderr_file,
        path=config_label(str(config_path or "."), workspace=os.environ.get("GITHUB_WORKSPACE")),
        reviewed=reviewed,
    )
    secrets = secret_values(secret_variables(config_path), os.environ) if config_path else []
    published = publish(
        report,
        environ=os.environ,
        comment=comment,
        fail_on_changes=fail_on_changes,
        secrets=secrets,
        merged_pull=pull,
    )
    for line in published.lines:
        click.echo(line)
    if published.exit_code:
        raise SystemExit(published.exit_code)


def _number(text: str, option: str) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise click.BadParameter(f"{text!r} is not a pull request number", param_hint=option)
    return int(text)
