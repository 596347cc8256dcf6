"""Declarative rules: a team's scheduling rules in YAML, their conditions in CEL.

    rules:
      - name: no-early-depositions
        level: mandatory                # or advisory (a warning)
        kinds: [sessions]               # optional: which changes the rule looks at
        actions: [create, update, replace]
        when: has(change.after.session_type) && change.after.session_type == "remote_deposition"
        deny: local.start.hour < 8      # CEL: true means a finding for this change
        message: starts before 08:00 in the deponent's zone

A rule either denies changes one by one (`deny`: one finding per change it is true for), or
counts them (`max_changes: N`: one finding when more than N changes match), or judges the plan
as a whole once (`per: plan` with `deny`: `plan` and `context` only). CEL has no I/O and no
unbounded loop, so an evaluation's cost follows the size of its input; nothing else is offered
to an expression (no function of ours is registered).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.findings import Finding, PolicyLevel
from reconciler.model import KINDS as DECLARED_KINDS
from reconciler.model import Action

if TYPE_CHECKING:
    import cel

CHECK_EVERY = 256  # changes judged between two looks at the time budget
LONGEST_EXPRESSION = 2000  # characters: a condition is a line or two, never a program
ACTIONS = frozenset(action.value for action in Action)
KINDS = frozenset(DECLARED_KINDS)


class RuleError(ValueError):
    """A rule file that cannot be used: what is wrong, for the loader to place in its file."""


class EvaluationError(Exception):
    """A condition that failed on some input (a missing field, a type mismatch)."""


@dataclass(frozen=True, kw_only=True)
class Condition:
    """A compiled CEL condition, and what of a change it reads.

    CEL's cost is mostly converting its input, so a condition is handed only what it names:
    the parts of the change (`reads`; None: all of it) and the variables it uses.
    """

    rule: str
    program: cel.Program
    reads: Mapping[str, frozenset[str] | None] | None
    variables: frozenset[str]

    def holds(self, change: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
        variables: dict[str, Any] = {"change": _view(change, self.reads)}
        if "context" in self.variables:
            variables["context"] = context
        if "local" in self.variables:
            variables["local"] = local_times(change)
        return _true(self.program, variables, self.rule, change)


@dataclass(frozen=True, kw_only=True)
class Rule:
    name: str
    level: PolicyLevel
    message: str
    kinds: frozenset[str] | None
    actions: frozenset[str] | None
    when: Condition | None
    deny: Condition | None
    max_changes: int | None
    per_plan: bool

    def matches(self, change: Mapping[str, Any]) -> bool:
        return (self.kinds is None or change["kind"] in self.kinds) and (
            self.actions is None or change["action"] in self.actions
        )

    def judge(
        self,
        changes: Sequence[Mapping[str, Any]],
        plan: Mapping[str, Any],
        context: Mapping[str, Any],
        out_of_time: Callable[[], bool] = lambda: False,
    ) -> list[Finding]:
        """The findings of this rule over the plan's changes (documents of the JSON plan);
        a rule per plan sees `plan`, the plan's header (`plan_header`). `out_of_time` is asked
        every CHECK_EVERY changes: the rules' time budget holds within one rule too."""
        if self.per_plan:
            assert self.deny is not None
            variables = {"plan": plan, "context": context}
            return [self._finding(None)] if _true(self.deny.program, variables, self.name) else []
        found: list[Finding] = []
        counted = 0
        for number, change in enumerate(changes):
            if number % CHECK_EVERY == 0 and out_of_time():
                raise EvaluationError(f"rule {self.name} ran out of the rules' time budget")
            if not self.matches(change):
                continue
            if self.when is not None and not self.when.holds(change, context):
                continue
            if self.max_changes is not None:
                counted += 1
            elif self.deny is not None and self.deny.holds(change, context):
                found.append(self._finding(str(change["address"])))
        if self.max_changes is not None and counted > self.max_changes:
            found.append(
                Finding(
                    rule=self.name,
                    level=self.level,
                    message=f"{self.message} ({counted} changes, at most {self.max_changes})",
                )
            )
        return found

    def _finding(self, address: str | None) -> Finding:
        return Finding(rule=self.name, level=self.level, message=self.message, address=address)


def plan_header(document: Mapping[str, Any]) -> dict[str, Any]:
    """What a rule per plan reads: the plan without its long lists (the changes are judged
    one by one, or counted, by the other kinds of rule)."""
    return {
        name: value
        for name, value in document.items()
        if name not in ("changes", "skipped", "warnings", "duplicates", "series")
    }


# `change.NAME` or `change.NAME.NAME`, the only ways a condition can name part of a change that
# let the rest of it be left out; any other use of `change` hands the whole change.
_CHANGE_USE = re.compile(r"\bchange\b(?:\s*\.\s*(\w+)(?:\s*\.\s*(\w+))?)?")


def _reads(expression: str) -> dict[str, frozenset[str] | None] | None:
    """Which fields of a change, and of its `before`/`after`/`times`, the expression reads."""
    reads: dict[str, set[str] | None] = {}
    for match in _CHANGE_USE.finditer(expression):
        top, inner = match.group(1), match.group(2)
        if top is None:
            return None
        if inner is None or reads.get(top, set()) is None:
            reads[top] = None
        else:
            known = reads.setdefault(top, set())
            assert known is not None
            known.add(inner)
    return {top: frozenset(inner) if inner is not None else None for top, inner in reads.items()}


