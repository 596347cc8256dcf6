"""`--target ADDRESS`: a plan limited to named objects, for the emergency that cannot wait.

A target is an address (`events.winter-gala`) or a recurring series (`sessions.status-call`,
which takes every occurrence, `sessions.status-call@2027-03-08`). The plan keeps only the changes
to targeted objects, after the adoption pass and before the check and safety passes, so the
rails count what will be done; with `--prune`, only targeted objects that are no longer declared
are removed. The plan says that it is partial: the rest of the schedule may still differ from
the configuration. A target that names no declared or managed object is refused, with the
addresses it is closest to: a mistyped key on the emergency path must not read as "nothing to
change".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from reconciler.config.recurrence import split_key
from reconciler.engine.refresh import Refreshed
from reconciler.errors import ReconcilerError
from reconciler.model import KINDS, Address, Plan

# `kind.key`, the key as the schema allows it, or an occurrence key `key@date[Thh:mm]`.
_ADDRESS = re.compile(r"^(?P<kind>[a-z]+)\.(?P<key>[^\s]+)$")


def parse_targets(texts: Iterable[str]) -> tuple[Address, ...]:
    """The `--target` options as addresses; an address of no known kind is refused."""
    targets: list[Address] = []
    for text in texts:
        match = _ADDRESS.match(text.strip())
        if match is None or match["kind"] not in KINDS:
            kinds = ", ".join(KINDS)
            raise ReconcilerError(
                f"--target {text!r}: write KIND.KEY with KIND one of {kinds}, "
                "e.g. --target events.winter-gala"
            )
        targets.append(Address(match["kind"], match["key"]))
    return tuple(dict.fromkeys(targets))


def require_known(targets: Sequence[Address], refreshed: Mapping[str, Refreshed]) -> None:
    """Refuse targets that name no declared or managed object (nor a series of them), each
    with the closest known addresses."""
    known: set[str] = set()
    for side in refreshed.values():
        for key in [*side.desired, *side.current, *side.unscoped]:
            known.add(f"{side.provider.kind}.{key}")
            parts = split_key(key)
            if parts is not None:
                known.add(f"{side.provider.kind}.{parts[0]}")
    unknown = [target for target in targets if str(target) not in known]
    if not unknown:
        return
    problems = []
    for target in unknown:
        close = difflib.get_close_matches(str(target), sorted(known), n=3, cutoff=0.6)
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        problems.append(f"--target {target} names no declared or managed object{hint}")
    raise ReconcilerError("; ".join(problems) + "; nothing was planned or sent")


def covered(address: Address, targets: Sequence[Address]) -> bool:
    """Whether a target names the object (or the series it is an occurrence of)."""
    if address in targets:
        return True
    parts = split_key(address.key)
    return parts is not None and Address(address.kind, parts[0]) in targets


def restrict(plan: Plan, targets: Sequence[Address]) -> Plan:
    """The plan's changes to targeted objects only, with a warning that the plan is partial."""
    kept = tuple(change for change in plan.changes if covered(change.address, targets))
    named = ", ".join(str(target) for target in targets)
    warnings = [
        f"--target {named}: this plan covers only the targeted objects; other changes the "
        "configuration needs are not shown (run a full plan once the emergency is over)"
    ]
    missed = [
        str(target) for target in targets
        if not any(covered(change.address, (target,)) for change in kept)
    ]
    if missed:
        warnings.append(f"--target: nothing to change for {', '.join(missed)}")
    return replace(
        plan,
        changes=kept,
        skipped=tuple(held for held in plan.skipped if covered(held.address, targets)),
        warnings=(*plan.warnings, *warnings),
    )


def outside(plan: Plan, targets: Sequence[Address]) -> list[str]:
    """The addresses of a (saved) plan's changes that no target names."""
    return [str(c.address) for c in plan.changes if not covered(c.address, targets)]
