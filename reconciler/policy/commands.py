"""External policy commands: any program that reads the JSON plan on stdin and prints findings.

    commands:
      - name: rego
        run: [conftest, test, -, --output, json, --policy, rego/]
        timeout: 30                    # seconds (default 60)

A command prints a JSON list of findings, `[{rule, level, address, message}]`, or conftest's
JSON results (`failures` become mandatory findings, `warnings` advisory ones), so `conftest
test -` works as it is. It exits 0, or non-zero while reporting at least one mandatory finding
(conftest's convention). Anything else fails closed: a command that cannot start, crashes,
prints something else, or outlives its timeout is a mandatory finding of its own.

The wait is measured on the product's clock (`reconciler.clock`), polling the child.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from reconciler.clock import current
from reconciler.findings import Finding, PolicyLevel

DEFAULT_TIMEOUT = 60.0
POLL = 0.05  # seconds between looks at the child
LONGEST_OUTPUT = 10 * 1024 * 1024  # bytes of findings read; more is not a policy's answer


class _TimedOut(Exception):
    """The command outlived its timeout (and was stopped)."""


@dataclass(frozen=True, kw_only=True)
class Command:
    name: str
    argv: tuple[str, ...]
    timeout: float
    folder: Path  # where it runs: the policy folder, so relative paths in `run` are its own

    def judge(self, plan_json: bytes) -> list[Finding]:
        """The command's findings on the plan; its failure as a mandatory finding."""
        try:
            code, output = self._run(plan_json)
        except _TimedOut:
            return [self._failure(f"did not finish within {self.timeout:g} s; it was stopped")]
        except OSError as error:
            return [self._failure(f"could not start {self.argv[0]!r}: {error.strerror or error}")]
        try:
            findings = parse_findings(json.loads(output), default_rule=self.name)
        except (ValueError, TypeError, KeyError) as error:
            shown = output[:200].decode("utf-8", "replace").strip() or "nothing"
            return [self._failure(f"exited {code} and printed {shown!r}, not findings ({error})")]
        if code != 0 and not any(f.level is PolicyLevel.MANDATORY for f in findings):
            return [*findings, self._failure(f"exited {code} without a mandatory finding")]
        return findings

    def _run(self, plan_json: bytes) -> tuple[int, bytes]:
        clock = current()
        with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stdout:
            stdin.write(plan_json)
            stdin.seek(0)
            process = subprocess.Popen(
                self.argv,
                stdin=stdin,
                stdout=stdout,
                stderr=subprocess.DEVNULL,
                cwd=self.folder,
                env=command_environment(),
            )
            deadline = clock.monotonic() + self.timeout
            while process.poll() is None:
                if clock.monotonic() >= deadline:
                    process.kill()
                    process.wait()
                    raise _TimedOut
                clock.sleep(POLL, why="policy-command")
            return process.returncode, _read(stdout)

    def _failure(self, what: str) -> Finding:
        return Finding(
            rule=self.name,
            level=PolicyLevel.MANDATORY,
            message=f"policy command failed, so the plan is refused: {what}",
        )


# What a policy command may see of the run's environment: enough to find and run programs, and no
# credential (the providers' keys and passwords, a notification URL, the plan key, a token).
# A policy folder may arrive in a pull request: a command from it must not be able to read them.
PASSED_ON = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TEMP", "TMP", "SYSTEMROOT")


def command_environment() -> dict[str, str]:
    return {name: os.environ[name] for name in PASSED_ON if name in os.environ}


def _read(handle: IO[bytes]) -> bytes:
    handle.seek(0)
    return handle.read(LONGEST_OUTPUT)


def parse_findings(value: Any, *, default_rule: str) -> list[Finding]:
    """Findings from our list form or conftest's results; ValueError/TypeError/KeyError else."""
    if not isinstance(value, list):
        raise TypeError("a JSON list is expected")
    if value and all(isinstance(item, Mapping) and "filename" in item for item in value):
        return _conftest_findings(value, default_rule)
    found = []
    for item in value:
        if not isinstance(item, Mapping):
            raise TypeError(f"a finding is an object, not {item!r}")
        address = item.get("address")
        found.append(
            Finding(
                rule=_text(item.get("rule") or default_rule),
                level=PolicyLevel(item["level"]),
                message=_text(item["message"]),
                address=_text(address) if address is not None else None,
            )
        )
    return found


def _conftest_findings(results: Sequence[Mapping[str, Any]], default_rule: str) -> list[Finding]:
    found = []
    for result in results:
        rule = _text(result.get("namespace") or default_rule)
        for key, level in (("failures", PolicyLevel.MANDATORY), ("warnings", PolicyLevel.ADVISORY)):
            for item in result.get(key) or []:
                metadata = item.get("metadata") or {}
                address = metadata.get("address")
                found.append(
                    Finding(
                        rule=_text(metadata.get("rule") or rule),
                        level=level,
                        message=_text(item["msg"]),
                        address=_text(address) if address is not None else None,
                    )
                )
    return found


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"expected text, found {value!r}")
    return value


def parse_command(entry: Any, folder: Path) -> Command:
    """One entry of a policy file's `commands:` list; ValueError says what is wrong."""
    if not isinstance(entry, Mapping):
        raise ValueError("a command is a mapping with name and run")
    unknown = set(entry) - {"name", "run", "timeout", "description"}
    if unknown:
        raise ValueError(f"unknown setting(s) {', '.join(sorted(map(str, unknown)))}")
    name, run, timeout = entry.get("name"), entry.get("run"), entry.get("timeout", DEFAULT_TIMEOUT)
    if not isinstance(name, str) or not name:
        raise ValueError("a command needs a name")
    if not isinstance(run, list) or not run or not all(isinstance(a, str) and a for a in run):
        raise ValueError(f"command {name}: run is the program and its arguments, as a list")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ValueError(f"command {name}: timeout is a number of seconds above 0")
    return Command(name=name, argv=tuple(run), timeout=float(timeout), folder=folder)
