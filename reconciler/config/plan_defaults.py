"""The options a plan is made with, kept with the configuration (`defaults:` in the YAML).

    defaults:
      prune: true                 # --prune
      adopt: false                # --adopt
      adopt_unscoped: false       # --adopt-unscoped
      strict: true                # --strict
      on_drift: keep              # --on-drift
      max_change_percent: 50      # --max-change-percent

`plan` and `apply` read the same file, so a pipeline whose plan job and apply job run apart
(the GitHub Action's plan.yml and apply.yml) shares these options without repeating them in
each job; a saved plan records the options in effect and `apply` refuses one made otherwise.
A command-line flag wins over its default (`--no-prune` turns off `prune: true`). The schema
says what is wrong with a key or value, at its file and line; this module reads what is valid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.config.document import FileView, one_section
from reconciler.model import ConfigIssue, Location

SECTION = "defaults"
# The built-in values, also what a plan without `defaults:` is made with.
ON_DRIFT = "revert"
MAX_CHANGE_PERCENT = 30.0
SWITCHES = ("prune", "adopt", "adopt_unscoped", "strict")



@dataclass(frozen=True, kw_only=True)
class PlanDefaults:
    """The configuration's options for plan and apply (the built-in ones where it sets none)."""

    prune: bool = False
    adopt: bool = False
    adopt_unscoped: bool = False
    strict: bool = False
    on_drift: str = ON_DRIFT
    max_change_percent: float = MAX_CHANGE_PERCENT
    location: Location | None = None  # where `defaults:` is written, if anywhere
    written: frozenset[str] = frozenset()  # the options `defaults:` names itself


def collect(
    files: Sequence[FileView], issues: list[ConfigIssue]
) -> PlanDefaults:
    """The `defaults:` of the one file that has them (a second one is an issue)."""
    found = PlanDefaults()
    twice = ("defaults are set twice (first at {first}); keep one, so that plan and apply read "
             "the same options")
    for block, source, clean in one_section(files, SECTION, issues, twice=twice):
        values: dict[str, Any] = {}
        for name, value in block.items():
            if not clean((SECTION, name)):
                continue  # the schema has said what is wrong with it
            switch = name in SWITCHES and isinstance(value, bool)
            if switch or (name == "on_drift" and isinstance(value, str)):
                values[name] = value
            elif name == "max_change_percent" and isinstance(value, int | float):
                values[name] = float(value)  # the schema has refused true and false
        found = PlanDefaults(location=source.at((SECTION,)), written=frozenset(values), **values)
    return found
