"""Policy sets: the folders of `*.policy.yaml` files a plan is judged by, and the judging.

A folder comes from `--policy DIR` or the configuration's `policies:` list. Each file holds
`rules:` (declarative, `policy.rules`) and `commands:` (external programs, `policy.commands`).

Everything fails closed: a folder that is missing, a file that cannot be read or holds a
mistake, a set that loads no rule, a rule whose condition fails, a command that crashes or
times out, and an evaluation that outlives its time budget are each a mandatory finding, so the
plan is refused rather than passed unjudged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from reconciler.clock import current
from reconciler.config.discovery import POLICY_SUFFIXES
from reconciler.findings import Finding, PolicyLevel
from reconciler.model import Plan
from reconciler.policy.commands import Command, parse_command
from reconciler.policy.rules import EvaluationError, Rule, RuleError, parse_rule, plan_header
from reconciler.render.json import change_summary, plan_document

LARGEST_FILE = 1024 * 1024  # bytes: a policy file is a page of rules
# Seconds, on the product's clock, that declarative rules may take over one plan in all.
RULES_BUDGET = 30.0
LOADER = "policy-set"  # the rule name of a finding about the set itself


@dataclass(frozen=True, kw_only=True)
class PolicySet:
    """One folder's rules and commands, and what kept any of them from loading."""

    folder: str  # as given
    rules: tuple[Rule, ...] = ()
    commands: tuple[Command, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PolicyContext:
    """What a rule knows beyond the plan: whose plan, when, against what, for whom."""

    scope: str | None
    now: datetime
    base_ref: str | None = None
    author: str | None = None  # the pull request's author, in the Action

    def to_json(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "now": self.now,
            "base_ref": self.base_ref,
            "author": self.author,
        }


def load_set(folder: Path, *, shown: str | None = None) -> PolicySet:
    """The policy files of `folder` (sorted, recursively), read and compiled."""
    name = shown or str(folder)
    if not folder.is_dir():
        return PolicySet(folder=name, problems=(f"{name}: no such policy folder",))
    rules: list[Rule] = []
    commands: list[Command] = []
    problems: list[str] = []
    files = sorted(f for f in folder.rglob("*") if f.name.lower().endswith(POLICY_SUFFIXES))
    for file in files:
        where = f"{name}/{file.relative_to(folder).as_posix()}"
        try:
            document = _read(file)
            for entry in document.get("rules") or []:
                rules.append(parse_rule(entry))
            for entry in document.get("commands") or []:
                commands.append(parse_command(entry, file.parent))
        except (OSError, ValueError, AttributeError) as error:
            problems.append(f"{where}: {_first_line(error)}")
    if not rules and not commands and not problems:
        problems.append(
            f"{name}: loaded no rule (no *.policy.yaml file with rules or commands); a policy "
            "set that judges nothing is refused rather than passed"
        )
    names = [rule.name for rule in rules] + [command.name for command in commands]
    problems += [
        f"{name}: the rule name {n} is used twice" for n in sorted(set(names)) if names.count(n) > 1
    ]
    return PolicySet(
        folder=name, rules=tuple(rules), commands=tuple(commands), problems=tuple(problems)
    )


def _read(file: Path) -> Mapping[str, Any]:
    import yaml  # only runs with policies read it

    if file.stat().st_size > LARGEST_FILE:
        raise ValueError(f"larger than {LARGEST_FILE // 1024} KiB")
    try:
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ValueError(f"not YAML: {error}") from None
    if not isinstance(document, Mapping):
        raise ValueError("a policy file is a mapping with rules: and/or commands:")
    unknown = set(document) - {"rules", "commands"}
    if unknown:
        raise ValueError(f"unknown section(s) {', '.join(sorted(map(str, unknown)))}")
    if not isinstance(document.get("rules") or [], list) or not isinstance(
        document.get("commands") or [], list
    ):
        raise ValueError("rules: and commands: are lists")
    return document


def _first_line(error: Exception) -> str:
    if isinstance(error, RuleError | ValueError):
        return str(error).splitlines()[0]
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def judge(plan: Plan, sets: Iterable[PolicySet], context: PolicyContext) -> tuple[Finding, ...]:
    """Every finding of every set on `plan` (its JSON document is what the rules read)."""
    sets = tuple(sets)
    if not sets:
        return ()
    scope = plan.scope.name if plan.scope is not None else None
    changes = [change_summary(change, scope=scope) for change in plan.changes]
    header = plan_header(plan_document(replace(plan, changes=())))
    header["has_changes"], header["summary"] = plan.has_changes, plan.summary
    variables = context.to_json()
    clock = current()
    deadline = clock.monotonic() + RULES_BUDGET
    found: list[Finding] = []
    plan_json: bytes | None = None
    for policy_set in sets:
        found += [_refusal(problem) for problem in policy_set.problems]
        for rule in policy_set.rules:
            if clock.monotonic() > deadline:
                found.append(
                    _refusal(
                        f"the rules took longer than {RULES_BUDGET:g} s; {rule.name} and the rules "
                        "after it were not evaluated"
                    )
                )
                break
            try:
                found += rule.judge(
                    changes, header, variables, out_of_time=lambda: clock.monotonic() > deadline
                )
            except EvaluationError as error:
                found.append(
                    Finding(
                        rule=rule.name,
                        level=PolicyLevel.MANDATORY,
                        message=f"{error}; a rule that fails refuses the plan",
                    )
                )
        for command in policy_set.commands:
            if plan_json is None:  # the whole JSON plan, made once and only for commands
                document = {**plan_document(plan), "context": _plain(variables)}
                plan_json = json.dumps(document).encode()
            found += command.judge(plan_json)
    return tuple(found)


def _plain(variables: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in variables.items()}


def _refusal(problem: str) -> Finding:
    return Finding(rule=LOADER, level=PolicyLevel.MANDATORY, message=problem)