def _view(
    change: Mapping[str, Any], reads: Mapping[str, frozenset[str] | None] | None
) -> Mapping[str, Any]:
    """The part of `change` the conditions read; what is absent stays absent (for `has`)."""
    if reads is None:
        return change
    view: dict[str, Any] = {}
    for top, inner in reads.items():
        if top not in change:
            continue
        value = change[top]
        if inner is not None and isinstance(value, Mapping):
            value = {name: value[name] for name in inner if name in value}
        view[top] = value
    return view


def local_times(change: Mapping[str, Any]) -> dict[str, Any]:
    """The change's start and end on its own wall clock, as numbers a condition can compare.

    CEL's own timestamp accessors read UTC unless given an IANA name, and a zone here may be a
    Rails name: the plan has already placed each time in its zone (`times.*.local`).
    """
    times = change.get("times") or {}
    return {"start": _wall_clock(times.get("start")), "end": _wall_clock(times.get("end"))}


def _wall_clock(clocks: Mapping[str, str] | None) -> dict[str, Any] | None:
    if not clocks:
        return None
    local = clocks["local"]  # 2027-03-02T07:30:00-05:00, or an all-day object's 2027-03-02
    if len(local) == 10:
        return {"date": local, "hour": 0, "minute": 0, "time": "00:00", "offset": None}
    return {
        "date": local[:10],
        "hour": int(local[11:13]),
        "minute": int(local[14:16]),
        "time": local[11:16],
        "offset": local[19:] or "+00:00",
    }


def _true(
    program: cel.Program,
    variables: Mapping[str, Any],
    rule: str,
    change: Mapping[str, Any] | None = None,
) -> bool:
    try:
        value = program.execute(dict(variables))
    except Exception as error:  # the binding raises TypeError, RuntimeError, ZeroDivisionError...
        where = f" on {change['address']}" if change is not None else ""
        raise EvaluationError(f"rule {rule} failed{where}: {error}") from None
    if not isinstance(value, bool):
        where = f" on {change['address']}" if change is not None else ""
        raise EvaluationError(f"rule {rule} gave {value!r}{where}, not true or false")
    return value


def parse_rule(entry: Any) -> Rule:
    """One entry of a policy file's `rules:` list; RuleError says what is wrong with it."""
    if not isinstance(entry, Mapping):
        raise RuleError("a rule is a mapping with name, level, message and deny or max_changes")
    unknown = set(entry) - {
        "name",
        "level",
        "message",
        "description",
        "kinds",
        "actions",
        "when",
        "deny",
        "max_changes",
        "per",
    }
    if unknown:
        raise RuleError(f"unknown setting(s) {', '.join(sorted(map(str, unknown)))}")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise RuleError("a rule needs a name")
    try:
        level = PolicyLevel(str(entry.get("level")))
    except ValueError:
        raise RuleError(f"rule {name}: level must be advisory or mandatory") from None
    message = entry.get("message")
    if not isinstance(message, str) or not message:
        raise RuleError(f"rule {name}: a message says what is wrong, for the plan to show")
    per_plan = entry.get("per", "change") == "plan"
    if entry.get("per", "change") not in ("change", "plan"):
        raise RuleError(f"rule {name}: per is change (the default) or plan")
    max_changes = entry.get("max_changes")
    if max_changes is not None and (
        not isinstance(max_changes, int) or isinstance(max_changes, bool) or max_changes < 0
    ):
        raise RuleError(f"rule {name}: max_changes is a whole number, 0 or more")
    if (entry.get("deny") is None) == (max_changes is None):
        raise RuleError(f"rule {name}: give either deny (a CEL condition) or max_changes")
    if per_plan and (max_changes is not None or entry.get("when") is not None):
        raise RuleError(f"rule {name}: a rule per plan has deny only")
    return Rule(
        name=name,
        level=level,
        message=message,
        kinds=_names(entry.get("kinds"), KINDS, name, "kinds"),
        actions=_names(entry.get("actions"), ACTIONS, name, "actions"),
        when=_condition(entry.get("when"), name, "when"),
        deny=_condition(entry.get("deny"), name, "deny"),
        max_changes=max_changes,
        per_plan=per_plan,
    )


def _names(value: Any, allowed: frozenset[str], rule: str, what: str) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value or not set(value) <= allowed:
        raise RuleError(f"rule {rule}: {what} is a list of {', '.join(sorted(allowed))}")
    return frozenset(value)


def _condition(text: Any, rule: str, what: str) -> Condition | None:
    program = _compiled(text, rule, what)
    if program is None:
        return None
    return Condition(
        rule=rule,
        program=program,
        reads=_reads(text),
        variables=frozenset(program.references()["variables"]),
    )


def _compiled(text: Any, rule: str, what: str) -> cel.Program | None:
    if text is None:
        return None
    if not isinstance(text, str) or not text.strip():
        raise RuleError(f"rule {rule}: {what} is a CEL expression")
    if len(text) > LONGEST_EXPRESSION:
        raise RuleError(f"rule {rule}: {what} is longer than {LONGEST_EXPRESSION} characters")
    # Only a configuration with rules pays for CEL (its package also loads a REPL's libraries).
    import cel

    try:
        return cel.compile(text)
    except ValueError as error:
        first = str(error).splitlines()[0]
        raise RuleError(f"rule {rule}: {what} is not valid CEL: {first}") from None
