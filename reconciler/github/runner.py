"""The runner's protocol: workflow commands, masks, annotations, step outputs and size limits.

Pure functions over text (and the configuration's secret names); `publish` composes them into
the Action's publish step.
"""

from __future__ import annotations

import os
import re
import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.local_files import append_text
from reconciler.redaction import MIN_SECRET_LENGTH, redact_text, secret_forms

CONFIG_ISSUE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$")


# -- workflow commands -------------------------------------------------------------------------


def escape_data(text: str) -> str:
    """The runner's escaping of a workflow command's message (as @actions/core does it)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(name: str, message: str, **properties: str | int) -> str:
    """`::name key=value,...::message`, escaped."""
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def fenced(text: str, *, token: str | None = None) -> list[str]:
    """`text`'s lines between `::stop-commands::TOKEN` and `::TOKEN::`: the runner ignores any
    workflow command inside, so the tool's output (which echoes the pull request's YAML) cannot
    forge annotations, masks or outputs. The token is fresh and unguessable on each call, and
    never one that occurs in `text`, so the text cannot end the fence early."""
    token = token or secrets.token_hex(16)
    while token in text:
        token = secrets.token_hex(16)
    return [f"::stop-commands::{token}", *text.splitlines(), f"::{token}::"]


# -- secrets -----------------------------------------------------------------------------------


def secret_values(names: Iterable[str], environ: Mapping[str, str]) -> list[str]:
    """The values of the secret variables `names` (`config.secret_variables`), to mask in the
    runner's log."""
    values = (environ.get(name, "") for name in names)
    return list(dict.fromkeys(value for value in values if value.strip()))


def mask_commands(values: Iterable[str]) -> list[str]:
    """`::add-mask::` for each value, for each line of a multi-line value, and for each form
    the value takes on the wire that is known before the run (`secret_forms`: the base64 of a
    Basic header, the percent-encoded and escaped forms); the runner masks only the exact text
    it was given. A value shorter than `MIN_SECRET_LENGTH` gets none: the runner would mask
    every occurrence of it in the whole job log (`short_secrets` names them for a warning
    instead). Forms minted during the run (Prevail's JWT, Prospero's issued tokens) cannot be
    masked here; the tool redacts them itself before it writes a line."""
    lines: list[str] = []
    for value in values:
        if len(value) < MIN_SECRET_LENGTH:
            continue
        parts = [
            *secret_forms(value),
            *(line.strip() for line in value.splitlines() if "\n" in value),
        ]
        lines.extend(
            f"::add-mask::{escape_data(part)}"
            for part in dict.fromkeys(parts)
            if len(part) >= MIN_SECRET_LENGTH
        )
    return lines


def short_secrets(names: Iterable[str], environ: Mapping[str, str]) -> list[str]:
    """The names of the secret variables whose values are too short to mask (never the values)."""
    return [
        name for name in names
        if 0 < len(environ.get(name, "").strip()) < MIN_SECRET_LENGTH
    ]


def redact(text: str, secrets: Iterable[str]) -> str:
    """What the runner's masking does to logs, for text it never sees (the PR comment); a
    secret too short to mask everywhere is removed where it stands as a whole quoted value."""
    return redact_text(text, secrets)


# -- annotations -------------------------------------------------------------------------------


def error_lines(stderr: str) -> list[str]:
    """The lines of a command's stderr that report errors: configuration issues
    (`FILE:LINE:COL: path: message`) and `Error: ...` lines."""
    return [
        line for line in stderr.splitlines()
        if CONFIG_ISSUE.match(line) or line.startswith("Error: ")
    ]


def error_annotations(stderr: str, *, command: str, workspace: str | None) -> list[str]:
    """Configuration errors become `::error file=...` lines on the file; other `Error: ...`
    lines become plain error annotations."""
    return [
        _annotation("error", line.removeprefix("Error: "), command=command, workspace=workspace)
        for line in error_lines(stderr)
    ]


def warning_annotations(
    warnings: Iterable[str], *, command: str, workspace: str | None
) -> list[str]:
    """The plan's warnings as `::warning` lines: on the file and line when they name one
    (`FILE:LINE:COL: message`, as a recurring series' or a scheduling check's do)."""
    return [
        _annotation("warning", warning, command=command, workspace=workspace)
        for warning in warnings
    ]


def _annotation(name: str, text: str, *, command: str, workspace: str | None) -> str:
    title = f"reconciler {command}"
    issue = CONFIG_ISSUE.match(text)
    if issue is None:
        return workflow_command(name, text, title=title)
    return workflow_command(
        name,
        issue["message"],
        file=_workspace_relative(issue["file"], workspace),
        line=int(issue["line"]),
        col=int(issue["col"]),
        title=title,
    )


def _workspace_relative(file: str, workspace: str | None) -> str:
    if workspace and os.path.isabs(file):
        try:
            return Path(file).resolve().relative_to(Path(workspace).resolve()).as_posix()
        except ValueError:
            return file
    return file


# -- outputs -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Counts:
    """The plan's numbers as the Action's outputs: a replace counts as a create and a delete."""

    has_changes: bool = False
    creates: int = 0
    updates: int = 0
    deletes: int = 0

    @classmethod
    def from_document(cls, document: Mapping[str, Any] | None) -> Counts:
        if not document:
            return cls()
        summary = document.get("summary") or {}

        def count(name: str) -> int:
            value = summary.get(name, 0)
            return value if isinstance(value, int) else 0

        return cls(
            has_changes=bool(document.get("has_changes")),
            creates=count("create") + count("replace"),
            updates=count("update"),
            deletes=count("delete") + count("replace"),
        )


def write_outputs(path: Path, outputs: Mapping[str, str]) -> None:
    """Append `name=value` lines to $GITHUB_OUTPUT (the heredoc form for multi-line values)."""
    lines: list[str] = []
    for name, value in outputs.items():
        if "\n" in value or "\r" in value:
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            lines.append(f"{name}={value}\n")
    append_text(path, "".join(lines), what="the step's outputs",
                fix="point GITHUB_OUTPUT at a file that can be written")


# -- Markdown that fits ------------------------------------------------------------------------


def utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def utf16_units(text: str) -> int:
    """How GitHub counts a comment's characters (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, *, limit: int, measure: Callable[[str], int], note: str) -> str:
    """`text` if it fits in `limit`; else whole lines of it, open code fences and <details>
    closed, then `note`."""
    if measure(text) <= limit:
        return text
    closers = "```\n</details>\n"
    budget = limit - measure(note) - measure(closers) - 2
    kept: list[str] = []
    used = 0
    for line in text.splitlines(keepends=True):
        size = measure(line)
        if used + size > budget:
            if not kept:  # one enormous line: keep what fits of it
                while line and measure(line) > budget:
                    line = line[: len(line) * max(budget, 0) // measure(line)]
                kept.append(line)
            break
        kept.append(line)
        used += size
    body = "".join(kept)
    if not body.endswith("\n"):
        body += "\n"
    if sum(1 for line in kept if line.lstrip().startswith("```")) % 2:
        body += "```\n"
    if body.count("<details") > body.count("</details>"):
        body += "</details>\n"
    return body + "\n" + note

