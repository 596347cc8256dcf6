"""A saved plan is an intent, verified before anything is sent.

    before any request:   the configuration is the one the plan was made for (fingerprint);
                          every request stays below its provider's base_url
    after the refresh:    the remote state of the plan's objects is unchanged (else: stale);
    (list requests only)  each saved change is one the same pipeline derives now, field for
                          field and request for request

What goes on to the safety rails and to apply are the *derived* changes the plan selects, so
nothing read from the file is ever sent as it was written; the file only says which of the
changes the configuration calls for were reviewed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from reconciler.engine import next_steps
from reconciler.engine.fingerprint import Fingerprint
from reconciler.engine.planfile import SavedPlan
from reconciler.engine.refresh import Refreshed, state_checksum
from reconciler.errors import StalePlanError, UntrustedPlanError
from reconciler.http import path_outside_base
from reconciler.model import Address, Change, HttpCall, Plan
from reconciler.providers.base import Provider
from reconciler.reports import counted

# Differences named in a refusal before the rest are counted; a shown path is cut to this.
NAMED = 3
SHOWN_PATH = 80


def check_configuration(saved: SavedPlan, now: Fingerprint) -> None:
    """Refuse a plan made for another configuration (files, endpoints or accounts)."""
    differences = saved.fingerprint.differences(now)
    if differences:
        raise UntrustedPlanError(
            f"{saved.path} was made for another configuration than {saved.config_path} here "
            f"({_some(differences)}); it is refused and nothing was sent; {_remake(saved)}"
        )


def _remake(saved: SavedPlan) -> str:
    return f"make the plan again with {next_steps.command('plan', '-o', saved.path)} and review it"


def check_confined(plan: Plan, providers: Mapping[str, Provider], *, what: str) -> None:
    """Refuse a plan with a request that would leave its provider's base_url."""
    for change in plan.changes:
        provider = providers.get(change.provider)
        if provider is None:
            raise UntrustedPlanError(
                f"{what}: {change.address} is for provider {change.provider!r}, which this "
                "configuration does not set up; it is refused and nothing was sent"
            )
        base_url = str(provider.client.base_url)
        for number, call in enumerate(change.requests, 1):
            reason = path_outside_base(base_url, call.path)
            if reason is not None:
                raise UntrustedPlanError(
                    f"{what}: {change.address}: request {number} ({call.method} "
                    f"{_shown(call.path)}) would leave {change.provider}'s base_url: {reason}; "
                    "it is refused and nothing was sent"
                )


def match_derived(
    saved: SavedPlan, derived: Plan, refreshed: Mapping[str, Refreshed]
) -> Plan:
    """The derived changes the saved plan selects, once every one matches what it says.

    Refuses a stale plan (a planned object changed remotely since) and a plan whose changes are
    not those the configuration and the remote state call for now, naming the first differences.
    """
    ours = {change.address: change for change in derived.changes}
    planned = [change.address for change in saved.plan.changes]
    unexpected = [address for address in planned if address not in ours]
    if state_checksum(refreshed, planned) != saved.plan.state_checksum:
        sealed = [address for address in planned if address not in unexpected]
        # Were the unexpected changes added after the plan was sealed? Then it was edited.
        if not unexpected or state_checksum(refreshed, sealed) != saved.plan.state_checksum:
            moved = _moved_since(saved.plan, ours, refreshed)
            where = f" ({_some(moved)})" if moved else ""
            raise StalePlanError(
                f"{saved.path} is stale: the remote state of the objects it changes is not what "
                f"it was when the plan was made{where}; nothing was sent; run "
                f"{next_steps.command('plan')} again and review the new plan"
            )
    differences: list[str] = []
    seen: set[Address] = set()
    for change in saved.plan.changes:
        if change.address in seen:
            differences.append(f"{change.address} appears twice")
            continue
        seen.add(change.address)
        twin = ours.get(change.address)
        if twin is None:
            differences.append(f"{change.address}: {_why_unexpected(change.address, refreshed)}")
        else:
            differences.extend(f"{change.address}: {d}" for d in _differences(change, twin))
    if differences:
        raise UntrustedPlanError(
            f"{saved.path} is not what the configuration and the remote state call for now "
            f"({_some(differences)}); it is refused and nothing was sent; {_remake(saved)}"
        )
    held = set(planned) | {skipped.address for skipped in saved.plan.skipped}
    extra = [str(change.address) for change in derived.changes if change.address not in held]
    warnings = list(derived.warnings)
    if extra:
        warnings.append(
            f"the configuration now calls for {counted(len(extra), 'changes')} this plan does "
            f"not hold ({_some(extra)}): not applied; the next plan shows them"
        )
    return replace(
        derived,
        changes=tuple(ours[address] for address in planned),
        warnings=tuple(warnings),
    )


def _moved_since(
    planned: Plan, ours: Mapping[Address, Change], refreshed: Mapping[str, Refreshed]
) -> list[str]:
    """Which planned objects moved remotely since the plan was made, and what of them, as far
    as the plan file tells: the remote values it recorded of the fields it changes, the object
    it named (a change of anything else shows in the checksum alone)."""
    sides = {side.provider.kind: side for side in refreshed.values()}
    moved = []
    for change in planned.changes:
        side = sides.get(change.address.kind)
        remote = side.remote(change.address.key) if side is not None else None
        if change.remote_id is None:
            if remote is not None:
                moved.append(f"{change.address}: an object with its key appeared")
            continue
        if remote is None or remote.remote_id != change.remote_id:
            moved.append(f"{change.address}: deleted, or moved away")
            continue
        twin = ours.get(change.address)
        now = {item.name: item.before for item in twin.fields} if twin is not None else {}
        names = [item.name for item in change.fields
                 if _json(item.before) != _json(now.get(item.name, remote.fields.get(item.name)))]
        if names:  # a field the plan does not record moved otherwise: the checksum says so
            moved.append(f"{change.address}: {', '.join(names)}")
    return moved


def _why_unexpected(address: Address, refreshed: Mapping[str, Refreshed]) -> str:
    for side in refreshed.values():
        if side.provider.kind == address.kind and (
            address.key in side.desired or address.key in side.current
        ):
            return "the configuration and the remote state call for no such change"
    return "not an object this configuration declares or manages (it is never changed)"


def _differences(saved: Change, derived: Change) -> list[str]:
    """What differs between a saved change and the one derived now, in plain words."""
    found = [
        f"{what} {_plain(theirs)} where the configuration calls for {_plain(ours)}"
        for what, theirs, ours in (
            ("provider", saved.provider, derived.provider),
            ("action", saved.action.value, derived.action.value),
            ("remote id", saved.remote_id, derived.remote_id),
            ("note", saved.note, derived.note),
            ("previous address", saved.moved_from, derived.moved_from),
        )
        if theirs != ours
    ]
    if _json([f.to_json() for f in saved.fields]) != _json([f.to_json() for f in derived.fields]):
        found.append(
            "its field changes differ ("
            + ", ".join(_changed_keys(_by_field(saved), _by_field(derived)))
            + ")"
        )
    if len(saved.requests) != len(derived.requests):
        found.append(
            f"{counted(len(saved.requests), 'requests')} where the configuration calls for "
            f"{len(derived.requests)}"
        )
    paired = zip(saved.requests, derived.requests, strict=False)  # a count apart: said above
    for number, (theirs, ours) in enumerate(paired, 1):
        found.extend(f"request {number}: {d}" for d in _request_differences(theirs, ours))
    return found


def _request_differences(saved: HttpCall, derived: HttpCall) -> list[str]:
    found = []
    if saved.method != derived.method:
        found.append(f"method {saved.method} where the configuration calls for {derived.method}")
    if saved.path != derived.path:
        found.append(
            f"path {_shown(saved.path)} where the configuration calls for {_shown(derived.path)}"
        )
    if _json(dict(saved.query)) != _json(dict(derived.query)):
        found.append("its query differs")
    if saved.content_type != derived.content_type and (saved.body or derived.body) is not None:
        found.append(f"content type {saved.content_type} where {derived.content_type} is due")
    theirs, ours = _json(saved.body), _json(derived.body)
    if theirs != ours:
        if isinstance(theirs, dict) and isinstance(ours, dict):
            found.append(f"its body differs in {', '.join(_changed_keys(theirs, ours))}")
        else:
            found.append("its body differs")
    return found


def _by_field(change: Change) -> dict[str, Any]:
    return {field.name: _json(field.to_json()) for field in change.fields}


def _changed_keys(theirs: Mapping[str, Any], ours: Mapping[str, Any]) -> list[str]:
    return sorted(k for k in theirs.keys() | ours.keys() if theirs.get(k) != ours.get(k)) or [
        "order"
    ]


def _json(value: Any) -> Any:
    """The value as a JSON document reads back (tuples become lists, keys become text)."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _plain(value: Any) -> str:
    return "none" if value is None else str(value)


def _shown(path: str) -> str:
    return path if len(path) <= SHOWN_PATH else path[: SHOWN_PATH - 1] + "…"


def _some(items: Iterable[str]) -> str:
    listed = list(items)
    more = f"; and {len(listed) - NAMED} more" if len(listed) > NAMED else ""
    return "; ".join(listed[:NAMED]) + more
